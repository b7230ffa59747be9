"""Render-speed benchmark (see docs/bench.md)."""
