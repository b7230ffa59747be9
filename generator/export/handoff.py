"""The editor hand-off beside each clip: `<platform>.jianying/` (and `<platform>.jianying.zip`), atomic and
idempotent.

A draft is built under a temporary name in the clip's folder and renamed into place (an older draft is
replaced), so nobody ever sees half a draft. Its `daihuo-export.json` marker holds the clip's inputs hash
(`clip.inputs_hash` of `<platform>.json`): a rerun with the same inputs leaves the folder alone, a changed
input rebuilds it. The zip carries the same hash as its comment.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

from generator.errors import DaihuoError
from generator.models import Timeline

MARKER = "daihuo-export.json"
FORMAT = "jianying-1"  # bump when the draft's layout changes, so old drafts are rebuilt


class ExportError(DaihuoError, RuntimeError):
    default_fix = "install the export extra (pip install 'daihuo[export]'), or run without --export"


def draft_paths(directory: Path, platform: str) -> tuple[Path, Path]:
    return directory / f"{platform}.jianying", directory / f"{platform}.jianying.zip"


def _stamp(inputs_hash: str) -> str:
    return f"{FORMAT}:{inputs_hash}"


def draft_current(directory: Path, platform: str, inputs_hash: str, with_zip: bool) -> bool:
    """True when the draft (and, WITH_ZIP, its zip) were made from these inputs."""
    folder, archive = draft_paths(directory, platform)
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(marker, dict) or marker.get("stamp") != _stamp(inputs_hash):
        return False
    if not with_zip:
        return True
    try:
        with zipfile.ZipFile(archive) as z:
            return z.comment.decode() == _stamp(inputs_hash)
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError):
        return False


def export_draft(timeline: Timeline, directory: Path, platform: str, *, photos: list[str], voice: Path,
                 label: str, inputs_hash: str, with_zip: bool) -> bool:
    """Write the clip's draft (and zip) unless current; True when something was written."""
    if draft_current(directory, platform, inputs_hash, with_zip):
        return False
    folder, archive = draft_paths(directory, platform)
    if not _folder_current(folder, inputs_hash):
        _write_folder(timeline, folder, photos=photos, voice=voice, label=label, inputs_hash=inputs_hash)
    if with_zip:
        _write_zip(folder, archive, _stamp(inputs_hash))
    return True


def _folder_current(folder: Path, inputs_hash: str) -> bool:
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8")).get("stamp") == _stamp(inputs_hash)
    except (OSError, ValueError, AttributeError):
        return False


def _write_folder(timeline: Timeline, folder: Path, *, photos: list[str], voice: Path, label: str,
                  inputs_hash: str) -> None:
    from generator.export.jianying import JianyingUnavailable, write_draft

    temp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(temp, ignore_errors=True)
    try:
        write_draft(timeline, temp, photos=photos, voice=voice, label=label)
        (temp / MARKER).write_text(json.dumps({"stamp": _stamp(inputs_hash), "inputs_hash": inputs_hash,
                                               "library": "pyJianYingDraft==0.3.1"}), encoding="utf-8")
    except JianyingUnavailable as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise ExportError(f"cannot write the 剪映 draft {folder.name}: {exc}") from None
    except (OSError, ValueError) as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise ExportError(f"cannot write the 剪映 draft {folder}: {exc}",
                          "check free disk space and that the voice track and photos are readable") from None
    old = folder.with_name(f".{folder.name}.old.tmp-{os.getpid()}")
    if folder.exists():
        folder.rename(old)
    temp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def _write_zip(folder: Path, archive: Path, stamp: str) -> None:
    temp = archive.with_name(f".{archive.name}.tmp-{os.getpid()}")
    with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                z.write(path, (Path(folder.name) / path.relative_to(folder)).as_posix())
        z.comment = stamp.encode()
    os.replace(temp, archive)
