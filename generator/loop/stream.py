"""Push a loop's schedule to a live ingest (RTMP, or any ffmpeg output URL) in real time, and keep going.

ffmpeg reads the ffconcat playlist with -re, overlays the AIGC label with drawtext for the whole stream and
encodes once. When the connection drops, ffmpeg exits; we restart it with exponential backoff from the
playlist entry (and offset inside it) where the stream had got to, measured from ffmpeg's -progress output.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import DaihuoError
from generator.loop.media import MediaError, _tool, cjk_font, probe
from generator.loop.models import Schedule
from generator.loop.playlist import ffconcat_text

PLAN = "plan.json"


class StreamError(DaihuoError, RuntimeError):
    pass


@dataclass
class StreamReport:
    played: float = 0.0
    restarts: int = 0
    finished: bool = False
    errors: list[str] = field(default_factory=list)


def output_format(url: str) -> str | None:
    """ffmpeg muxer for an output URL: flv for RTMP, MPEG-TS for udp/tcp/srt, else by file extension."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("rtmp", "rtmps", "rtmpt", "rtmpe"):
        return "flv"
    if scheme in ("udp", "tcp", "srt", "rtp"):
        return "mpegts"
    ext = Path(url).suffix.lower()
    return {".flv": "flv", ".ts": "mpegts", ".m3u8": "hls", ".mkv": "matroska", ".mp4": "mp4"}.get(ext)


def locate(schedule: Schedule, position: float) -> tuple[int, float]:
    """(entry index, seconds into that entry) at `position` seconds into the schedule."""
    for i, e in enumerate(schedule.entries):
        if position < e.start + e.duration - 1e-3:
            return i, max(0.0, position - e.start)
    return len(schedule.entries), 0.0


def label_filter(label_file: Path, width: int, height: int) -> str:
    """drawtext for the AIGC label: top-left corner, glyphs >= 5 % of the short side (GB 45438-2025)."""
    short = min(width, height)
    size = int(short * 0.05 / 0.85) + 2  # CJK glyphs fill ~85 % of the em box
    x, y = round(width * 0.04), round(height * (0.09 if height > width else 0.06))
    font = cjk_font().replace(":", r"\:")
    path = str(label_file).replace(":", r"\:").replace("'", r"\'")
    # expansion=none: drawtext would otherwise read "%{…}" in the text as a function and a lone "%" as an error.
    return (f"drawtext=fontfile={font}:textfile={path}:expansion=none:fontsize={size}:fontcolor=white:"
            f"box=1:boxcolor=black@0.45:boxborderw={max(2, size // 5)}:x={x}:y={y}")


def ffmpeg_command(playlist: Path, url: str, vf: str, fps: int, *, preset: str = "veryfast",
                   video_bitrate: str = "2500k") -> list[str]:
    fmt = output_format(url)
    args = [_tool("ffmpeg"), "-hide_banner", "-nostdin", "-v", "error", "-progress", "pipe:1", "-re",
            "-f", "concat", "-safe", "0", "-i", str(playlist), "-vf", vf,
            "-c:v", "libx264", "-preset", preset, "-tune", "zerolatency", "-pix_fmt", "yuv420p",
            "-b:v", video_bitrate, "-maxrate", video_bitrate, "-bufsize", video_bitrate, "-g", str(2 * fps),
            "-c:a", "aac", "-b:a", "128k", "-ar", "44100", "-ac", "2"]
    if fmt == "flv":
        args += ["-flvflags", "no_duration_filesize"]
    if fmt:
        args += ["-f", fmt]
    return args + ["-y", url]


def _run_once(cmd: list[str], on_progress: Callable[[float], None]) -> tuple[int, float, str]:
    """Run ffmpeg, following its -progress output; (exit code, seconds it sent, stderr tail)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tail: deque[str] = deque(maxlen=20)
    reader = threading.Thread(target=lambda: tail.extend(proc.stderr or []), daemon=True)
    reader.start()
    sent = 0.0
    try:
        for line in proc.stdout or []:
            if line.startswith("out_time_us=") and line.strip() != "out_time_us=N/A":
                sent = max(sent, int(line.split("=", 1)[1]) / 1e6)
                on_progress(sent)
        rc = proc.wait()
    except BaseException:
        proc.terminate()
        proc.wait(timeout=10)
        raise
    reader.join(timeout=2)
    return rc, sent, "".join(tail).strip()


def stream_loop(loop_dir: Path, url: str, *, label: str, retries: int = 20, backoff: float = 1.0,
                backoff_max: float = 30.0, start: float = 0.0,
                log: Callable[[str], None] = lambda _m: None) -> StreamReport:
    """Stream the schedule in loop_dir/plan.json to `url`, resuming after drops; returns when it has all played.

    `retries` consecutive failed attempts (an attempt that streamed >= 10 s resets the count) raise
    StreamError. The label is drawn on every frame, so fillers and interstitials carry it too.
    """
    schedule = Schedule.model_validate_json((loop_dir / PLAN).read_text(encoding="utf-8"))
    if not schedule.entries:
        raise StreamError(f"{loop_dir / PLAN} has no entries")
    first = loop_dir / schedule.segments[schedule.entries[0].segment].path
    try:
        video = next(s for s in probe(first)["streams"] if s["codec_type"] == "video")
    except (MediaError, StopIteration) as exc:
        raise StreamError(f"cannot read the first segment {first}: {exc}; run `daihuo loop build` again") from exc
    fps = round(eval_fraction(video.get("avg_frame_rate", "30/1"))) or 30
    label_file = loop_dir / "stream_label.txt"
    label_file.write_text(label, encoding="utf-8")
    vf = label_filter(label_file, int(video["width"]), int(video["height"]))
    report = StreamReport()
    position, failures = start, 0
    while position < schedule.total - 0.5:
        index, offset = locate(schedule, position)
        if index >= len(schedule.entries):
            break
        playlist = loop_dir / "stream.resume.ffconcat"
        playlist.write_text(ffconcat_text(schedule, index, offset), encoding="utf-8")
        log(f"streaming from entry {index} (+{offset:.1f}s), {position:.1f}s of {schedule.total:.0f}s")
        rc, sent, err = _run_once(ffmpeg_command(playlist, url, vf, fps), lambda _s: None)
        position += sent
        report.played = position
        if rc == 0:
            report.finished = True
            break
        failures = 1 if sent >= 10 else failures + 1
        report.errors.append(err or f"ffmpeg exit {rc}")
        if failures > retries:
            raise StreamError(f"gave up after {retries} failed attempts to stream to {url}: {err[-300:]}")
        wait = min(backoff_max, backoff * 2 ** (failures - 1))
        log(f"stream dropped at {position:.1f}s ({err.splitlines()[-1] if err else rc}); retrying in {wait:.0f}s")
        report.restarts += 1
        time.sleep(wait)
    report.finished = report.finished or position >= schedule.total - 0.5
    return report


def eval_fraction(text: str) -> float:
    num, _, den = text.partition("/")
    try:
        return float(num) / float(den or 1)
    except (ValueError, ZeroDivisionError):
        return 0.0
