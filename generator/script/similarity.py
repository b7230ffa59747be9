"""How alike two scripts read: character 3-gram Jaccard similarity (pure functions).

Character n-grams work the same for Chinese and Thai (no spaces between words) and for space-separated
languages, need no tokenizer, and catch the industry's complaint (脚本雷同、话术重复): variants that reuse
the same phrases. 0.0 means no shared 3-gram, 1.0 the same text. The writers regenerate a variant whose
similarity to a sibling reaches SIMILARITY_LIMIT.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from generator.models import Script

SIMILARITY_LIMIT = 0.5


def normalize(text: str) -> str:
    """Lower case, full-width folded to half-width, punctuation, symbols and spaces removed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LNM")


def char_ngrams(text: str, n: int = 3) -> set[str]:
    """The set of n-grams of the normalized text; a text shorter than n is its own single gram."""
    s = normalize(text)
    if not s:
        return set()
    if len(s) <= n:
        return {s}
    return {s[i:i + n] for i in range(len(s) - n + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def text_similarity(a: str, b: str, n: int = 3) -> float:
    return jaccard(char_ngrams(a, n), char_ngrams(b, n))


def script_text(script: Script) -> str:
    """What a viewer hears and reads: narration plus captions that differ from it."""
    parts: list[str] = []
    for line in script.lines():
        parts.append(line.text)
        if line.caption and line.caption != line.text:
            parts.append(line.caption)
    return "\n".join(parts)


def script_similarity(a: Script, b: Script, n: int = 3) -> float:
    return text_similarity(script_text(a), script_text(b), n)


def max_similarity(script: Script, siblings: Iterable[Script]) -> tuple[float, Script | None]:
    """The highest similarity to any sibling, and that sibling (None when there are none)."""
    best, which = 0.0, None
    for other in siblings:
        s = script_similarity(script, other)
        if which is None or s > best:
            best, which = s, other
    return best, which


def pairwise(scripts: Sequence[Script]) -> list[tuple[int, int, float]]:
    """(i, j, similarity) for every pair i < j."""
    return [(i, j, script_similarity(scripts[i], scripts[j]))
            for i in range(len(scripts)) for j in range(i + 1, len(scripts))]
