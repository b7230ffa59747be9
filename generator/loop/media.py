"""ffmpeg/ffprobe calls the loop needs (the edge: processes and files)."""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from generator.errors import DaihuoError


class MediaError(DaihuoError, RuntimeError):
    pass


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise MediaError(f"{name} not found on PATH; install ffmpeg (apt-get install ffmpeg)")
    return path


def run(args: list[str], what: str) -> None:
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        raise MediaError(f"{what} failed (ffmpeg exit {proc.returncode}): {proc.stderr.strip()[-600:]}")


def probe(path: str | Path, *extra: str) -> dict:
    proc = subprocess.run([_tool("ffprobe"), "-v", "error", "-print_format", "json", "-show_format",
                           "-show_streams", *extra, str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise MediaError(f"ffprobe could not read {path}: {proc.stderr.strip()[-400:]}")
    return json.loads(proc.stdout)


def duration(path: str | Path) -> float:
    return float(probe(path)["format"]["duration"])


REMUX_BATCH = 48  # mp4s remuxed by one ffmpeg process (each output maps only its own input)


def remux_all(pairs: list[tuple[Path, Path]], batch: int = REMUX_BATCH) -> list[Path]:
    """Copy the streams of each mp4 `src` into the MPEG-TS `dst` once, for HLS (no re-encode); a dst that exists
    is kept. `batch` files per ffmpeg process: a day's loop has hundreds of segments, and starting ffmpeg costs
    more than copying a short clip's packets (the bytes are the same as one process per file). A batch that
    fails is redone file by file, so the error names the file."""
    todo = list(dict.fromkeys((src, dst) for src, dst in pairs if not dst.exists()))
    for i in range(0, len(todo), batch):
        chunk = todo[i:i + batch]
        args = [_tool("ffmpeg"), "-y", "-v", "error"]
        for src, _dst in chunk:
            args += ["-i", str(src)]
        for n, (_src, dst) in enumerate(chunk):
            args += ["-map", str(n), "-c", "copy", "-f", "mpegts", str(dst.with_suffix(".part.ts"))]
        what = f"remux {chunk[0][0].name} to MPEG-TS" if len(chunk) == 1 else f"remux {len(chunk)} segments"
        try:
            run(args, what)
        except MediaError:
            if len(chunk) == 1:
                raise
            remux_all(chunk, batch=1)
            continue
        for _src, dst in chunk:
            dst.with_suffix(".part.ts").replace(dst)
    return [dst for _src, dst in pairs]


def cut_ts(src: Path, dst: Path, seconds: float) -> Path:
    """The first `seconds` of src, re-encoded (exact cut) as MPEG-TS: the HLS form of a trimmed last entry."""
    if not dst.exists():
        tmp = dst.with_suffix(".part.ts")
        run([_tool("ffmpeg"), "-y", "-v", "error", "-i", str(src), "-t", f"{seconds:.3f}", "-c:v", "libx264",
             "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "mpegts", str(tmp)],
            f"cut the last {seconds:.1f}s entry")
        tmp.replace(dst)
    return dst


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """Path of the Noto Sans CJK font (fonts-noto-cjk) for on-screen Chinese labels."""
    candidates = ["/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                  "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"]
    for c in candidates:
        if Path(c).exists():
            return c
    if shutil.which("fc-match"):
        out = subprocess.run(["fc-match", "-f", "%{file}", "Noto Sans CJK SC"], capture_output=True, text=True)
        if out.returncode == 0 and Path(out.stdout).exists():
            return out.stdout
    raise MediaError("Noto Sans CJK not found; install fonts-noto-cjk (apt-get install fonts-noto-cjk)")
