"""What a failure tells people, and what it must not leave behind.

`explain` turns any exception into the one line every entry point shows (problem — fix): the environment's
failures (a missing program, a full disk, a read-only folder, a file in the way) get their own problem and fix,
and paths are shown relative to the output root, never as the server's absolute paths. `discard_partials`
removes what a failed step half-made, so a full disk gets its space back and no temporary file outlives a run.
"""

from __future__ import annotations

import errno
import re
import shutil
import sqlite3
from pathlib import Path

from generator.errors import DaihuoError, one_line
from generator.output import clip_paths
from generator.pipeline.plan import VOICE, platform_of
from generator.pipeline.render import remove_partials
from generator.pipeline.steps import VOICE_DIR

# Programs the pipeline runs, and the Debian package that brings each.
TOOLS = {"ffmpeg": "ffmpeg", "ffprobe": "ffmpeg", "espeak-ng": "espeak-ng", "tesseract": "tesseract-ocr"}
_NO_SPACE = ("No space left on device", "database or disk is full", "Disk quota exceeded")
_READ_ONLY = ("Read-only file system", "attempt to write a readonly database")
# An absolute path in a message: shown by its last part only (the rest says where the server keeps things).
_ABSOLUTE = re.compile(r"(?<![\w.:/~%-])/(?:[^\s'\"/:,;()\[\]<>]+/)+([^\s'\"/:,;()\[\]<>]*)")


def hide_paths(text: str, root: Path | str | None = None) -> str:
    """TEXT with paths under ROOT made relative to it and any other absolute path cut to its last part."""
    if root:
        for form in {str(root), str(Path(root).resolve())}:
            text = text.replace(form.rstrip("/") + "/", "")
    return _ABSOLUTE.sub(lambda m: m.group(1) or "/", text)


def explain(exc: BaseException, root: Path | str | None = None, *, hide: bool = True) -> str:
    """One line for EXC: problem — fix, with no traceback and (unless HIDE is off: a local command line)
    no absolute server path."""
    known = environment_error(exc, root, hide=hide)
    text = known.message if known else one_line(exc)
    return hide_paths(text, root) if hide else text


def environment_error(exc: BaseException, root: Path | str | None = None, *, hide: bool = True) -> DaihuoError | None:
    """A DaihuoError for failures of the machine rather than of the input, or None."""
    for cause in _chain(exc):
        tool = _missing_tool(cause)
        if tool:
            return DaihuoError(f"{tool} is not installed (not found on PATH)",
                               f"install it (apt-get install {TOOLS[tool]}) or put it on PATH, then run the job again")
    text = " ".join(str(c) for c in _chain(exc))
    code = next((c.errno for c in _chain(exc) if isinstance(c, OSError) and c.errno), None)
    where = _where(exc, root, hide)
    at = f" ({where})" if where else ""
    if code in (errno.ENOSPC, errno.EDQUOT) or any(s in text for s in _NO_SPACE):
        return DaihuoError(f"the disk is full{at}",
                           "free space on the disk that holds the output folder, then run the job again "
                           "(finished clips are kept)")
    if code == errno.EROFS or any(s in text for s in _READ_ONLY):
        return DaihuoError(f"the output folder is on a read-only file system{at}",
                           "make it writable, or choose another output folder (--out / DAIHUO_OUT), then run again")
    if code in (errno.EACCES, errno.EPERM) and isinstance(exc, OSError):
        return DaihuoError(f"permission denied{at}",
                           "make the output folder writable for the user that runs daihuo, then run again")
    if isinstance(exc, sqlite3.OperationalError) and "unable to open database file" in text:
        return DaihuoError("the job state (OUT/.daihuo/jobs.sqlite) cannot be opened",
                           "make the output folder writable, or choose another one (--out / DAIHUO_OUT)")
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        return DaihuoError(f"a file is in the way of a folder{at}",
                           "move or delete that file (the output folder is shared?), then run the job again")
    return None


def discard_partials(step: str, directory: Path) -> None:
    """Remove what STEP left half-made in a variant's DIRECTORY after it failed. The caller held the step's
    claim, so nothing else writes these files: the voice folder belongs to the voice step alone, and a render
    step owns its platform's clip, cover, captions and their temporary files."""
    if step == VOICE:
        shutil.rmtree(directory / VOICE_DIR, ignore_errors=True)
        return
    platform = platform_of(step)
    if platform is None or not directory.is_dir():
        return
    try:
        remove_partials(directory, platform)
        for path in clip_paths(directory, platform).values():
            path.unlink(missing_ok=True)
    except OSError:
        pass  # a folder we cannot even list: the failure itself already says why


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _missing_tool(exc: BaseException) -> str | None:
    if isinstance(exc, FileNotFoundError) and exc.filename:
        name = Path(str(exc.filename)).name
        return name if name in TOOLS else None
    return None


def _where(exc: BaseException, root: Path | str | None, hide: bool) -> str:
    """The path a failure names, relative to the output root (or its last part) when HIDE."""
    for cause in _chain(exc):
        name = getattr(cause, "filename", None)
        if name:
            return hide_paths(str(name), root) if hide else str(name)
    return ""
