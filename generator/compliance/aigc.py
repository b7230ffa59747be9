"""AIGC content labels (人工智能生成合成内容标识办法, GB 45438-2025).

Explicit label: on-screen text containing "AI" and 生成/合成, at a frame corner, glyph height >= 5 % of the
short side, from the first frame. Implicit label: one metadata field whose key contains "AIGC", holding the
Appendix E JSON (every value a string; Label "1" means the content is AI-generated).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from generator.errors import DaihuoError

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


# -- implicit label: validate, read, write --------------------------------------------------------------

LABEL_VALUES = ("1", "2", "3")
REQUIRED_FIELDS = ("ContentProducer", "ProduceID")


class LabelError(DaihuoError, ValueError):
    """The AIGC implicit label is malformed or a file could not be labelled; the message says how to fix it."""


def unwrap(value: object) -> dict | None:
    """The inner label object from either {"AIGC": {...}} (Appendix E) or the bare inner object."""
    if isinstance(value, dict) and len(value) == 1:
        (key, inner), = value.items()
        if isinstance(key, str) and key.upper() == METADATA_KEY and isinstance(inner, dict):
            return inner
    return value if isinstance(value, dict) else None


def label_problems(value: object) -> list[str]:
    """Rule CN-AI-M1 on a parsed label (wrapped or inner): what is wrong, empty when it is valid."""
    inner = unwrap(value)
    if inner is None:
        return ["the label is not a JSON object"]
    problems = []
    if inner.get("Label") not in LABEL_VALUES:
        problems.append(f'Label must be the string "1", "2" or "3", found {inner.get("Label")!r}')
    for name in REQUIRED_FIELDS:
        if not (isinstance(inner.get(name), str) and inner[name].strip()):
            problems.append(f"{name} must be a non-empty string")
    not_strings = [k for k, v in inner.items() if not isinstance(v, str)]
    if not_strings:
        problems.append(f"every value must be a string; not strings: {', '.join(not_strings)}")
    return problems


def aigc_keys(tags: dict[str, str]) -> list[str]:
    """Metadata keys that carry an implicit label: any key containing AIGC, in any case."""
    return [k for k in tags if METADATA_KEY.lower() in k.lower()]


def read_format_tags(path: Path) -> dict[str, str]:
    """Container-level metadata tags as ffprobe reports them."""
    cmd = ["ffprobe", "-v", "error", "-show_entries", "format_tags", "-of", "json", str(path)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError as exc:
        raise LabelError("ffprobe not found: install ffmpeg (apt-get install ffmpeg)") from exc
    if proc.returncode != 0:
        raise LabelError(f"ffprobe could not read {path}: {proc.stderr.strip() or 'unknown error'}")
    data = json.loads(proc.stdout or "{}")
    return {str(k): str(v) for k, v in (data.get("format", {}).get("tags", {}) or {}).items()}


def write_implicit_label(src: Path, dst: Path, label: dict) -> None:
    """Copy `src` to `dst` (streams copied, not re-encoded) with exactly one AIGC metadata field.

    Any earlier field whose key contains AIGC is removed first, so a re-export overwrites the label instead of
    adding a second one. `label` may be the Appendix E {"AIGC": {...}} or the inner object; it is written
    wrapped. `src` and `dst` may be the same file.
    """
    src, dst = Path(src), Path(dst)
    problems = label_problems(label)
    if problems:
        raise LabelError("invalid AIGC label: " + "; ".join(problems))
    inner = unwrap(label)
    value = metadata_value({METADATA_KEY: dict(inner or {})})
    clear: list[str] = []
    for key in aigc_keys(read_format_tags(src)):
        clear += ["-metadata", f"{key}="]
    tmp = dst.with_name(f".{dst.stem}.labelling{dst.suffix}")
    cmd = ["ffmpeg", "-v", "error", "-y", "-i", str(src), "-map", "0", "-map_metadata", "0", "-c", "copy",
           *clear, "-metadata", f"{METADATA_KEY}={value}", "-movflags", "+use_metadata_tags+faststart", str(tmp)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise LabelError(f"ffmpeg could not label {src}: {proc.stderr.strip()[-500:]}")
    os.replace(tmp, dst)
