"""Small formatting rules shared by scripts, captions and cards."""

from __future__ import annotations


def money(value: float | None) -> str:
    """89.0 → "89", 39.90 → "39.9", None → "" (prices as people write them)."""
    if value is None:
        return ""
    return f"{value:.2f}".rstrip("0").rstrip(".")
