"""Voice engine `openai`: POST /v1/audio/speech through the official client (OpenAI, or a local Kokoro /
CosyVoice / other server speaking that API), falling back to the offline voice (hibari for English,
espeak-ng otherwise) when the endpoint is unreachable.

After the first failure the rest of the job goes to the offline voice without waiting on the endpoint again;
each such line is labelled e.g. "espeak (fallback from openai: HTTP 503)" for the manifest, and `notes` says why.
"""

from __future__ import annotations

from pathlib import Path

import openai

from generator.models import Language
from generator.settings import Settings, get_settings
from generator.voice.base import SpokenLine, VoiceEngine
from generator.voice.network import AudioError, NetworkFallback, write_wav
from generator.voice.timing import TYPICAL_RATES

__all__ = ["OpenAIVoice", "AudioError", "write_wav", "NEURAL_RATES"]

# Network engines are not measured per job (every measurement would cost a request): typical rates.
NEURAL_RATES = TYPICAL_RATES


class OpenAIVoice(NetworkFallback):
    name = "openai"
    service = "openai"

    def __init__(self, settings: Settings | None = None, *, fallback: VoiceEngine | None = None):
        super().__init__(fallback)
        s = settings or get_settings()
        base_url = s.tts_base_url or s.openai_base_url
        api_key = s.tts_api_key or s.openai_api_key
        self.model, self.voice = s.tts_model, s.tts_voice
        self._missing_key = not api_key and not base_url
        # One retry inside the client for a transient blip; a dead endpoint falls back quickly.
        self._client = openai.OpenAI(api_key=api_key or "not-needed", base_url=base_url, timeout=s.tts_timeout,
                                     max_retries=1)

    def speak(self, text: str, language: Language, out_path: Path, *, speed: float = 1.0) -> SpokenLine:
        if self.down is None:
            try:
                return self._speak(text, out_path, speed)
            except (openai.APIError, AudioError) as exc:
                self.give_up(_reason(exc))
        return self.speak_offline(text, language, out_path, speed)

    def _speak(self, text: str, out_path: Path, speed: float) -> SpokenLine:
        if self._missing_key:
            raise AudioError("OPENAI_API_KEY is not set (or set DAIHUO_TTS_BASE_URL / OPENAI_BASE_URL)")
        response = self._client.audio.speech.create(
            model=self.model, voice=self.voice, input=text, response_format="wav",  # type: ignore[arg-type]
            speed=max(0.25, min(4.0, speed)),
        )
        duration = write_wav(response.read(), out_path)
        return SpokenLine(path=str(out_path), duration=duration, words=[], engine=self.name,
                          voice=f"{self.model}/{self.voice}")

    def chars_per_second(self, language: Language) -> float:
        if self.down is not None:
            return self.fallback().chars_per_second(language)
        return NEURAL_RATES.get(language, 2.5)


def _reason(exc: Exception) -> str:
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connection error"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    return str(exc)[:160]
