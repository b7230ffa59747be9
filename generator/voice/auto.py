"""Voice engine `auto` (the default): the best voice this machine can reach, chosen once per language per job.

In the order of `DAIHUO_VOICE_AUTO_ORDER` (default openai, edge, offline):
- openai: an OpenAI-compatible /v1/audio/speech server, when DAIHUO_TTS_BASE_URL or OPENAI_BASE_URL is set
  and GET /models answers within DAIHUO_VOICE_PROBE_TIMEOUT seconds;
- edge: Microsoft Edge's online voices, when their host accepts a connection in that time;
- offline: hibari for English, espeak-ng for the other languages.
Every check is bounded in time, so an offline machine falls through to the offline voice in about a second
at worst. The network engines keep their own fallback (to the offline voice) for failures later in the job;
each line records what really spoke it, and the manifest shows those labels.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from generator.models import Language
from generator.settings import Settings
from generator.voice import probe
from generator.voice.base import SpokenLine, VoiceEngine
from generator.voice.offline import OfflineVoice

# The host edge-tts speaks to (the host of edge_tts.constants.BASE_URL; tests/test_voice_auto.py checks they agree).
# Named here because importing edge_tts only to read it costs a cold `daihuo make` 0.16 s (it pulls in aiohttp).
EDGE_HOST = "speech.platform.bing.com"

log = logging.getLogger(__name__)
CHOICES = ("openai", "edge", "offline")


class AutoVoice:
    name = "auto"

    def __init__(self, settings: Settings, *, offline: OfflineVoice | None = None) -> None:
        self.settings = settings
        self.offline = offline or OfflineVoice(settings.hibari_voice, settings.espeak_library)
        self.order = [c.strip() for c in settings.voice_auto_order.split(",") if c.strip() in CHOICES] or ["offline"]
        self.timeout = settings.voice_probe_timeout
        self.chosen: dict[str, str] = {}  # language -> engine name, for notes and tests
        self.notes: list[str] = []
        self._engines: dict[str, VoiceEngine] = {}
        self._probes: dict[str, str | None] = {}
        self._lock = threading.Lock()

    @property
    def engine(self) -> str:
        return "auto (" + ", ".join(f"{lang}: {name}" for lang, name in self.chosen.items()) + ")"

    def engine_for(self, language: str) -> VoiceEngine:
        with self._lock:
            if language not in self.chosen:
                self.chosen[language] = self._choose(language)
            name = self.chosen[language]
            return self.offline if name == "offline" else self._engines[name]

    def speak(self, text: str, language: Language, out_path: Path, *, speed: float = 1.0) -> SpokenLine:
        return self.engine_for(language).speak(text, language, out_path, speed=speed)

    def chars_per_second(self, language: Language) -> float:
        return self.engine_for(language).chars_per_second(language)

    # -- choosing ------------------------------------------------------------------------------------
    def _choose(self, language: str) -> str:
        skipped: list[str] = []
        for name in self.order:
            if name == "offline":
                break
            why = self._why_not(name)
            if why is None:
                self.notes.append(f"auto voice for {language}: {name}")
                return name
            skipped.append(f"{name}: {why}")
        offline = "hibari" if self.offline.uses_hibari(language) else "espeak"
        self.notes.append(f"auto voice for {language}: {offline} (offline" + (f"; {'; '.join(skipped)})" if skipped else ")"))
        log.info(self.notes[-1])
        return "offline"

    def _why_not(self, name: str) -> str | None:
        if name not in self._probes:
            self._probes[name] = self._probe(name)
            if self._probes[name] is None:
                self._engines[name] = self._build(name)
        return self._probes[name]

    def _probe(self, name: str) -> str | None:
        s = self.settings
        if name == "openai":
            base_url = s.tts_base_url or s.openai_base_url
            if not base_url:
                return "no speech server configured (DAIHUO_TTS_BASE_URL / OPENAI_BASE_URL)"
            return probe.speech_server_reason(base_url, s.tts_api_key or s.openai_api_key, self.timeout)
        host, port = probe.host_port(s.edge_proxy or f"wss://{EDGE_HOST}", 443)
        return probe.tcp_reason(host, port, self.timeout)

    def _build(self, name: str) -> VoiceEngine:
        if name == "openai":
            from generator.voice.openai_tts import OpenAIVoice

            return OpenAIVoice(self.settings, fallback=self.offline)
        from generator.voice.edge_tts_voice import EdgeVoice

        return EdgeVoice(self.settings, fallback=self.offline)
