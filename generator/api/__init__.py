"""The HTTP API and the merchant web page: translate, enqueue, read (generator.api.app.create_app).

`create_app` is imported on first use, so that the sheet-reading child (generator.api.read_child) starts
without loading the web framework.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from generator.api.app import create_app

        return create_app
    raise AttributeError(f"module 'generator.api' has no attribute {name!r}")
