"""A voice track: the mixed audio file and when each line (and word, where known) is spoken."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LineTiming(BaseModel):
    index: int = Field(description="index into Script.lines()")
    text: str
    caption: str
    start: float
    end: float
    words: list[tuple[str, float, float]] = Field(default_factory=list, description="(word, start, end) when known")



class VoiceTrack(BaseModel):
    path: str
    duration: float
    lines: list[LineTiming]
    engine: str
    voice: str = ""
    loudness_lufs: float | None = None
    music: str | None = None

