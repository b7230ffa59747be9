"""Voice engine `edge`: Microsoft Edge's online neural voices through the edge-tts package, with its word
boundaries (start and end of every word) for caption timing. Needs internet; falls back to the offline voice
(hibari for English, espeak-ng otherwise) when the service cannot be reached, and after the first failure
speaks the rest of the job offline directly.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from pathlib import Path

from generator.models import Language
from generator.settings import Settings, get_settings
from generator.voice.base import SpokenLine, VoiceEngine
from generator.voice.network import AudioError, NetworkFallback, write_wav
from generator.voice.timing import TYPICAL_RATES

# One natural default voice per script language (override with DAIHUO_EDGE_VOICE).
DEFAULT_VOICES: dict[str, str] = {
    "zh": "zh-CN-XiaoxiaoNeural", "en": "en-US-AriaNeural", "id": "id-ID-GadisNeural",
    "ms": "ms-MY-YasminNeural", "th": "th-TH-PremwadeeNeural", "vi": "vi-VN-HoaiMyNeural",
}
TICKS = 10_000_000  # edge-tts offsets and durations are in 100 ns units


def rate_arg(speed: float) -> str:
    """edge-tts wants the speed as a signed percentage: 1.1 -> '+10%'."""
    return f"{round((speed - 1.0) * 100):+d}%"


class EdgeVoice(NetworkFallback):
    name = "edge"
    service = "edge"

    def __init__(self, settings: Settings | None = None, *, fallback: VoiceEngine | None = None):
        super().__init__(fallback)
        s = settings or get_settings()
        self.voice_override = s.edge_voice
        self.proxy = s.edge_proxy
        self.timeout = s.tts_timeout

    def voice_for(self, language: Language) -> str:
        return self.voice_override or DEFAULT_VOICES.get(language, DEFAULT_VOICES["en"])

    def speak(self, text: str, language: Language, out_path: Path, *, speed: float = 1.0) -> SpokenLine:
        if self.down is None:
            try:
                return self._speak(text, language, out_path, speed)
            except Exception as exc:  # noqa: BLE001 - aiohttp, edge-tts and timeout errors all mean "unreachable"
                self.give_up(f"{type(exc).__name__}: {exc}"[:160])
        return self.speak_offline(text, language, out_path, speed)

    def _speak(self, text: str, language: Language, out_path: Path, speed: float) -> SpokenLine:
        import edge_tts  # imported here: only this engine needs it

        async def collect() -> tuple[bytes, list[tuple[str, float, float]]]:
            communicate = edge_tts.Communicate(
                text, self.voice_for(language), rate=rate_arg(speed), boundary="WordBoundary",
                proxy=self.proxy, connect_timeout=int(max(1, self.timeout)), receive_timeout=int(max(1, self.timeout)),
            )
            audio = bytearray()
            words: list[tuple[str, float, float]] = []
            async for chunk in communicate.stream():
                if chunk["type"] == "audio":
                    audio += chunk.get("data", b"")
                elif chunk["type"] == "WordBoundary":
                    start = float(chunk.get("offset", 0)) / TICKS
                    end = start + float(chunk.get("duration", 0)) / TICKS
                    words.append((str(chunk.get("text", "")), round(start, 3), round(end, 3)))
            return bytes(audio), words

        # A fresh event loop in a worker thread works whether or not the caller already runs one
        # (edge-tts's own stream_sync hangs when the stream raises).
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            audio, words = pool.submit(asyncio.run, collect()).result(timeout=self.timeout * 3 + 5)
        if not audio:
            raise AudioError("edge-tts returned no audio")
        duration = write_wav(audio, out_path)
        return SpokenLine(path=str(out_path), duration=duration, words=words, engine=self.name,
                          voice=self.voice_for(language))

    def chars_per_second(self, language: Language) -> float:
        if self.down is not None:
            return self.fallback().chars_per_second(language)
        return TYPICAL_RATES.get(language, 2.5)
