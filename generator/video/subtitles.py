"""SRT and WebVTT captions from the voice track's line timings (pure)."""

from __future__ import annotations

from generator.models import LineTiming


def _stamp(seconds: float, sep: str) -> str:
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def to_srt(lines: list[LineTiming]) -> str:
    blocks = [f"{i}\n{_stamp(t.start, ',')} --> {_stamp(t.end, ',')}\n{t.caption}\n" for i, t in enumerate(lines, 1)]
    return "\n".join(blocks)


def to_vtt(lines: list[LineTiming]) -> str:
    blocks = [f"{_stamp(t.start, '.')} --> {_stamp(t.end, '.')}\n{t.caption}\n" for t in lines]
    return "WEBVTT\n\n" + "\n".join(blocks)
