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

# Calibration: lines in the style of the scripts (a plain sentence, a spec with numbers after a colon, a price
# line of two sentences), so the measured rate covers what every script has.
CALIBRATION: dict[str, tuple[str, ...]] = {
    "zh": ("这款产品轻巧方便，每天都用得上。", "重点来了：充电30分钟，可以用15次。", "原价199元，现在只要149元。点下方小黄车看看吧。"),
    "en": ("This product is light and handy, and you will use it every day.",
           "Here's the key part: it charges in 30 minutes and lasts for 15 uses.",
           "Usually 199 yuan, now 149 yuan. Tap the cart below and take a look."),
    "id": ("Produk ini ringan dan praktis, bisa dipakai setiap hari.",
           "Yang penting: isi daya 30 menit, bisa dipakai 15 kali.",
           "Biasanya 199 yuan, sekarang 149 yuan. Klik keranjang di bawah."),
    "ms": ("Produk ini ringan dan mudah, boleh digunakan setiap hari.",
           "Yang penting: cas 30 minit, boleh guna 15 kali.",
           "Biasanya 199 yuan, sekarang 149 yuan. Tekan troli di bawah."),
    "th": ("สินค้านี้เบาและใช้งานง่าย ใช้ได้ทุกวัน", "จุดเด่น: ชาร์จ 30 นาที ใช้ได้ 15 ครั้ง",
           "ปกติ 199 หยวน วันนี้ 149 หยวน กดตะกร้าด้านล่างเลย"),
    "vi": ("Sản phẩm này nhẹ và tiện lợi, dùng được mỗi ngày.", "Điểm chính: sạc 30 phút, dùng được 15 lần.",
           "Giá gốc 199 tệ, nay chỉ 149 tệ. Bấm vào giỏ hàng bên dưới nhé."),
}


def counts_characters(language: str) -> bool:
    return language in CHAR_LANGUAGES


def unit_name(language: str) -> str:
    return "characters" if counts_characters(language) else "words"


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# A break inside a line: a sentence ending before more text, or a colon/semicolon. Voices pause there.
_BREAK = re.compile(r"[.!?。！？:：;；](?=\s*\w)")


def speech_units(text: str, language: str) -> int:
    """The one way of counting how much there is to say, as it is spoken.

    Letters for zh/th, words otherwise; a number counts as the characters (zh) or words it is read as
    (199 → 一百九十九, five; "one hundred ninety-nine", four); each break inside the line (a sentence end before
    more text, a colon) counts one more, because every voice pauses there.
    """
    units = len(_BREAK.findall(text))
    rest = _NUMBER.sub(lambda m: " " + " ".join(["#"] * _number_units(m.group(), language)) + " ", text)
    if counts_characters(language):
        return units + sum(1 for ch in rest if unicodedata.category(ch)[0] in "LN" or ch == "#")
    return units + sum(1 for word in rest.split() if any(ch.isalnum() or ch == "#" for ch in word))


def _number_units(number: str, language: str) -> int:
    """How many characters (zh/th) or words a number is read as: 30 → 三十 / "thirty", 0.8 → 零点八 /
    "zero point eight"; digit groups with commas (1,250) read as one number."""
    whole, _, fraction = number.replace(",", "").partition(".")
    count = _integer_units(int(whole[-15:] or 0), counts_characters(language))
    return count + (1 + len(fraction) if fraction else 0)


def _integer_units(n: int, characters: bool) -> int:
    if characters:  # Chinese reading: 万 groups of 千百十 with one 零 for each run of zeros between digits
        if n >= 10_000:
            high, low = divmod(n, 10_000)
            return _integer_units(high, True) + 1 + (_integer_units(low, True) + (low < 1000) if low else 0)
        digits = str(n)
        count, zero_run = 0, False
        for i, d in enumerate(digits):
            place = len(digits) - 1 - i
            if d == "0":
                zero_run = True
                continue
            count += 1 + (1 if zero_run and count else 0) + (1 if place else 0)
            zero_run = False
        return max(1, count - (1 if len(digits) == 2 and digits[0] == "1" else 0))  # 十五, not 一十五
    # Word reading: one to twenty and the tens are one word; hundreds, thousands… add a word each.
    if n <= 20 or (n < 100 and n % 10 == 0):
        return 1
    if n < 100:
        return 2
    for size in (1_000_000_000, 1_000_000, 1_000, 100):
        if n >= size:
            high, low = divmod(n, size)
            return _integer_units(high, False) + 1 + (_integer_units(low, False) if low else 0)
    return 1


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
    from concurrent.futures import ThreadPoolExecutor

    from generator.voice.audio import read_mono, trim_silence

    texts = CALIBRATION.get(language, CALIBRATION["en"])

    def voiced(tmp: str, i: int) -> float:
        spoken = engine.speak(texts[i], language, Path(tmp) / f"cal{i}.wav", speed=speed)  # type: ignore[arg-type]
        audio, rate = read_mono(Path(spoken.path))
        trimmed, _ = trim_silence(audio, rate)
        return max(len(trimmed) / rate - 2 * EDGE_PAD, 0.05)

    # Spoken side by side (the script step waits on this at every start); summed in order, so the rate is the same.
    with tempfile.TemporaryDirectory(prefix="daihuo-rate-") as tmp, \
            ThreadPoolExecutor(max_workers=len(texts), thread_name_prefix="voice-rate") as pool:
        seconds = list(pool.map(lambda i: voiced(tmp, i), range(len(texts))))
    units = sum(speech_units(t, language) for t in texts)
    return units / sum(seconds)
