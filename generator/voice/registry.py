"""Voice engines by name (settings `voice=` / `--voice`); only the bootstrap calls this."""

from __future__ import annotations

from generator.settings import Settings
from generator.voice.base import VoiceEngine


def get_voice(name: str, settings: Settings) -> VoiceEngine:
    if name == "espeak":
        from generator.voice.espeak import EspeakVoice

        return EspeakVoice()
    if name == "openai":
        from generator.voice.openai_tts import OpenAIVoice

        return OpenAIVoice(settings)
    if name == "edge":
        from generator.voice.edge_tts_voice import EdgeVoice

        return EdgeVoice(settings)
    raise ValueError(f"unknown voice engine '{name}'; choose espeak, openai or edge")
