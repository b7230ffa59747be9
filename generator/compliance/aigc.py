"""AIGC content labels (人工智能生成合成内容标识办法, GB 45438-2025).

Explicit label: on-screen text containing "AI" and 生成/合成, at a frame corner, glyph height >= 5 % of the
short side, from the first frame. Implicit label: one metadata field whose key contains "AIGC", holding the
Appendix E JSON (every value a string; Label "1" means the content is AI-generated).
"""

from __future__ import annotations

import json
import re

METADATA_KEY = "AIGC"
MIN_LABEL_HEIGHT_RATIO = 0.05
MIN_LABEL_SECONDS = 2.0
LABEL_TEXT_PATTERN = re.compile(r"(AI|人工智能).*(生成|合成)|(生成|合成).*(AI|人工智能)")
_SAFE_CHARS = re.compile(r'[^\x21\x23-\x5b\x5d-\x7e]')


def _clean(value: str) -> str:
    """Appendix E values are printable ASCII without quote or backslash."""
    return _SAFE_CHARS.sub("-", value)


def implicit_label(produce_id: str, producer: str = "daihuo", propagator: str = "", propagate_id: str = "",
                   reserved1: str = "", reserved2: str = "") -> dict[str, dict[str, str]]:
    """The Appendix E structure; on first write the propagator fields repeat the producer's."""
    producer_code = _clean(producer)
    return {
        "AIGC": {
            "Label": "1",
            "ContentProducer": producer_code,
            "ProduceID": _clean(produce_id),
            "ReservedCode1": _clean(reserved1),
            "ContentPropagator": _clean(propagator) or producer_code,
            "PropagateID": _clean(propagate_id) or _clean(produce_id),
            "ReservedCode2": _clean(reserved2),
        }
    }


def metadata_value(label: dict[str, dict[str, str]]) -> str:
    return json.dumps(label, ensure_ascii=True, separators=(",", ":"))


def is_explicit_label_text(text: str) -> bool:
    return bool(LABEL_TEXT_PATTERN.search(text.replace(" ", "")))
