"""Mouth shapes from text and audio energy (pure functions).

Text gives the shape (pinyin finals for Chinese, letter groups for English) spread over each line's timing;
the voice's energy gates it, so silence closes the mouth whatever the text says.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from pypinyin import Style, pinyin

from generator.models import LineTiming

SHAPES = ("closed", "narrow", "open", "round", "wide")
OPENNESS = {"closed": 0, "narrow": 1, "round": 2, "wide": 2, "open": 3}

# Pinyin finals → shape. Checked in order, first prefix/word match wins.
_FINAL_SHAPES: tuple[tuple[str, str], ...] = (
    ("er", "narrow"), ("ui", "wide"), ("un", "narrow"), ("ue", "wide"), ("ve", "wide"), ("van", "open"),
    ("vn", "narrow"),
    ("iong", "round"), ("ong", "round"), ("ou", "round"), ("iu", "round"), ("uo", "round"), ("o", "round"),
    ("ua", "open"), ("uai", "open"), ("uan", "open"), ("uang", "open"),
    ("u", "round"), ("v", "round"), ("ü", "round"),
    ("ia", "open"), ("ian", "wide"), ("iang", "open"), ("iao", "open"), ("ie", "wide"),
    ("in", "wide"), ("ing", "wide"), ("i", "wide"),
    ("a", "open"), ("ai", "open"), ("an", "open"), ("ang", "open"), ("ao", "open"),
    ("ei", "wide"), ("en", "narrow"), ("eng", "narrow"), ("e", "narrow"),
)
_FINAL_MAP = dict(_FINAL_SHAPES)
_BILABIAL = ("b", "p", "m")
_HAN = re.compile(r"[\u3400-\u9fff]")
_TOKEN = re.compile(r"[\u3400-\u9fff]|[A-Za-z']+|\d+|[^\sA-Za-z\d\u3400-\u9fff]")
_PAUSE = set("，。！？；：、,.!?;:…—")
_EN_UNITS = re.compile(r"[aeiouy]+|[^aeiouy]+")


@dataclass(frozen=True)
class Unit:
    shape: str
    weight: float  # relative share of the line's time


def final_shape(final: str) -> str:
    final = final.lower().strip()
    if not final:
        return "narrow"
    if final in _FINAL_MAP:
        return _FINAL_MAP[final]
    for prefix, shape in _FINAL_SHAPES:
        if final.startswith(prefix):
            return shape
    return "narrow"


def _chinese_units(char: str) -> list[Unit]:
    initial = pinyin(char, style=Style.INITIALS, strict=False)[0][0]
    final = pinyin(char, style=Style.FINALS, strict=False)[0][0]
    shape = final_shape(final)
    if initial in _BILABIAL:  # lips meet before the vowel
        return [Unit("closed", 0.3), Unit(shape, 0.7)]
    return [Unit(shape, 1.0)]


def _english_units(word: str) -> list[Unit]:
    units = []
    for part in _EN_UNITS.findall(word.lower()):
        if part[0] in "aeiouy":
            if "o" in part or "u" in part or part == "w":
                shape = "round"
            elif "a" in part:
                shape = "open"
            else:
                shape = "wide"
            units.append(Unit(shape, 1.0 + 0.3 * len(part)))
        elif part[0] in "mbp" or part[-1] in "mbp":
            units.append(Unit("closed", 0.5))
        elif part[0] in "wq":
            units.append(Unit("round", 0.5))
        else:
            units.append(Unit("narrow", 0.4 + 0.1 * len(part)))
    return units


def text_units(text: str) -> list[Unit]:
    """The mouth shapes of a line in speaking order, each with a share of the line's time."""
    units: list[Unit] = []
    for token in _TOKEN.findall(text):
        if _HAN.fullmatch(token):
            units += _chinese_units(token)
        elif token[0].isalpha():
            units += _english_units(token)
        elif token[0].isdigit():
            units += [Unit("narrow", 0.5), Unit("open", 0.5)] * len(token)
        elif token in _PAUSE:
            units.append(Unit("closed", 0.6))
    return units


@dataclass(frozen=True)
class TextTrack:
    """Shape boundaries over time: shapes[i] holds from starts[i] until starts[i+1] (or `ends`)."""

    starts: list[float]
    shapes: list[str]
    ends: list[float]

    def shape_at(self, t: float) -> str | None:
        i = bisect_right(self.starts, t) - 1
        if i < 0 or t >= self.ends[i]:
            return None
        return self.shapes[i]


def text_track(lines: Sequence[LineTiming]) -> TextTrack:
    """Shapes over time. Where the voice engine gave word timings, each word's shapes fill that word's own
    span (so pauses inside a line close the mouth); otherwise a line's shapes are spread over the line."""
    starts: list[float] = []
    shapes: list[str] = []
    ends: list[float] = []
    spans = [(w[0], w[1], w[2]) for x in lines for w in x.words] + [(x.text, x.start, x.end) for x in lines
                                                                     if not x.words]
    for text, begin, end in sorted(spans, key=lambda x: x[1]):
        units = text_units(text)
        span = max(0.0, end - begin)
        total = sum(u.weight for u in units)
        if not units or span <= 0:
            continue
        t = begin
        for unit in units:
            d = span * unit.weight / total
            starts.append(t)
            shapes.append(unit.shape)
            ends.append(t + d)
            t += d
    return TextTrack(starts, shapes, ends)


def mouth_shapes(track: TextTrack, energy: Sequence[float], fps: int, *, quiet: float = 0.12,
                 soft: float = 0.35, full: float = 0.6) -> list[str]:
    """One mouth shape per frame: the text's shape, gated and limited by the frame's energy (0..1).

    Below `quiet` the mouth closes; below `soft` it opens at most to `narrow`; below `full` at most to a
    half-open `round`/`wide` (an `open` vowel spoken softly becomes `wide`); loud frames with no text (speech
    the timings missed) get `narrow` or `open` so the mouth still moves. The voice's loudness so bounds how far
    the mouth opens, the way a speaker's jaw does.
    """
    out = []
    for i, e in enumerate(energy):
        if e < quiet:
            out.append("closed")
            continue
        shape = track.shape_at((i + 0.5) / fps) or ("narrow" if e < full else "open")
        if e < soft and OPENNESS[shape] > 1:
            shape = "narrow"
        elif e < full and shape == "open":
            shape = "wide"
        out.append(shape)
    return _smooth(out)


def _smooth(shapes: list[str]) -> list[str]:
    """Drop one-frame flickers between two equal neighbours (reads as jitter, not speech)."""
    out = list(shapes)
    for i in range(1, len(out) - 1):
        if out[i - 1] == out[i + 1] != out[i] and out[i - 1] != "closed":
            out[i] = out[i - 1]
    return out
