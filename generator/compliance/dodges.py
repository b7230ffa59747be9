"""Filter dodges read back into the words they hide: 「jiang糖」 is 降糖, 「m白」 is 美白, 「y-a-o妆」 is 药妆.

Sellers spell the banned part of a word in pinyin (full syllables or initials) so that keyword filters miss it.
This module gives a PHONETIC reading of such mixed spans: a run of latin letters next to Hanzi is cut into pinyin
syllables (or, for one or two letters, initials), joined with its Hanzi neighbours and compared, syllable by
syllable, with the pinyin of the rule vocabulary (pypinyin). A reading is only a candidate: the matcher puts the
hidden word in place and keeps a finding only when a rule fires on it (matcher.py), so a reading that spells an
innocent word costs nothing.

What it will not read, on purpose (precision):
  - a latin run touching a digit (SPF50, N95, 5G, G20230123, KQ-2305B): ratings, codes and numbers;
  - latin alone, with no Hanzi of the word written (yyds, meibai, Anta, Meiji): pure latin is English, a brand or
    a handle far more often than a dodge;
  - a reading whose Hanzi are all homophones: at least one Hanzi of the hidden word must be written as itself
    (jiang湖 is 江湖, not a word of ours);
  - initials longer than two letters (omg, yyds, xswl): internet slang, not a spelled word;
  - one-character words (最, 癌): a single letter next to Hanzi (T恤, Q弹, A醇, M码) would read as anything.
Separators inside a Chinese word (美/白, 祛*斑, 美 白) need nothing here: the compact view drops them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from pathlib import Path

from generator.compliance.normalize import Normalized, is_cjk

MIN_WORD, MAX_WORD = 2, 8  # characters of a vocabulary word
MAX_CONTEXT = 6  # Hanzi read on each side of a latin run
MAX_INITIALS = 2  # letters of a run read as initials (m白, q斑)
MAX_SEGMENTATIONS = 8
_LATIN_RUN = re.compile(r"[a-z]+")
# a reading stays inside one phrase: 「尺码是S，最大到3XL」 must not read 是S，最 as 史上最
_PHRASE_BREAK = re.compile(r"[，。！？；、,!?;：:\n…~～（）()【】\[\]《》「」“”\"'#]")
# pypinyin's syllables for interjections (呣 m, 嗯 n/ng, 哼 hng): a letter m or n is an initial, not a syllable
_NOT_SYLLABLES = {"m", "n", "ng", "hm", "hng", "ê"}


@dataclass(frozen=True)
class Reading:
    """The original span [start, end) of a dodged form and the vocabulary word it spells."""

    start: int
    end: int
    hidden: str
    spelled: tuple[int, int]  # the characters of `hidden` the latin letters stand for (hidden[a:b])


@lru_cache(maxsize=1)
def _pinyin_table() -> dict[int, str]:
    """pypinyin's character table (code point → readings), loaded on its own: importing it as
    `pypinyin.pinyin_dict` runs the package's __init__ first, which loads the phrase dictionaries too (0.2 s more,
    and nothing here uses them)."""
    import importlib.util

    spec = importlib.util.find_spec("pypinyin")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("pypinyin is not installed: pip install 'pypinyin>=0.55,<1'")
    table = importlib.util.spec_from_file_location("_daihuo_pinyin_table", Path(spec.origin).parent / "pinyin_dict.py")
    if table is None or table.loader is None:
        raise ModuleNotFoundError("pypinyin has no pinyin_dict.py: reinstall pypinyin")
    module = importlib.util.module_from_spec(table)
    table.loader.exec_module(module)
    return module.pinyin_dict


_TONE_MARKS = {ord(c): None for c in "\u0300\u0301\u0304\u030c"}


@lru_cache(maxsize=16384)
def _char_pinyins(ch: str) -> frozenset[str]:
    """Every toneless reading of one Hanzi (降: jiang, xiang), from pypinyin's table (ü written v)."""
    marked = _pinyin_table().get(ord(ch), "")
    readings = unicodedata.normalize("NFD", marked).replace("u\u0308", "v").translate(_TONE_MARKS)
    return frozenset(r for r in readings.split(",") if r.isascii() and r.isalpha())


def _word_pinyin(word: str) -> tuple[frozenset[str], ...] | None:
    readings = tuple(_char_pinyins(c) for c in word)
    return readings if all(readings) else None


class DodgeReader:
    """Built once from the rule vocabulary (CJK words of 2–8 characters): an index by the syllables' first letters."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self.index: dict[tuple[str, ...], list[tuple[str, tuple[frozenset[str], ...]]]] = {}
        self.syllables: set[str] = set()
        for word in sorted(set(vocabulary)):
            if not MIN_WORD <= len(word) <= MAX_WORD or not all(is_cjk(c) for c in word):
                continue
            readings = _word_pinyin(word)
            if readings is None:
                continue
            for syllables in readings:
                self.syllables.update(syllables)
            for key in product(*({s[0] for s in syllables} for syllables in readings)):
                self.index.setdefault(key, []).append((word, readings))
        self.syllables -= _NOT_SYLLABLES
        self.longest = max((len(s) for s in self.syllables), default=0)

    # -- cutting a latin run ---------------------------------------------------------------------------
    def _segmentations(self, run: str) -> list[tuple[tuple[str, bool], ...]]:
        """Ways to read `run`: whole pinyin syllables, or (up to two letters) one initial per letter.
        Each piece is (letters, is_initial)."""
        found: list[tuple[tuple[str, bool], ...]] = []

        def walk(pos: int, pieces: tuple[tuple[str, bool], ...]) -> None:
            if len(found) >= MAX_SEGMENTATIONS:
                return
            if pos == len(run):
                found.append(pieces)
                return
            for size in range(min(self.longest, len(run) - pos), 0, -1):
                piece = run[pos:pos + size]
                if piece in self.syllables:
                    walk(pos + size, (*pieces, (piece, False)))

        walk(0, ())
        if len(run) <= MAX_INITIALS:
            found.append(tuple((ch, True) for ch in run))
        return found

    # -- reading a text --------------------------------------------------------------------------------
    def readings(self, norm: Normalized) -> list[Reading]:
        view = norm.compact
        text = view.text
        out: dict[tuple[int, int, str], Reading] = {}
        for m in _LATIN_RUN.finditer(text):
            p, q = m.span()
            before = text[p - 1] if p > 0 else ""
            after = text[q] if q < len(text) else ""
            if before.isdigit() or after.isdigit() or not (before and is_cjk(before) or after and is_cjk(after)):
                continue
            left = _cjk_run(text, p, -1)
            right = _cjk_run(text, q, 1)
            for pieces in self._segmentations(m.group(0)):
                for a in range(len(left) + 1):
                    for b in range(len(right) + 1):
                        if a + b == 0 or not MIN_WORD <= a + len(pieces) + b <= MAX_WORD:
                            continue
                        hanzi_left, hanzi_right = left[len(left) - a:], right[:b]
                        start, end = view.span(p - a, q + b)
                        if _PHRASE_BREAK.search(norm.original, start, end):
                            continue
                        for word in self._spelled(hanzi_left, pieces, hanzi_right):
                            out.setdefault((start, end, word), Reading(start, end, word, (a, a + len(pieces))))
        return sorted(out.values(), key=lambda r: (r.start, -(r.end - r.start), r.hidden))

    def _spelled(self, left: str, pieces: tuple[tuple[str, bool], ...], right: str) -> list[str]:
        """Vocabulary words spelled by Hanzi `left` + latin `pieces` + Hanzi `right` (at least one Hanzi as itself)."""
        letter_choices = [sorted({p[0] for p in _char_pinyins(c)}) for c in left]
        letter_choices += [[letters[0]] for letters, _ in pieces]
        letter_choices += [sorted({p[0] for p in _char_pinyins(c)}) for c in right]
        words = []
        for key in product(*letter_choices):
            for word, syllables in self.index.get(key, ()):
                if _spells(word, syllables, left, pieces, right):
                    words.append(word)
        return words


def _spells(word: str, readings: tuple[frozenset[str], ...], left: str, pieces: tuple[tuple[str, bool], ...],
            right: str) -> bool:
    hanzi = [(k, c) for k, c in enumerate(left)] + [(len(left) + len(pieces) + k, c) for k, c in enumerate(right)]
    if not any(word[k] == c for k, c in hanzi):
        return False
    if not all(word[k] == c or readings[k] & _char_pinyins(c) for k, c in hanzi):
        return False
    for k, (letters, initial) in enumerate(pieces, start=len(left)):
        if initial and not any(s.startswith(letters) and len(letters) < len(s) for s in readings[k]):
            return False
        if not initial and letters not in readings[k]:
            return False
    return True


def _cjk_run(text: str, pos: int, step: int) -> str:
    """Up to MAX_CONTEXT Hanzi next to a latin run (left of `pos` for step -1, from `pos` for step 1)."""
    chars = []
    k = pos - 1 if step < 0 else pos
    while 0 <= k < len(text) and is_cjk(text[k]) and len(chars) < MAX_CONTEXT:
        chars.append(text[k])
        k += step
    return "".join(reversed(chars)) if step < 0 else "".join(chars)


_MIXED = re.compile(r"[a-z][\u3400-\u9fff]|[\u3400-\u9fff][a-z]")


def has_mixed_latin(norm: Normalized) -> bool:
    """Cheap test before any reading: a latin letter next to a Hanzi in the compact view."""
    return _MIXED.search(norm.compact.text) is not None


# -- the vocabulary: literal terms, and the words a pattern can spell ------------------------------------------
MAX_EXPANSION = 400  # strings one run of alternatives may spell before it is too open to list


def pattern_words(regex: str) -> set[str]:
    """The CJK words of MIN_WORD..MAX_WORD characters a pattern spells through runs of literals, classes and small
    alternations: 「(治|防|抗)(便秘|癌)」 gives 治便秘, 抗癌 …, 「(降压|降糖)(茶|片)」 gives 降压, 降糖茶 …
    An open part (.{0,6}, a long alternation product) ends a run."""
    from re import _parser  # type: ignore[attr-defined]

    try:
        parsed = _parser.parse(regex)
    except re.error:
        return set()
    words: set[str] = set()
    _collect(list(parsed), words)
    return {w for w in words if MIN_WORD <= len(w) <= MAX_WORD and all(is_cjk(c) for c in w)}


def _collect(seq: list, words: set[str]) -> None:
    """Walk a parsed sequence: each node either spells a small finite set of strings or is open."""
    finite: list[set[str]] = []

    def flush() -> None:
        # every contiguous stretch of finite nodes spells words (降压 alone and 降压茶)
        for i in range(len(finite)):
            acc = {""}
            for j in range(i, len(finite)):
                acc = {a + b for a in acc for b in finite[j]}
                if len(acc) > MAX_EXPANSION:
                    break
                words.update(acc)
        finite.clear()

    for node in seq:
        spelled = _spell(node, words)
        if spelled is None:
            flush()
        elif spelled != {""}:
            finite.append(spelled)
    flush()


def _spell(node, words: set[str]) -> set[str] | None:
    from re import _constants as c  # type: ignore[attr-defined]

    op, av = node
    if op is c.LITERAL:
        return {chr(av)}
    if op is c.IN:
        chars = {chr(v) for o, v in av if o is c.LITERAL}
        return chars if chars and len(chars) == len(av) else None
    if op is c.SUBPATTERN:
        return _spell_seq(list(av[3]), words)
    if op is c.BRANCH:
        out: set[str] = set()
        open_branch = False
        for branch in av[1]:
            spelled = _spell_seq(list(branch), words)
            if spelled is None:
                open_branch = True
            else:
                out |= spelled
        if open_branch or len(out) > MAX_EXPANSION:
            words.update(out)
            return None
        return out
    if op in (c.MAX_REPEAT, c.MIN_REPEAT):
        low, high, sub = av
        if (low, high) == (0, 1):
            spelled = _spell_seq(list(sub), words)
            return None if spelled is None else spelled | {""}
        _collect(list(sub), words)
        return None
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return {""}
    return None


def _spell_seq(seq: list, words: set[str]) -> set[str] | None:
    acc = {""}
    for node in seq:
        spelled = _spell(node, words)
        if spelled is None:
            _collect(seq, words)  # too open as a whole: keep the words inside it
            return None
        acc = {a + b for a in acc for b in spelled}
        if len(acc) > MAX_EXPANSION:
            _collect(seq, words)
            return None
    return acc
