"""Engine fallbacks of a finished variant: the script writer or voice that stood in for the one asked for.

Engines record a fallback in their label, "template (fallback from openai: timeout after 2 attempt(s))". A
fallback is not a failure (the clip is made and `daihuo make` exits 0), but the merchant must see it: the CLI
prints it and report.json / report.md count it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from generator.models import VariantResult

_LABEL = re.compile(r"^(?P<used>[\w.-]+) \(fallback from (?P<wanted>[\w.-]+): (?P<reason>.*)\)$", re.S)


@dataclass(frozen=True)
class Fallback:
    stage: str  # writer | voice
    wanted: str
    used: str
    reason: str

    def line(self, sku: str, variant: int) -> str:
        return (f"{sku} v{variant}: the {self.wanted} {self.stage} was unavailable ({self.reason}); "
                f"{self.used} was used instead")

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def parse_label(stage: str, label: str | None) -> Fallback | None:
    m = _LABEL.match(label or "")
    return Fallback(stage, m["wanted"], m["used"], m["reason"]) if m else None


def variant_fallbacks(result: VariantResult) -> list[Fallback]:
    found = [parse_label("writer", result.script.writer if result.script else None),
             parse_label("voice", result.voice.engine if result.voice else None)]
    return [f for f in found if f is not None]
