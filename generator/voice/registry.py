"""Voice engines by name (settings `voice=` / `--voice`)."""

from __future__ import annotations

from generator.voice.base import VoiceEngine


def get_voice(name: str) -> VoiceEngine:
    if name == "espeak":
        from generator.voice.espeak import EspeakVoice

        return EspeakVoice()
    raise ValueError(f"unknown voice engine '{name}'; choose espeak, openai or edge")
