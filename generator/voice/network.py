"""What the network voices share: clean WAV storage of whatever a service sends, and the fallback to the
offline voice (hibari for English, espeak-ng otherwise) when the service fails."""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
import threading
import wave
from pathlib import Path

from generator.errors import DaihuoError
from generator.models import Language
from generator.voice.base import SpokenLine, VoiceEngine, relabel

log = logging.getLogger(__name__)


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


class NetworkFallback:
    """What a network voice does when its service fails: the offline voice speaks that line and the rest of
    the job, each line labelled with why. Shared by `openai` and `edge`; safe across the track's threads."""

    service = "network"

    def __init__(self, fallback: VoiceEngine | None) -> None:
        self._fallback = fallback
        self._lock = threading.Lock()
        self.down: str | None = None
        self.notes: list[str] = []
        self._last_fallback = ""

    @property
    def engine(self) -> str:
        """What spoke: for logs (the manifest uses each line's own label)."""
        if self.down is None:
            return self.service
        return f"{self._last_fallback or self.fallback().name} (fallback from {self.service}: {self.down})"

    def fallback(self) -> VoiceEngine:
        with self._lock:
            if self._fallback is None:
                from generator.voice.offline import OfflineVoice

                self._fallback = OfflineVoice()
            return self._fallback

    def give_up(self, reason: str) -> None:
        with self._lock:
            if self.down is None:
                self.down = reason
                self.notes.append(f"{self.service} voice unavailable ({reason}); the offline voice spoke the rest of the job")
                log.warning("%s TTS failed (%s); falling back to the offline voice", self.service, reason)

    def speak_offline(self, text: str, language: Language, out_path: Path, speed: float) -> SpokenLine:
        line = self.fallback().speak(text, language, out_path, speed=speed)
        self._last_fallback = line.engine or self.fallback().name
        return relabel(line, f"{self._last_fallback} (fallback from {self.service}: {self.down})")


