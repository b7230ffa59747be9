"""The output layout and atomic writes: OUT/<job>/<sku>/v<N>/<platform>.mp4 and its sidecars.

Paths depend only on the inputs (job name, SKU, variant, platform), so a rerun finds what it made before;
every file is written under a temporary name and renamed into place, so a crash never leaves half a file
where a finished one is expected.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

_UNSAFE = re.compile(r'[\\/:*?"<>|\s\x00-\x1f]+')
_PLAIN = re.compile(r"[\w.-]{1,64}")  # letters (any script), digits, _ . - : kept as the folder name
_WINDOWS_RESERVED = re.compile(r"(?i)(con|prn|aux|nul|com\d|lpt\d|conin\$|conout\$)(\..*)?")


def safe_name(value: str, fallback: str = "item") -> str:
    """A file-system-safe name that keeps Chinese characters readable."""
    cleaned = _UNSAFE.sub("_", value.strip()).strip("._")
    return cleaned[:80] or fallback


def job_name(sheet: Path, job: str | None = None) -> str:
    return safe_name(job or sheet.stem, "job")


def sku_folder(sku: str) -> str:
    """The folder of one SKU, different for different SKUs ('AB 1' and 'AB_1', 'AB-2.' and 'AB-2').

    A SKU that is already a plain file name is its own folder name. Any other gets a safe form of it plus
    `~` and a hash of the SKU; plain names never contain `~`, so the two kinds cannot meet. The hash is
    of the NFKC-casefolded SKU: codes equal under that would share a folder on macOS/Windows anyway, and
    the sheet reader refuses them.
    """
    if _PLAIN.fullmatch(sku) and not sku.startswith((".", "-")) and not sku.endswith(".") \
            and not _WINDOWS_RESERVED.fullmatch(sku):
        return sku
    readable = safe_name(sku, "sku")[:64].lstrip("-") or "sku"
    if _WINDOWS_RESERVED.fullmatch(readable):
        readable = readable.replace(".", "_")
    digest = hashlib.sha256(unicodedata.normalize("NFKC", sku).casefold().encode("utf-8")).hexdigest()[:8]
    return f"{readable}~{digest}"


def variant_dir(out_root: Path, job: str, sku: str, variant: int) -> Path:
    return out_root / job / sku_folder(sku) / f"v{variant}"


def clip_paths(directory: Path, platform: str) -> dict[str, Path]:
    return {
        "video": directory / f"{platform}.mp4",
        "cover": directory / f"{platform}.cover.jpg",
        "srt": directory / f"{platform}.srt",
        "vtt": directory / f"{platform}.vtt",
        "record": directory / f"{platform}.json",
    }


def qc_path(directory: Path, platform: str) -> Path:
    """The clip's QC report, beside it."""
    return directory / f"{platform}.qc.json"


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
