"""espeak-ng: the offline voice. Robotic, but always there, fast, and it never leaves the machine."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from functools import cache
from pathlib import Path

from generator.errors import DaihuoError
from generator.models import Language
from generator.voice.base import SpokenLine

# espeak-ng voice per script language, and a words-per-minute rate that sounds like a brisk host.
VOICES: dict[str, tuple[str, int]] = {
    "zh": ("cmn", 280),
    "en": ("en-us", 170),
    "id": ("id", 165),
    "ms": ("ms", 165),
    "th": ("th", 170),
    "vi": ("vi", 170),
}
_CALIBRATION = {
    "zh": "这款产品轻巧方便，每天都用得上，现在下单还有优惠活动。",
    "en": "This product is light and handy, you will use it every day, and there is a deal today.",
    "id": "Produk ini ringan dan praktis, bisa dipakai setiap hari, dan ada promo hari ini.",
    "ms": "Produk ini ringan dan mudah, boleh digunakan setiap hari, dan ada tawaran hari ini.",
    "th": "สินค้านี้เบาและใช้งานง่าย ใช้ได้ทุกวัน และวันนี้มีโปรโมชั่นพิเศษ",
    "vi": "Sản phẩm này nhẹ và tiện lợi, dùng được mỗi ngày, và hôm nay có ưu đãi.",
}


class EspeakError(DaihuoError, RuntimeError):
    pass


def wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / float(w.getframerate())


def text_units(text: str, language: str) -> int:
    """Speaking length unit: characters for zh/th (no word spaces), words otherwise."""
    if language in ("zh", "th"):
        return sum(1 for ch in text if ch.isalnum())
    return len(text.split())


class EspeakVoice:
    name = "espeak"

    def __init__(self) -> None:
        if shutil.which("espeak-ng") is None:
            raise EspeakError("espeak-ng is not installed: run `make setup` (apt-get install espeak-ng)")

    def speak(self, text: str, language: Language, out_path: Path, *, speed: float = 1.0) -> SpokenLine:
        voice, wpm = VOICES.get(language, VOICES["en"])
        out_path.parent.mkdir(parents=True, exist_ok=True)
        cmd = ["espeak-ng", "-v", voice, "-s", str(int(wpm * speed)), "-w", str(out_path), "--stdin"]
        proc = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True, timeout=60)
        if proc.returncode != 0 or not out_path.exists():
            raise EspeakError(f"espeak-ng failed for {text[:30]!r}: {proc.stderr.decode(errors='replace')}")
        return SpokenLine(path=str(out_path), duration=wav_duration(out_path))

    def chars_per_second(self, language: Language) -> float:
        return _measured_rate(language)


@cache
def _measured_rate(language: str) -> float:
    """Speak a calibration sentence once per process and measure units per second."""
    text = _CALIBRATION.get(language, _CALIBRATION["en"])
    with tempfile.TemporaryDirectory() as tmp:
        line = EspeakVoice().speak(text, language, Path(tmp) / "cal.wav")  # type: ignore[arg-type]
    return text_units(text, language) / max(line.duration, 0.1)
