"""QC's view of the file: streams and tags (ffprobe), box order (faststart), loudness (ebur128), sampled frames.

All of it is read-only I/O on the clip; each call is one subprocess so a 30 s clip is read back in about a second.
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from generator.compliance.aigc import LabelError


@dataclass(frozen=True)
class Probe:
    video: dict
    audio: dict | None
    duration: float
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def width(self) -> int:
        return int(self.video.get("width", 0))

    @property
    def height(self) -> int:
        return int(self.video.get("height", 0))

    @property
    def fps(self) -> float:
        num, _, den = str(self.video.get("avg_frame_rate", "0/1")).partition("/")
        return float(num) / float(den or 1) if float(den or 1) else 0.0

    def stream_duration(self, stream: dict | None) -> float:
        if not stream:
            return 0.0
        return float(stream.get("duration") or self.duration or 0.0)

    def stream_start(self, stream: dict | None) -> float:
        return float((stream or {}).get("start_time") or 0.0)


def probe(path: Path) -> Probe:
    cmd = ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError as exc:
        raise LabelError("ffprobe not found: install ffmpeg (apt-get install ffmpeg)") from exc
    if proc.returncode != 0:
        raise LabelError(f"ffprobe could not read {path}: {proc.stderr.strip()[-300:] or 'unknown error'}")
    data = json.loads(proc.stdout or "{}")
    streams = data.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    if video is None:
        raise LabelError(f"{path} has no video stream")
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    fmt = data.get("format") or {}
    tags = {str(k): str(v) for k, v in (fmt.get("tags") or {}).items()}
    return Probe(video=video, audio=audio, duration=float(fmt.get("duration") or 0.0), tags=tags)


def keyframe_times(path: Path) -> list[float]:
    """Times of the video's keyframes, from packet flags (no decoding). A frame sampled at a keyframe costs one
    decoded frame; one sampled between keyframes costs the whole run up to it."""
    cmd = ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags",
           "-of", "csv=p=0", str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    times = []
    for row in proc.stdout.splitlines():
        pts, _, flags = row.partition(",")
        if "K" in flags:
            try:
                times.append(float(pts))
            except ValueError:
                continue
    return sorted(times)


def top_level_boxes(path: Path, limit: int = 64) -> list[str]:
    """The MP4 top-level box types in file order (ftyp, moov, mdat ...); faststart means moov before mdat."""
    kinds: list[str] = []
    with path.open("rb") as f:
        size_total = path.stat().st_size
        pos = 0
        while pos < size_total and len(kinds) < limit:
            f.seek(pos)
            header = f.read(16)
            if len(header) < 8:
                break
            size, kind = struct.unpack(">I4s", header[:8])
            if size == 1 and len(header) >= 16:
                size = struct.unpack(">Q", header[8:16])[0]
            elif size == 0:
                size = size_total - pos
            kinds.append(kind.decode("latin-1"))
            if size < 8:
                break
            pos += size
    return kinds


class Loudness:
    """EBU R128 integrated loudness and true peak, measured in a background ffmpeg while frames are read."""

    def __init__(self, path: Path) -> None:
        # framelog=verbose: the summary only, not ten meter lines per second of audio through the pipe
        cmd = ["ffmpeg", "-hide_banner", "-nostats", "-vn", "-i", str(path), "-af", "ebur128=peak=true:framelog=verbose",
               "-f", "null", "-"]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def result(self, timeout: float = 120.0) -> tuple[float | None, float | None]:
        try:
            _, err = self._proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.communicate()
            return None, None
        summary = err[err.rfind("Summary:"):] if "Summary:" in err else ""
        integrated = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
        peak = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)

        def num(m: re.Match[str] | None) -> float | None:
            return None if m is None or m.group(1) == "-inf" else float(m.group(1))

        return num(integrated), num(peak)


def read_frames(path: Path, times: list[float], size: tuple[int, int] | None = None) -> dict[float, np.ndarray]:
    """RGB frames at `times` (seconds), one ffmpeg run with one accurate seek per frame; `size` (w, h) has ffmpeg
    scale them down first, so every later step handles fewer pixels."""
    if not times:
        return {}
    scale_filter = ["-vf", f"scale={size[0]}:{size[1]}"] if size else []
    with tempfile.TemporaryDirectory(prefix="daihuo-qc-") as tmp:
        cmd = ["ffmpeg", "-v", "error", "-y"]
        for t in times:
            cmd += ["-ss", f"{t:.3f}", "-i", str(path)]
        outs = []
        for k in range(len(times)):
            out = Path(tmp) / f"f{k:02d}.bmp"
            cmd += ["-map", f"{k}:v:0", "-frames:v", "1", *scale_filter, str(out)]
            outs.append(out)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        frames: dict[float, np.ndarray] = {}
        for t, out in zip(times, outs, strict=True):
            if out.exists():
                frames[t] = np.asarray(Image.open(out).convert("RGB"))
        if not frames and proc.returncode != 0:
            raise LabelError(f"ffmpeg could not read frames of {path}: {proc.stderr.strip()[-300:]}")
    return frames
