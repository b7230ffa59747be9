"""Captions the way Douyin captions read: what is said, in short phrases timed to the voice, one keyword lit.

Verbatim mode splits each spoken line at its punctuation, then splits long pieces where a break reads
naturally (after a particle such as 的/了/是, never inside a number with its unit or a Latin word), so a
phrase fits one caption line. Each phrase is timed from the voice engine's word timings when it gives them,
else by sharing the line's time in proportion to characters (a comma counts as a short pause). Keywords mode
shows each line's short on-screen caption for the whole line instead. In both, the phrase's keyword is marked
for highlighting: a number with its unit first, then the writer's keywords, then a word from the product's
own sheet, then a word from assets/edit/emphasis.yaml, else (English) the longest content word.
No segmenter is loaded: jieba's dictionaries cost ~170 MB of memory and a second of start-up per process.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from generator.models import LineTiming, Product, Script
from generator.settings import ASSETS_DIR
from generator.yamlfile import load_yaml

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
_PARTICLES = set("的了是在和与及就都也还很更把被让给对从到着过吗呢吧啊呀")
_TERM_SPLIT = re.compile(r"[\s，。、；：,.;:!?！？()（）/|·和及与的]+")


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
    """Tokens a long piece may break between: Chinese characters one by one (a number keeps its unit and
    punctuation stays with what it ends), Latin words whole."""
    if language in ("zh", "th"):
        tokens = re.findall(r"[A-Za-z0-9][A-Za-z0-9.\-+%]*|\s+|.", piece)
        out: list[str] = []
        for token in tokens:
            glue = out and (token.isspace() or unicodedata.category(token[0]).startswith("P")
                            or (out[-1][-1].isdigit() and _is_cjk_char(token)))  # 30|秒 stay together
            if glue:
                out[-1] += token
            else:
                out.append(token)
        return out
    return re.findall(r"\S+\s*", piece)


def _is_cjk_char(token: str) -> bool:
    return len(token) == 1 and "\u4e00" <= token <= "\u9fff"


_NUMERALS = set("一二两三四五六七八九十几每这那哪半")


def _break_cost(left: str, right: str) -> float:
    """How badly a caption reads when split between `left` and `right` (lower is better)."""
    cost = 0.0
    if left[-1] in _NUMERALS and _is_cjk_char(right[0]):
        cost += 4.0  # 一|款, 两|支: a numeral and its measure word
    if left[-1] in _PARTICLES or unicodedata.category(left[-1]).startswith("P"):
        cost -= 1.5  # 靠谱的|美妆: after a particle or a comma reads naturally
    if left[-1].isascii() != right[0].isascii():
        cost -= 1.0  # USB-C|充电: where the script changes
    return cost


def _split_even(piece: str, language: str, n: int) -> list[str]:
    """`piece` in `n` parts of about equal length, each break where it costs least to read."""
    words = _words(piece, language)
    if len(words) <= n:
        return [w.strip() for w in words if w.strip()]
    total = sum(len(w) for w in words)
    edges = [sum(len(w) for w in words[:i]) for i in range(1, len(words))]  # character offset of each break
    cuts: list[int] = []
    for k in range(1, n):
        target = total * k / n
        options = [i for i in range(1, len(words)) if not cuts or i > cuts[-1]]
        cuts.append(min(options, key=lambda i: abs(edges[i - 1] - target) / 2
                        + (_break_cost(words[i - 1], words[i]) if language in ("zh", "th") else 0.0)))
    bounds = [0, *cuts, len(words)]
    return [p for a, b in zip(bounds, bounds[1:], strict=False) if (p := "".join(words[a:b]).strip())]


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
def emphasis_words(language: str) -> tuple[str, ...]:
    data = load_yaml((ASSETS_DIR / "edit" / "emphasis.yaml").read_text(encoding="utf-8")) or {}
    return tuple(data.get(language, data.get("en", [])))


def sheet_terms(product: Product) -> tuple[str, ...]:
    """Words of the product's own sheet worth lighting up: title, brand, category, audience, scenes, points."""
    fields = [product.title, product.brand, product.category, product.audience, *product.scenes,
              *product.selling_points, *product.specs.values()]
    terms = {t.strip() for field in fields for t in _TERM_SPLIT.split(field) if 2 <= len(t.strip()) <= 8}
    return tuple(sorted(terms))


def keyword_span(phrase: str, language: str, hints: tuple[str, ...] = (), terms: tuple[str, ...] = (),
                 ) -> tuple[int, int] | None:
    """Where the phrase's keyword is: a number with its unit, a writer's keyword, a sheet word, an emphasis
    word (the longest that occurs; the later one on a tie), else (English) its longest content word."""
    best = max(NUMBER.finditer(phrase), key=lambda m: (bool(re.search(r"\D", m.group().strip("¥￥"))), len(m.group())),
               default=None)
    if best and best.group().strip():
        return best.start(), best.end()
    for pool in (hints, terms, emphasis_words(language)):
        # A keyword is part of the phrase, not all of it (lighting a whole caption says nothing).
        found = [(len(w), phrase.rfind(w), w) for w in pool
                 if w and 2 <= len(w) <= 0.7 * len(_bare(phrase)) and w.lower() in phrase.lower()]
        if language != "zh":  # whole words only
            found = [f for f in found if re.search(rf"\b{re.escape(f[2])}\b", phrase, re.IGNORECASE)]
            found = [(n, phrase.lower().rfind(w.lower()), w) for n, _, w in found]
        if found:
            _, at, word = max(found)
            if language == "zh" and at > 0 and phrase[at - 1] in _INTENSIFIERS:
                return at - 1, at + len(word)
            return at, at + len(word)
    if language == "zh":
        return None
    words = [(m.start(), m.end(), m.group()) for m in re.finditer(r"[A-Za-z][A-Za-z'-]+", phrase)]
    words = [w for w in words if w[2].lower() not in _EN_STOP and len(w[2]) >= 4]
    if not words:
        return None
    s, e, _ = max(words, key=lambda w: len(w[2]))
    return s, e


def caption_phrases(script: Script, timings: list[LineTiming], language: str, mode: str = "verbatim",
                    terms: tuple[str, ...] = ()) -> list[Phrase]:
    """Every caption of the clip, in order. `mode`: verbatim (phrases of what is said) or keywords (lines);
    `terms`: the product's own words (sheet_terms), lit when a phrase has no number."""
    lines = script.lines()
    out: list[Phrase] = []
    for timing in timings:
        hints = tuple(lines[timing.index].keywords) if timing.index < len(lines) else ()
        if mode == "keywords":
            text = display(_HASHTAG.sub("", timing.caption or timing.text), language)
            if text:
                out.append(Phrase(text, timing.start, timing.end, timing.index,
                                  keyword_span(text, language, hints, terms)))
            continue
        pieces = split_phrases(timing.text, language)
        for piece, (start, end) in zip(pieces, time_phrases(timing, pieces, language), strict=True):
            out.append(Phrase(piece, start, end, timing.index, keyword_span(piece, language, hints, terms)))
    return out
