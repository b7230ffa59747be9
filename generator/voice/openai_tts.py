"""Voice engine `openai`: POST /v1/audio/speech through the official client (OpenAI, or a local Kokoro /
CosyVoice / other server speaking that API), falling back to espeak-ng when the endpoint is unreachable.

After the first failure the rest of the job goes to espeak-ng without waiting on the endpoint again;
`engine` then reads "espeak (fallback from openai: ...)" for the manifest and `notes` says why.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
import wave
from pathlib import Path

import openai

from generator.errors import DaihuoError
from generator.models import Language
from generator.settings import Settings, get_settings
from generator.voice.base import SpokenLine, VoiceEngine

log = logging.getLogger(__name__)

# Typical speaking rates of neural voices at speed 1.0 (characters/s for zh and th, words/s otherwise);
# network engines are not measured per job because every measurement would cost a request.
NEURAL_RATES: dict[str, float] = {"zh": 4.6, "th": 6.0, "en": 2.6, "id": 2.3, "ms": 2.3, "vi": 3.2}


class AudioError(DaihuoError, RuntimeError):
    pass


def _clean_wav(path: Path) -> float | None:
    """Duration of a well-formed PCM WAV, None when the header is unusable (streamed WAVs often carry a
    placeholder data size)."""
    try:
        with wave.open(str(path), "rb") as w:
            frames, rate = w.getnframes(), w.getframerate()
            expected = frames * w.getsampwidth() * w.getnchannels()
    except (wave.Error, EOFError, OSError):
        return None
    if rate <= 0 or frames <= 0 or expected > path.stat().st_size:
        return None
    return frames / rate


def write_wav(data: bytes, out_path: Path) -> float:
    """Store audio bytes of any format ffmpeg reads as a clean PCM WAV at out_path; returns seconds."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=out_path.parent, prefix=".tts-", suffix=".bin")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        duration = _clean_wav(tmp)
        if duration is not None:
            os.replace(tmp, out_path)
            return duration
        fixed = out_path.with_name(f".tts-{out_path.stem}.fixed.wav")
        done = subprocess.run(["ffmpeg", "-nostdin", "-y", "-v", "error", "-i", str(tmp), "-c:a", "pcm_s16le",
                               str(fixed)], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            fixed.unlink(missing_ok=True)
            raise AudioError(f"the speech server sent audio ffmpeg cannot read: {done.stderr.strip()[:200]}")
        duration = _clean_wav(fixed)
        if duration is None:
            fixed.unlink(missing_ok=True)
            raise AudioError("the speech server sent empty audio")
        os.replace(fixed, out_path)
        return duration
    finally:
        tmp.unlink(missing_ok=True)


class OpenAIVoice:
    name = "openai"

    def __init__(self, settings: Settings | None = None, *, fallback: VoiceEngine | None = None):
        s = settings or get_settings()
        base_url = s.tts_base_url or s.openai_base_url
        api_key = s.tts_api_key or s.openai_api_key
        self.model, self.voice = s.tts_model, s.tts_voice
        self._missing_key = not api_key and not base_url
        # One retry inside the client for a transient blip; a dead endpoint falls back to espeak quickly.
        self._client = openai.OpenAI(api_key=api_key or "not-needed", base_url=base_url, timeout=s.tts_timeout,
                                     max_retries=1)
        self._fallback = fallback
        self.down: str | None = None
        self.notes: list[str] = []

    @property
    def engine(self) -> str:
        """What actually spoke: for the manifest."""
        return "openai" if self.down is None else f"espeak (fallback from openai: {self.down})"

    def _espeak(self) -> VoiceEngine:
        if self._fallback is None:
            from generator.voice.espeak import EspeakVoice

            self._fallback = EspeakVoice()
        return self._fallback

    def speak(self, text: str, language: Language, out_path: Path, *, speed: float = 1.0) -> SpokenLine:
        if self.down is None:
            try:
                return self._speak(text, out_path, speed)
            except (openai.APIError, AudioError) as exc:
                self.down = _reason(exc)
                self.notes.append(f"openai voice unavailable ({self.down}); espeak-ng spoke the rest of the job")
                log.warning("openai TTS failed (%s); falling back to espeak-ng", self.down)
        return self._espeak().speak(text, language, out_path, speed=speed)

    def _speak(self, text: str, out_path: Path, speed: float) -> SpokenLine:
        if self._missing_key:
            raise AudioError("OPENAI_API_KEY is not set (or set DAIHUO_TTS_BASE_URL / OPENAI_BASE_URL)")
        response = self._client.audio.speech.create(
            model=self.model, voice=self.voice, input=text, response_format="wav",  # type: ignore[arg-type]
            speed=max(0.25, min(4.0, speed)),
        )
        duration = write_wav(response.read(), out_path)
        return SpokenLine(path=str(out_path), duration=duration, words=[])

    def chars_per_second(self, language: Language) -> float:
        if self.down is not None:
            return self._espeak().chars_per_second(language)
        return NEURAL_RATES.get(language, 2.5)


def _reason(exc: Exception) -> str:
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connection error"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    return str(exc)[:160]
