"""The writer protocol: any engine that turns a Product and a Brief into a Script."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from generator.models import Brief, CreativeChoice, Product, Script


class ScriptWriter(Protocol):
    name: str

    def write(self, product: Product, brief: Brief, variant: int, *, siblings: Sequence[Script] = (),
              choice: CreativeChoice | None = None) -> Script:
        """Write variant number `variant` (1-based); `siblings` are the variants already written, to differ from
        (titles too: unique per platform). `choice`, when given, names the angle and hook to use; the script's
        `angle` and `hook_id` say what was used, and `creative` carries the choice."""
        ...
