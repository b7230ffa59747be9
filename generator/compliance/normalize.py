"""Text views for matching, each with a map back to the original string.

Regulators read 「最 低 价」, 「最·低·价」, 「最低價」 and 「ＴＯＰ１」 as the words they spell, so we match on
normalised copies of the text: traditional → simplified (OpenCC t2s), full-width → half-width and circled digits
→ digits (NFKC), lower case. Every character of a view remembers the index of the original character it came
from, so a match in a view becomes a (start, end) span of the text the merchant wrote.

Two views:
  compact  only CJK ideographs, ASCII letters/digits and "%" (and "." between digits): separators inserted
           between characters disappear. Chinese terms and mixed terms (100%, TOP1) are matched here.
  words    runs of separators collapse to one space; "#", "%" and "+" are kept (PA+++); runs of >= 3 single letters are
           joined ("b e s t" → "best"). English terms are matched here with word boundaries.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF or 0x20000 <= cp <= 0x2FA1F


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@dataclass(frozen=True)
class View:
    """A normalised string plus, for each of its characters, the index in the original text."""

    text: str
    index: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) of view[start:end] (end exclusive)."""
        return self.index[start], self.index[end - 1] + 1


@dataclass(frozen=True)
class Normalized:
    original: str
    full: View  # simplified, half-width, lower-case; nothing removed (used for segmentation)
    compact: View
    words: View


def _simplified(text: str) -> str:
    converted = _t2s().convert(text)
    if len(converted) == len(text):
        return converted
    # OpenCC phrase rules changed the length: fall back to one character at a time so positions hold.
    return "".join(c2 if len(c2 := _t2s().convert(ch)) == 1 else ch for ch in text)


# Emoji that spell a claim (v12: 「💯有效」 is 100%有效). The squared ideographs (🈚 无, 🈶 有, 🉑 可) need nothing here:
# NFKC spells them, in traditional form, and the simplified reading follows.
# v13: 血🍬降下来了, 🩸糖高的宝子; h-recall12 (v14, v15): 💊妆 is 药妆, 改善💤质量 is 改善睡眠质量, 全网🥇 is 全网第一
_EMOJI_WORDS = {"💯": "100%", "🩸": "血", "🍬": "糖", "💊": "药", "💤": "睡眠", "🥇": "第一"}
# Tone-marked pinyin is read toneless (v13: 「tiáo节血tang」), ü as the v the pinyin tables write.
_TONED_U = set("üǖǘǚǜ")


def _toneless(ch: str) -> str:
    if ch in _TONED_U:
        return "v"
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return base if len(base) == 1 and base.isascii() and base.isalpha() else ch


def _full_chars(text: str) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for i, ch in enumerate(_simplified(text)):
        spelled = _EMOJI_WORDS.get(ch) or unicodedata.normalize("NFKC", ch)
        if "\u00c0" <= spelled <= "\u024f" or "\u1e00" <= spelled <= "\u1eff":  # Latin letters with marks
            spelled = _toneless(spelled)
        if spelled != ch and len(spelled) == 1 and is_cjk(spelled):
            spelled = _simplified(spelled)  # 🈚 → 無 → 无
        for n in spelled.lower():
            out.append((n, i))
    return out


def _keep_compact(chars: list[tuple[str, int]], k: int) -> bool:
    ch = chars[k][0]
    if is_cjk(ch) or _is_ascii_alnum(ch) or ch == "%":
        return True
    if ch == "." and 0 < k < len(chars) - 1:
        return chars[k - 1][0].isdigit() and chars[k + 1][0].isdigit()
    return False


def _words(chars: list[tuple[str, int]]) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for ch, i in chars:
        if is_cjk(ch) or _is_ascii_alnum(ch) or ch in "#%+":
            out.append((ch, i))
        elif out and out[-1][0] != " ":
            out.append((" ", i))
    return _join_spelled_out(out)


def _join_spelled_out(chars: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Drop the spaces inside runs of >= 3 single letters/digits ("b e s t" → "best")."""
    tokens: list[list[tuple[str, int]]] = []
    current: list[tuple[str, int]] = []
    for item in chars:
        if item[0] == " ":
            if current:
                tokens.append(current)
            tokens.append([item])
            current = []
        else:
            current.append(item)
    if current:
        tokens.append(current)

    def single(tok: list[tuple[str, int]]) -> bool:
        return len(tok) == 1 and _is_ascii_alnum(tok[0][0])

    out: list[tuple[str, int]] = []
    k = 0
    while k < len(tokens):
        # a run: single, space, single, space, single ...
        j = k
        run = 0
        while j < len(tokens) and single(tokens[j]):
            run += 1
            if j + 2 < len(tokens) and tokens[j + 1][0][0] == " " and single(tokens[j + 2]):
                j += 2
            else:
                j += 1
                break
        if run >= 3:
            for tok in tokens[k:j]:
                if tok[0][0] != " ":
                    out.extend(tok)
            k = j
        else:
            out.extend(tokens[k])
            k += 1
    return out


def _view(chars: list[tuple[str, int]]) -> View:
    return View("".join(c for c, _ in chars), tuple(i for _, i in chars))


def normalize(text: str) -> Normalized:
    chars = _full_chars(text)
    compact = [c for k, c in enumerate(chars) if _keep_compact(chars, k)]
    return Normalized(original=text, full=_view(chars), compact=_view(compact), words=_view(_words(chars)))


@lru_cache(maxsize=4096)
def compact_text(text: str) -> str:
    """The compact form of a lexicon term or any string (for comparisons, not for offsets)."""
    return normalize(text).compact.text


@lru_cache(maxsize=4096)
def words_text(text: str) -> str:
    return normalize(text).words.text.strip()
