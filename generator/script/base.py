"""The writer protocol: any engine that turns a Product and a Brief into a Script."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from generator.models import Brief, Product, Script


class ScriptWriter(Protocol):
    name: str

    def write(self, product: Product, brief: Brief, variant: int, *, siblings: Sequence[Script] = ()) -> Script:
        """Write variant number `variant` (1-based); `siblings` are the variants already written, to differ from."""
        ...
