"""SRT and WebVTT captions from the voice track's line timings (pure)."""

from __future__ import annotations

import re

from generator.models import LineTiming

_ARROW = re.compile(r"-{2,}>")  # a cue text line with "-->" is read as a new cue's timing line


def _stamp(seconds: float, sep: str) -> str:
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def cue_text(caption: str) -> str:
    """Caption text that stays inside its cue: no blank line (it ends the cue), no "-->" (it starts one)."""
    lines = [_ARROW.sub("→", line).strip() for line in caption.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(line for line in lines if line) or " "


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_srt(lines: list[LineTiming]) -> str:
    blocks = [f"{i}\n{_stamp(t.start, ',')} --> {_stamp(t.end, ',')}\n{cue_text(t.caption)}\n" for i, t in enumerate(lines, 1)]
    return "\n".join(blocks)


def to_vtt(lines: list[LineTiming]) -> str:
    blocks = [f"{_stamp(t.start, '.')} --> {_stamp(t.end, '.')}\n{_vtt_escape(cue_text(t.caption))}\n" for t in lines]
    return "WEBVTT\n\n" + "\n".join(blocks)
