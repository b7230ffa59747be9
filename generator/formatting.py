"""Small formatting rules shared by scripts, captions and cards."""

from __future__ import annotations


def money(value: float | None) -> str:
    """89.0 → "89", 39.90 → "39.9", None → "" (prices as people write them)."""
    if value is None:
        return ""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def title_key(title: str) -> str:
    """A post title as compared when matching platform exports to clips: NFKC, no hashtags or @mentions,
    letters and digits only, casefolded (platforms add tags, trim punctuation and cut long titles)."""
    import re
    import unicodedata

    text = unicodedata.normalize("NFKC", title)
    text = re.sub(r"[#@][^\s#@]*", "", text)
    return "".join(ch for ch in text if ch.isalnum()).casefold()
