"""Names and helpers every model shares."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

Language = Literal["zh", "en", "id", "ms", "th", "vi"]
BeatKind = Literal["hook", "pain", "demo", "proof", "offer", "cta"]
BEAT_ORDER: tuple[BeatKind, ...] = ("hook", "pain", "demo", "proof", "offer", "cta")
CompliancePolicy = Literal["fix", "block", "warn"]


def stable_hash(data: Any, length: int = 16) -> str:
    """Hash of JSON-able data that is the same on every machine and run (sorted keys, no whitespace)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]

