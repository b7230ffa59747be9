"""The voice protocol: any engine that speaks one line of text into an audio file."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, Field

from generator.models import Language


class SpokenLine(BaseModel):
    path: str
    duration: float
    words: list[tuple[str, float, float]] = Field(default_factory=list, description="(word, start, end) if known")


class VoiceEngine(Protocol):
    name: str

    def speak(self, text: str, language: Language, out_path: Path, *, speed: float = 1.0) -> SpokenLine:
        """Synthesize `text` into `out_path` (wav) and report its duration (and word times when known)."""
        ...

    def chars_per_second(self, language: Language) -> float:
        """Measured speaking rate (characters for zh/th, words for space-separated languages)."""
        ...
