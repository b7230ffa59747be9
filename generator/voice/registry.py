"""Voice engines by name (settings `voice=` / `--voice`). Building one is cheap: models load and services are
probed on the first line spoken, so commands that never speak pay nothing."""

from __future__ import annotations

from generator.errors import DaihuoError
from generator.settings import Settings
from generator.voice.base import VoiceEngine

ENGINES = ("auto", "hibari", "espeak", "openai", "edge")


class UnknownVoice(DaihuoError, ValueError):
    default_fix = f"choose one of {', '.join(ENGINES)}"


def get_voice(name: str, settings: Settings) -> VoiceEngine:
    """Only the bootstrap calls this."""
    s = settings
    if name == "auto":
        from generator.voice.auto import AutoVoice

        return AutoVoice(s)
    if name == "hibari":
        from generator.voice.hibari_voice import HibariVoice

        return HibariVoice(s.hibari_voice)
    if name == "espeak":
        from generator.voice.espeak import EspeakVoice

        return EspeakVoice(s.espeak_library)
    if name == "openai":
        from generator.voice.offline import OfflineVoice
        from generator.voice.openai_tts import OpenAIVoice

        return OpenAIVoice(s, fallback=OfflineVoice(s.hibari_voice, s.espeak_library))
    if name == "edge":
        from generator.voice.edge_tts_voice import EdgeVoice
        from generator.voice.offline import OfflineVoice

        return EdgeVoice(s, fallback=OfflineVoice(s.hibari_voice, s.espeak_library))
    raise UnknownVoice(f"unknown voice engine '{name}'")
