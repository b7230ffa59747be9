"""Small formatting rules shared by scripts, captions and cards."""

from __future__ import annotations

from generator.currency import currency_of


def money(value: float | None) -> str:
    """89.0 → "89", 39.90 → "39.9", None → "" (prices as people write them; never "-0")."""
    if value is None:
        return ""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def title_key(title: str) -> str:
    """A post title as compared when matching platform exports to clips: NFKC, no hashtags or @mentions,
    letters and digits only, casefolded (platforms add tags, trim punctuation and cut long titles)."""
    import re
    import unicodedata

    text = unicodedata.normalize("NFKC", title)
    text = re.sub(r"[#@][^\s#@]*", "", text)
    return "".join(ch for ch in text if ch.isalnum()).casefold()


def price_text(value: float | None, currency: str | None = None) -> str:
    """A price as shown on screen in its currency: ¥89, $5, HK$88, 150000₫; None → ""."""
    if value is None:
        return ""
    c = currency_of(currency)
    return f"{money(value)}{c.symbol}" if c.suffix else f"{c.symbol}{money(value)}"


def price_unit(currency: str | None, language: str) -> str:
    """What is said after a spoken price: 元 / yuan, 美元 / dollars …"""
    c = currency_of(currency)
    return c.zh if language == "zh" else c.en
