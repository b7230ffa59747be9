"""Cleaning one cell value (pure): text, prices, specs, language, SKU."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, time
from typing import Any

from generator.currency import CURRENCIES, affixes, currency_names
from generator.sheets.columns import (
    CJK,
    INVISIBLE,
    LANGUAGE_NAMES,
    LANGUAGES,
    MAX_SKU_CHARS,
    MAX_TITLE_WIDTH,
    SKU_FORBIDDEN,
    SPACES,
    SPEC_COLON,
    SPEC_SEPARATORS,
)

_PREFIXES, _SUFFIXES = affixes()
_CURRENCY_NAMES = currency_names()
_PRICE_FIX = "write the price as a number, e.g. 129 or 129.90 (¥129, 129元, $5, 5 USD are fine)"


class CellProblem(ValueError):
    def __init__(self, problem: str, fix: str) -> None:
        self.problem, self.fix = problem, fix
        super().__init__(problem)


def clean_text(value: Any) -> str:
    """One cell as text: NFC, full-width/odd spaces to one space, no zero-width characters, trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, (date, time)):
        text = value.isoformat()
    else:
        text = str(value)
    text = unicodedata.normalize("NFC", INVISIBLE.sub("", text))
    for newline in ("\r\n", "\r", "\u2028", "\u2029"):
        text = text.replace(newline, "\n")
    lines = [SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def scalar_text(value: Any) -> str:
    if isinstance(value, (list, tuple, dict)):
        raise CellProblem("is a list/object where text was expected", "write it as plain text")
    return clean_text(value)


def one_line_text(value: Any) -> str:
    """A field shown as one line (title, brand, offer …): line breaks inside the cell become spaces, since
    cards and captions wrap text themselves and would draw a raw line break over the next line."""
    return " ".join(scalar_text(value).split("\n"))


def text_list(value: Any, separators: re.Pattern[str]) -> list[str]:
    if isinstance(value, dict):
        raise CellProblem("is an object where a list was expected", "write a list, or text separated by ；")
    items = value if isinstance(value, (list, tuple)) else separators.split(clean_text(value))
    out: list[str] = []
    for item in items:
        if isinstance(item, (list, tuple, dict)):
            # Also stops YAML alias tricks that would expand nested lists into huge strings.
            raise CellProblem("contains a nested list/object", "write a flat list of texts")
        text = clean_text(item)
        if text and text not in out:
            out.append(text)
    return out


def parse_price(value: Any) -> float | None:
    """'¥129', '129元', '1,299.00', '１２９', '$5', 129 -> float; empty -> None; anything else -> CellProblem."""
    return parse_money(value)[0]


def parse_money(value: Any) -> tuple[float | None, str | None]:
    """A price cell -> (amount, ISO currency code when the cell names one: '$5' -> (5.0, 'USD'))."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, (bool, list, tuple, dict)):
        raise CellProblem(f"{value!r} is not a number", _PRICE_FIX)
    code: str | None = None
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()  # full-width digits, ￥ -> ¥
        bare, code = _strip_currency(text)
        bare = bare.replace(" ", "")
        if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", bare):
            bare = bare.replace(",", "")
        if not re.fullmatch(r"-?\d+(\.\d+)?|-?\.\d+", bare):
            raise CellProblem(f"'{clean_text(value)[:40]}' is not a number", _PRICE_FIX)
        number = float(bare)
    if not math.isfinite(number):
        raise CellProblem(f"'{clean_text(value)[:40]}' is not a number", _PRICE_FIX)
    if number < 0:
        raise CellProblem(f"the price {clean_text(value)[:40]} is negative", "write the price as a positive number")
    return round(number, 2) + 0.0, code  # + 0.0 turns -0.0 into 0.0


def _strip_currency(text: str) -> tuple[str, str | None]:
    """'US$ 5' -> ('5', 'USD'); a symbol before and a name after must agree ('$5 USD' is fine)."""
    folded = text.casefold()
    code: str | None = None
    for prefix, prefix_code in _PREFIXES:
        if folded.startswith(prefix):
            folded, code = folded[len(prefix):].strip(), prefix_code
            break
    for suffix, suffix_code in _SUFFIXES:
        if folded.endswith(suffix) and len(folded) > len(suffix):
            if code not in (None, suffix_code):
                raise CellProblem(f"'{text[:40]}' names two currencies", "write one currency per price")
            folded, code = folded[: -len(suffix)].strip(), suffix_code
            break
    return folded, code


def parse_currency(value: Any) -> str | None:
    """A currency column: 'USD', 'usd', '美元', '$' -> 'USD'; empty -> None."""
    text = unicodedata.normalize("NFKC", scalar_text(value)).strip().casefold()
    if not text:
        return None
    code = _CURRENCY_NAMES.get(text)
    if code is None:
        raise CellProblem(f"'{scalar_text(value)[:40]}' is not a currency we know",
                          f"write an ISO code such as {', '.join(list(CURRENCIES)[:8])} (人民币, 美元 … work too), "
                          "or leave it empty for CNY")
    return code


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def shorten_title(title: str, max_width: int = MAX_TITLE_WIDTH) -> str:
    """A title that fits MAX_WIDTH display columns, cut at a word boundary for spaced scripts, with '…'."""
    if display_width(title) <= max_width:
        return title
    cut, width = 0, 0
    for i, ch in enumerate(title):
        width += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if width > max_width - 1:
            break
        cut = i + 1
    head = title[:cut]
    space = head.rfind(" ")
    if space > cut // 2 and not CJK.search(head[space:]):
        head = head[:space]
    return head.rstrip(" ,.;:，。；：、-—") + "…"


def parse_specs(value: Any) -> tuple[dict[str, str], list[str]]:
    """'容量:500ml；材质：304不锈钢' or a mapping -> ({key: value}, notes about parts without a key)."""
    if isinstance(value, dict):
        specs: dict[str, str] = {}
        for k, v in value.items():
            key, text = scalar_text(k), scalar_text(v)
            if key and text:
                specs[key] = text
        return specs, []
    if isinstance(value, (list, tuple)):
        parts = [scalar_text(v) for v in value]
    else:
        parts = SPEC_SEPARATORS.split(clean_text(value))
    # A part without a colon continues the previous value ("尺寸:10,20cm" split on the comma).
    merged: list[str] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if SPEC_COLON.search(part) or not merged:
            merged.append(part)
        else:
            merged[-1] = f"{merged[-1]},{part}"
    specs, notes = {}, []
    for part in merged:
        pieces = SPEC_COLON.split(part, maxsplit=1)
        if len(pieces) == 2 and pieces[0].strip() and pieces[1].strip():
            specs[pieces[0].strip()] = pieces[1].strip()
        else:
            notes.append(f"'{part}' is not a key:value pair and was left out (write e.g. 容量:500ml)")
    return specs, notes


def parse_language(value: Any, title: str) -> str:
    text = unicodedata.normalize("NFKC", clean_text(value)).casefold()
    if not text:
        return "zh" if CJK.search(title) else "en"
    code = LANGUAGE_NAMES.get(text)
    if code is None:
        raise CellProblem(
            f"'{clean_text(value)}' is not a supported language",
            f"use one of {', '.join(LANGUAGES)} (中文 and English are accepted too), or leave it empty",
        )
    return code


def parse_sku(value: Any) -> str:
    sku = scalar_text(value)
    if len(sku) > MAX_SKU_CHARS:
        raise CellProblem(f"the SKU is {len(sku)} characters, over {MAX_SKU_CHARS}", "use a shorter product code")
    if SKU_FORBIDDEN.search(sku) or sku in (".", "..") or "\n" in sku:
        raise CellProblem(
            f"the SKU '{sku}' contains characters that cannot be part of a folder name (\\ / : * ? \" < > |)",
            "use letters, digits, - and _ in product codes",
        )
    return sku


def nested_length(value: Any) -> int:
    """Characters a cell holds. A list/object is measured one level deep only: nested values are refused
    later (text_list, parse_specs), and expanding them first is what a YAML alias bomb counts on."""
    if isinstance(value, dict):
        return sum(_flat_length(k) + _flat_length(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return sum(_flat_length(v) for v in value)
    return _flat_length(value)


def _flat_length(value: Any) -> int:
    return 0 if isinstance(value, (list, tuple, dict)) else len(clean_text(value))
