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
    engine: str = Field(default="", description="what actually spoke this line, fallbacks included")
    voice: str = Field(default="", description="the engine's voice or model that spoke it")


class VoiceEngine(Protocol):
    name: str

    def speak(self, text: str, language: Language, out_path: Path, *, speed: float = 1.0) -> SpokenLine:
        """Synthesize `text` into `out_path` (wav) and report its duration (and word times when known).

        Must be safe to call from several threads at once: the track speaks a script's lines concurrently.
        """
        ...

    def chars_per_second(self, language: Language) -> float:
        """Speaking rate in generator.voice.timing's units (characters for zh/th, words otherwise)."""
        ...


def relabel(line: SpokenLine, engine: str) -> SpokenLine:
    """The same line with the label a wrapper gives it (e.g. 'espeak (fallback from openai: timeout)')."""
    return line.model_copy(update={"engine": engine})
