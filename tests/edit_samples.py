"""A product, a script in all six beats and a voice track with plausible timings, for edit-stage tests.

No audio is read: the edit stage plans from timings alone. Times follow the voice track's own layout (a lead-in,
lines back to back with short pauses, longer ones between beats).
"""

from __future__ import annotations

from pathlib import Path

from generator.edit.saliency import PhotoInfo
from generator.models import Beat, Line, LineTiming, Product, Script, VoiceTrack

ROOT = Path(__file__).resolve().parent.parent

PRODUCT = Product(
    sku="E-1", title="便携榨汁杯", brand="鲜动", category="小家电", price=199, sale_price=139,
    selling_points=["一键榨汁30秒出杯", "USB-C充电一次可榨15杯", "杯体可拆洗"],
    specs={"容量": "350ml", "电池": "2000mAh", "重量": "420g"}, audience="上班族和健身人群",
    scenes=["办公室", "健身房"], offer="前100名加赠便携杯套",
    images=[str(ROOT / "examples" / "images" / "juicer.jpg")],
)

BEATS = [
    ("hook", [Line(text="上班族和健身人群，是不是总在找一款靠谱的小家电？", caption="还在找靠谱的小家电？")]),
    ("pain", [Line(text="挑来挑去，最怕花了钱却不合适。", caption="怕买错？")]),
    ("demo", [Line(text="一键榨汁30秒出杯。", caption="一键榨汁30秒出杯")]),
    ("demo", [Line(text="你看，USB-C充电一次可榨15杯。", caption="USB-C充电一次可榨15杯")]),
    ("proof", [Line(text="看参数：电池：2000mAh。", caption="电池：2000mAh")]),
    ("offer", [Line(text="日常价199元，现在到手价139元。前100名加赠便携杯套。", caption="到手价 ¥139 前100名加赠便携杯套")]),
    ("cta", [Line(text="喜欢就点左下角小黄车看看吧。", caption="点小黄车看看")]),
]
SECONDS = [5.2, 3.4, 2.1, 2.9, 2.4, 6.1, 2.6]


def script(language: str = "zh") -> Script:
    return Script(sku="E-1", language=language, beats=[Beat(kind=k, lines=lines) for k, lines in BEATS])  # type: ignore[arg-type]


def voice(words: bool = False) -> VoiceTrack:
    """Timings laid out as generator.voice.track lays them out (lead-in 0.35 s, 0.45 s between beats)."""
    cursor = 0.35
    lines: list[LineTiming] = []
    for i, ((_, (line,)), seconds) in enumerate(zip(BEATS, SECONDS, strict=True)):
        timed_words: list[tuple[str, float, float]] = []
        if words:  # one "word" per character, evenly spread: what a word-timing engine reports
            chars = [ch for ch in line.text if ch.isalnum()]
            step = seconds / len(chars)
            timed_words = [(ch, cursor + k * step, cursor + (k + 1) * step) for k, ch in enumerate(chars)]
        lines.append(LineTiming(index=i, text=line.text, caption=line.caption, start=round(cursor, 3),
                                end=round(cursor + seconds, 3), words=timed_words))
        cursor += seconds + 0.45
    return VoiceTrack(path="unused.wav", duration=round(cursor - 0.45 + 0.8, 3), lines=lines, engine="test")


def photo(index: int = 0) -> PhotoInfo:
    return PhotoInfo(index=index, width=900, height=1200, subject=(0.3, 0.12, 0.7, 0.93),
                     details=[(0.36, 0.5, 0.63, 0.86), (0.33, 0.17, 0.6, 0.54), (0.53, 0.57, 0.8, 0.94)])
