"""The output layout and atomic writes: OUT/<job>/<sku>/v<N>/<platform>.mp4 and its sidecars.

Paths depend only on the inputs (job name, SKU, variant, platform), so a rerun finds what it made before;
every file is written under a temporary name and renamed into place, so a crash never leaves half a file
where a finished one is expected.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

_UNSAFE = re.compile(r'[\\/:*?"<>|\s\x00-\x1f]+')


def safe_name(value: str, fallback: str = "item") -> str:
    """A file-system-safe name that keeps Chinese characters readable."""
    cleaned = _UNSAFE.sub("_", value.strip()).strip("._")
    return cleaned[:80] or fallback


def job_name(sheet: Path, job: str | None = None) -> str:
    return safe_name(job or sheet.stem, "job")


def variant_dir(out_root: Path, job: str, sku: str, variant: int) -> Path:
    return out_root / job / safe_name(sku, "sku") / f"v{variant}"


def clip_paths(directory: Path, platform: str) -> dict[str, Path]:
    return {
        "video": directory / f"{platform}.mp4",
        "cover": directory / f"{platform}.cover.jpg",
        "srt": directory / f"{platform}.srt",
        "vtt": directory / f"{platform}.vtt",
        "record": directory / f"{platform}.json",
    }


def write_text_atomic(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; outputs are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json_atomic(path: Path, data: Any) -> Path:
    return write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def read_json(path: Path) -> Any | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
