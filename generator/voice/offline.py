"""The offline voice for each language: hibari (neural) for English, espeak-ng for the others.

No network, no weights downloaded at run time. If hibari cannot load on this machine, espeak-ng speaks
English too and every such line says so in its engine label (the manifest shows it).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from generator.errors import DaihuoError
from generator.models import Language
from generator.voice.base import SpokenLine, VoiceEngine, relabel
from generator.voice.hibari_voice import DEFAULT_VOICE

log = logging.getLogger(__name__)
NEURAL_LANGUAGES = ("en",)


class OfflineVoice:
    name = "offline"

    def __init__(self, hibari_voice: str = DEFAULT_VOICE, espeak_library: str = "") -> None:
        self.hibari_voice = hibari_voice
        self.espeak_library = espeak_library
        self._hibari: VoiceEngine | None = None
        self._espeak: VoiceEngine | None = None
        self.hibari_down: str | None = None
        self._lock = threading.Lock()

    def espeak(self) -> VoiceEngine:
        with self._lock:
            if self._espeak is None:
                from generator.voice.espeak import EspeakVoice

                self._espeak = EspeakVoice(self.espeak_library)
            return self._espeak

    def hibari(self) -> VoiceEngine:
        with self._lock:
            if self._hibari is None:
                from generator.voice.hibari_voice import HibariVoice

                self._hibari = HibariVoice(self.hibari_voice)
            return self._hibari

    def uses_hibari(self, language: str) -> bool:
        return language in NEURAL_LANGUAGES and self.hibari_down is None

    def speak(self, text: str, language: Language, out_path: Path, *, speed: float = 1.0) -> SpokenLine:
        if self.uses_hibari(language):
            try:
                return self.hibari().speak(text, language, out_path, speed=speed)
            except (ImportError, OSError, DaihuoError) as exc:  # the wheel or its runtime is missing here
                self.hibari_down = f"{type(exc).__name__}: {exc}"[:160]
                log.warning("hibari unavailable (%s); espeak-ng speaks English", self.hibari_down)
        line = self.espeak().speak(text, language, out_path, speed=speed)
        if language in NEURAL_LANGUAGES:
            return relabel(line, f"espeak (hibari unavailable: {self.hibari_down})")
        return line

    def chars_per_second(self, language: Language) -> float:
        if self.uses_hibari(language):
            try:
                return self.hibari().chars_per_second(language)
            except (ImportError, OSError, DaihuoError) as exc:
                self.hibari_down = f"{type(exc).__name__}: {exc}"[:160]
        return self.espeak().chars_per_second(language)
