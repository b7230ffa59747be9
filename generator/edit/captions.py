"""Captions the way Douyin captions read: what is said, in short phrases timed to the voice, one keyword lit.

Verbatim mode splits each spoken line at its punctuation, then splits long pieces at word boundaries, so a
phrase fits one caption line. Each phrase is timed from the voice engine's word timings when it gives them,
else by sharing the line's time in proportion to characters (a comma counts as a short pause). Keywords mode
shows each line's short on-screen caption for the whole line instead. In both, the phrase's keyword (a number
with its unit first, then the writer's keywords, then the most telling word) is marked for highlighting.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from generator.models import LineTiming, Script

_BREAK = "，。！？；：、,.!?;:…"
_KEEP_END = "？！?!"
_HASHTAG = re.compile(r"[#＃]\S+")
NUMBER = re.compile(
    r"[¥￥]?\d+(?:[.,]\d+)?(?:\s?(?:%|％|mAh|ml|mL|kg|g|cm|mm|W|h|inch(?:es)?|hours?|minutes?|mins?|seconds?|"
    r"cups?|levels?|yuan|元|秒|分钟|小时|天|杯|次|档|袋|支|个|件|折|倍|块|毫升|克|斤|年))?")
_EN_STOP = {"the", "a", "an", "and", "or", "for", "to", "of", "in", "on", "at", "it", "is", "this", "that", "you",
            "your", "with", "just", "now", "look", "here", "there", "still", "what", "when", "from", "keep", "one",
            "more", "thing", "part", "key", "down", "usually", "plus", "get", "take", "it's", "don't", "you'll"}
_INTENSIFIERS = "不超很更最真好"


@dataclass(frozen=True)
class Phrase:
    """One caption on screen: its text, when it shows, which line it belongs to, its keyword span."""

    text: str
    start: float
    end: float
    line: int
    keyword: tuple[int, int] | None = None


def max_units(language: str) -> int:
    return 12 if language in ("zh", "th") else 30


def split_phrases(text: str, language: str, limit: int | None = None) -> list[str]:
    """The line in short pieces: at punctuation, then long pieces at word boundaries into equal parts."""
    limit = limit or max_units(language)
    text = _HASHTAG.sub("", text).strip()
    pieces: list[str] = []
    current = ""
    for i, ch in enumerate(text):
        current += ch
        in_number = ch in ".," and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()
        if ch in _BREAK and not in_number:
            pieces.append(current)
            current = ""
    if current.strip():
        pieces.append(current)
    out: list[str] = []
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        n = max(1, -(-_length(piece, language) // limit))
        out += _split_even(piece, language, n) if n > 1 else [piece]
    sep = "" if language in ("zh", "th") else " "
    tiny = 2 if language in ("zh", "th") else 8
    merged: list[str] = []
    carry = ""
    for piece in out:  # a piece of one or two characters (你看，) joins the next one, or the last one at the end
        piece = carry + piece
        carry = ""
        if len(_bare(piece)) <= tiny and _length(piece, language) < limit:
            carry = piece + sep
        else:
            merged.append(piece)
    if carry:
        if merged and _length(merged[-1] + carry, language) <= limit + 4:
            merged[-1] += sep + carry.strip()
        else:
            merged.append(carry.strip())
    return [display(p, language) for p in merged if _bare(p)]


def display(piece: str, language: str) -> str:
    """A caption drops its trailing comma or full stop (Douyin style) but keeps ? and !."""
    piece = piece.strip()
    while piece and piece[-1] in _BREAK and piece[-1] not in _KEEP_END:
        piece = piece[:-1].rstrip()
    return piece


def _bare(text: str) -> str:
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith(("P", "Z")))


def _length(text: str, language: str) -> int:
    return len(text) if language in ("zh", "th") else len(text)


def _words(piece: str, language: str) -> list[str]:
    if language == "zh":
        return _jieba().lcut(piece)
    if language == "th":
        return list(piece)
    return re.findall(r"\S+\s*", piece)


def _split_even(piece: str, language: str, n: int) -> list[str]:
    words = _words(piece, language)
    total = sum(len(w) for w in words)
    parts: list[str] = []
    current = ""
    for word in words:
        target = total * (len(parts) + 1) / n
        done = sum(len(p) for p in parts) + len(current)
        if current and len(parts) < n - 1 and done + len(word) / 2 > target:
            parts.append(current)
            current = ""
        current += word
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def _weight(ch: str, language: str) -> float:
    if ch in _BREAK:
        return 1.2 if language == "zh" else 2.5
    if ch.isspace():
        return 0.0 if language == "zh" else 0.6
    if ord(ch) > 0x2E80:
        return 1.0
    return 0.6 if language == "zh" else 1.0


def time_phrases(timing: LineTiming, phrases: list[str], language: str) -> list[tuple[float, float]]:
    """When each phrase of a line is spoken: from word timings when they align, else by character share."""
    if timing.words:
        timed = _from_words(timing, phrases)
        if timed:
            return timed
    source = _HASHTAG.sub("", timing.text)
    weights = [_weight(ch, language) for ch in source]
    total = sum(weights) or 1.0
    out: list[tuple[float, float]] = []
    cursor, acc = 0, 0.0
    span = timing.end - timing.start
    for phrase in phrases:
        start = timing.start + span * acc / total
        found = source.find(phrase, cursor) if phrase else -1
        stop = found + len(phrase) if found >= 0 else min(len(source), cursor + len(phrase))
        # The phrase owns the pause after it (its punctuation), so the next one starts on its first word.
        while stop < len(source) and (source[stop] in _BREAK or source[stop].isspace()):
            stop += 1
        acc += sum(weights[cursor:stop])
        cursor = stop
        out.append((round(start, 3), round(timing.start + span * acc / total, 3)))
    if out:
        out[-1] = (out[-1][0], timing.end)
    return out


def _norm(text: str) -> str:
    return "".join(ch.lower() for ch in text if ch.isalnum())


def _from_words(timing: LineTiming, phrases: list[str]) -> list[tuple[float, float]] | None:
    words = [(_norm(w), s, e) for w, s, e in timing.words if _norm(w)]
    out: list[tuple[float, float]] = []
    k = 0
    for phrase in phrases:
        need = _norm(phrase)
        got = ""
        start = end = None
        while k < len(words) and len(got) < len(need):
            w, s, e = words[k]
            start = s if start is None else start
            got, end, k = got + w, e, k + 1
        if start is None or end is None or got[: len(need)] != need[: len(got)]:
            return None
        out.append((round(start, 3), round(end, 3)))
    return out


@cache
def _jieba():  # noqa: ANN202 - jieba has no types
    import jieba
    import jieba.analyse

    jieba.setLogLevel(logging.WARNING)
    return jieba


def keyword_span(phrase: str, language: str, hints: tuple[str, ...] = ()) -> tuple[int, int] | None:
    """Where the phrase's keyword is: a number (with its unit), a writer's keyword, else its most telling word."""
    best = max(NUMBER.finditer(phrase), key=lambda m: (bool(re.search(r"\D", m.group().strip("¥￥"))), len(m.group())),
               default=None)
    if best and best.group().strip():
        return best.start(), best.end()
    for hint in sorted(hints, key=len, reverse=True):
        at = phrase.find(hint) if hint else -1
        if at >= 0:
            return at, at + len(hint)
    if language == "zh":
        tags = _jieba().analyse.extract_tags(phrase, topK=3)
        tags = [t for t in tags if len(t) >= 2 and not t.isdigit()]
        if tags:
            at = phrase.find(tags[0])
            if at > 0 and phrase[at - 1] in _INTENSIFIERS:
                at -= 1
            return at, phrase.find(tags[0]) + len(tags[0])
        return None
    words = [(m.start(), m.end(), m.group()) for m in re.finditer(r"[A-Za-z][A-Za-z'-]+", phrase)]
    words = [w for w in words if w[2].lower() not in _EN_STOP and len(w[2]) >= 4]
    if not words:
        return None
    s, e, _ = max(words, key=lambda w: len(w[2]))
    return s, e


def caption_phrases(script: Script, timings: list[LineTiming], language: str, mode: str = "verbatim") -> list[Phrase]:
    """Every caption of the clip, in order. `mode`: verbatim (phrases of what is said) or keywords (lines)."""
    lines = script.lines()
    out: list[Phrase] = []
    for timing in timings:
        hints = tuple(lines[timing.index].keywords) if timing.index < len(lines) else ()
        if mode == "keywords":
            text = display(_HASHTAG.sub("", timing.caption or timing.text), language)
            if text:
                out.append(Phrase(text, timing.start, timing.end, timing.index, keyword_span(text, language, hints)))
            continue
        pieces = split_phrases(timing.text, language)
        for piece, (start, end) in zip(pieces, time_phrases(timing, pieces, language), strict=True):
            out.append(Phrase(piece, start, end, timing.index, keyword_span(piece, language, hints)))
    return out
