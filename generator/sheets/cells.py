"""Cleaning one cell value (pure): text, prices, specs, language, SKU."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, time
from typing import Any

from generator.sheets.columns import (
    CJK,
    INVISIBLE,
    LANGUAGE_NAMES,
    LANGUAGES,
    MAX_SKU_CHARS,
    SKU_FORBIDDEN,
    SPACES,
    SPEC_COLON,
    SPEC_SEPARATORS,
)


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
    lines = [SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(line for line in lines if line)


def scalar_text(value: Any) -> str:
    if isinstance(value, (list, tuple, dict)):
        raise CellProblem("is a list/object where text was expected", "write it as plain text")
    return clean_text(value)


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
    """'¥129', '129元', '1,299.00', '１２９', 129 -> float; empty -> None; anything else -> CellProblem."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (bool, list, tuple, dict)):
        raise CellProblem(f"{value!r} is not a number", "write the price in yuan, e.g. 129 or 129.90")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()  # full-width digits, ￥ -> ¥
        bare = re.sub(r"(?i)^(?:¥|\$|rmb|cny)\s*|\s*(?:元|块|rmb|cny)$", "", text).strip().replace(" ", "")
        if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", bare):
            bare = bare.replace(",", "")
        if not re.fullmatch(r"-?\d+(\.\d+)?|-?\.\d+", bare):
            raise CellProblem(f"'{clean_text(value)}' is not a number", "write the price in yuan, e.g. 129 or 129.90 (¥ and 元 are fine)")
        number = float(bare)
    if not math.isfinite(number):
        raise CellProblem(f"'{value}' is not a number", "write the price in yuan, e.g. 129")
    if number < 0:
        raise CellProblem(f"the price {clean_text(value)} is negative", "write the price as a positive number")
    return round(number, 2)


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
    if isinstance(value, dict):
        return sum(len(clean_text(k)) + len(clean_text(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return sum(len(clean_text(v)) for v in value)
    return len(clean_text(value))
