"""One speech-timing model: how long a script takes to say, for the script writers and the voice track alike.

Three parts, each defined once here:
- speech units: characters (letters and digits) for zh/th, which have no word spaces; words otherwise;
- the real silences the voice track puts around lines (lead-in, between lines of a beat, between beats, tail)
  and the few milliseconds it keeps at each line's edges when it trims an engine's own padding;
- the speaking rate of the engine that will read the script, in units per second, measured on the trimmed
  audio of calibration sentences (offline engines) or a typical rate (network engines, where every
  measurement would cost a request). The writer is handed the rate; it never looks an engine up.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.models import Script
    from generator.voice.base import VoiceEngine

# Silences of the voice track, in seconds.
LEAD_IN = 0.35
PAUSE_IN_BEAT = 0.22
PAUSE_BETWEEN_BEATS = 0.45
TAIL = 0.8
# Each line is trimmed to its voiced span plus this much on both sides (generator.voice.audio.trim_silence).
EDGE_PAD = 0.03

CHAR_LANGUAGES = ("zh", "th")
# Typical units per second of a lively neural host at speed 1.0: the rate of network voices, and of any
# voice when none was handed in.
TYPICAL_RATES: dict[str, float] = {"zh": 4.6, "th": 6.0, "en": 2.6, "id": 2.3, "ms": 2.3, "vi": 3.2}

# Calibration: a few lines in the style of the scripts, so the measured rate includes commas and prices.
CALIBRATION: dict[str, tuple[str, ...]] = {
    "zh": ("这款产品轻巧方便，每天都用得上。", "质地轻薄不黏腻，四十八小时持续保湿。", "现在下单还有优惠，点下方小黄车看看吧。"),
    "en": ("This product is light and handy, and you will use it every day.",
           "It feels soft on the skin and keeps it moist for two full days.",
           "There is a deal today, so tap the cart below and take a look."),
    "id": ("Produk ini ringan dan praktis, bisa dipakai setiap hari.", "Ada promo hari ini, klik keranjang di bawah."),
    "ms": ("Produk ini ringan dan mudah, boleh digunakan setiap hari.", "Ada tawaran hari ini, tekan troli di bawah."),
    "th": ("สินค้านี้เบาและใช้งานง่าย ใช้ได้ทุกวัน", "วันนี้มีโปรโมชั่นพิเศษ กดตะกร้าด้านล่างเลย"),
    "vi": ("Sản phẩm này nhẹ và tiện lợi, dùng được mỗi ngày.", "Hôm nay có ưu đãi, bấm vào giỏ hàng bên dưới nhé."),
}


def counts_characters(language: str) -> bool:
    return language in CHAR_LANGUAGES


def unit_name(language: str) -> str:
    return "characters" if counts_characters(language) else "words"


def speech_units(text: str, language: str) -> int:
    """The one way of counting how much there is to say: letters and digits for zh/th, words otherwise."""
    if counts_characters(language):
        return sum(1 for ch in text if unicodedata.category(ch)[0] in "LN")
    return len(text.split())


_HASHTAG = re.compile(r"[#＃]\S+")
_YUAN = re.compile(r"[¥￥]\s*(\d+(?:\.\d+)?)(\s*元)?")


def speakable(text: str, language: str) -> str:
    """What the voice reads: no hashtags; ¥89 read as 89元 / 89 yuan."""
    text = _HASHTAG.sub("", text)
    text = _YUAN.sub(r"\1元" if language == "zh" else r"\1 yuan", text)
    return text.strip() or "。"


def gaps(shape: Sequence[int]) -> list[float]:
    """The silence the track puts after each spoken line, in order; `shape` is the number of lines per beat.

    Between lines of one beat a short pause, between beats a longer one, after the last line the tail.
    """
    out: list[float] = []
    for count in shape:
        out += [PAUSE_IN_BEAT] * (count - 1) + ([PAUSE_BETWEEN_BEATS] if count else [])
    if out:
        out[-1] = TAIL
    return out


def silence_seconds(shape: Sequence[int]) -> float:
    """All the silence the track adds to a script of this shape: lead-in, per-line edges and pauses, tail."""
    lines = sum(shape)
    return (LEAD_IN + 2 * EDGE_PAD * lines + sum(gaps(shape))) if lines else LEAD_IN + TAIL


@dataclass(frozen=True)
class SpeechTiming:
    """Predicts spoken seconds from text for one language at one engine's rate (units per second)."""

    language: str
    rate: float

    @classmethod
    def typical(cls, language: str) -> SpeechTiming:
        return cls(language, TYPICAL_RATES.get(language, 2.5))

    def speech_seconds(self, text: str) -> float:
        """Voiced seconds of one line (without the track's silences)."""
        return speech_units(speakable(text, self.language), self.language) / self.rate

    def seconds(self, beats: Sequence[Sequence[str]]) -> float:
        """The track's whole duration for these beats (each a list of line texts)."""
        shape = [len(lines) for lines in beats]
        return silence_seconds(shape) + sum(self.speech_seconds(t) for lines in beats for t in lines)

    def script_seconds(self, script: Script) -> float:
        return self.seconds([[line.text for line in beat.lines] for beat in script.beats])

    def budget_units(self, duration: float, *, beats: int, lines: int) -> int:
        """Most units that fit `duration` seconds in a script of `beats` beats and `lines` lines."""
        shape = [lines // beats + (1 if i < lines % beats else 0) for i in range(beats)]
        speaking = duration - silence_seconds(shape)
        return max(8, int(max(speaking, duration * 0.5) * self.rate))


def rate_of(rate: float | None, language: str) -> SpeechTiming:
    """A timing model from a rate handed in, or the typical one when there is none."""
    return SpeechTiming(language, rate) if rate and rate > 0 else SpeechTiming.typical(language)


def measure_rate(engine: VoiceEngine, language: str, *, speed: float = 1.0) -> float:
    """Speak the calibration lines with `engine` and count units per voiced second, trimmed exactly as the
    track trims a line (so the prediction and the track agree on what a second of speech is)."""
    from generator.voice.audio import read_mono, trim_silence

    texts = CALIBRATION.get(language, CALIBRATION["en"])
    voiced = 0.0
    with tempfile.TemporaryDirectory(prefix="daihuo-rate-") as tmp:
        for i, text in enumerate(texts):
            spoken = engine.speak(text, language, Path(tmp) / f"cal{i}.wav", speed=speed)  # type: ignore[arg-type]
            audio, rate = read_mono(Path(spoken.path))
            trimmed, _ = trim_silence(audio, rate)
            voiced += max(len(trimmed) / rate - 2 * EDGE_PAD, 0.05)
    units = sum(speech_units(t, language) for t in texts)
    return units / voiced
