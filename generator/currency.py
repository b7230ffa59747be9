"""Currencies a sheet may price in: how each is written in a sheet, shown on screen and spoken.

A product carries an ISO 4217 code (`Product.currency`, CNY unless the sheet says otherwise); the sheet
reader recognises the code from a currency column or from a symbol in the price cell, and every place that
shows or speaks a price asks this table instead of writing "¥" or "元" itself.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Currency:
    code: str
    symbol: str  # as shown on screen, before the number unless `suffix`
    zh: str  # spoken after the number in Chinese
    en: str  # spoken after the number in English
    prefixes: tuple[str, ...] = ()  # what may stand before the number in a price cell (casefolded, after NFKC)
    suffixes: tuple[str, ...] = ()  # what may stand after it
    names: tuple[str, ...] = ()  # what a currency column may say, besides the code
    suffix: bool = False


DEFAULT_CURRENCY = "CNY"

CURRENCIES: dict[str, Currency] = {c.code: c for c in (
    Currency("CNY", "¥", "元", "yuan", ("¥", "rmb", "cny"), ("元", "块", "rmb", "cny", "yuan"),
             ("人民币", "元", "rmb", "yuan", "renminbi")),
    Currency("USD", "$", "美元", "dollars", ("us$", "usd", "$"), ("usd", "美元", "美金", "dollars"),
             ("美元", "美金", "us dollar", "us dollars", "dollar", "dollars", "us$", "$")),
    Currency("EUR", "€", "欧元", "euros", ("€", "eur"), ("€", "eur", "欧元", "euros"), ("欧元", "euro", "euros", "€")),
    Currency("GBP", "£", "英镑", "pounds", ("£", "gbp"), ("gbp", "英镑"), ("英镑", "pound", "pounds", "£")),
    Currency("JPY", "JP¥", "日元", "yen", ("jp¥", "jpy"), ("円", "jpy", "日元"), ("日元", "yen", "円")),
    Currency("KRW", "₩", "韩元", "won", ("₩", "krw"), ("원", "krw", "韩元"), ("韩元", "won", "₩")),
    Currency("HKD", "HK$", "港元", "Hong Kong dollars", ("hk$", "hkd"), ("hkd", "港元", "港币"), ("港元", "港币", "hk$")),
    Currency("TWD", "NT$", "新台币", "New Taiwan dollars", ("nt$", "twd", "ntd"), ("twd", "ntd", "新台币", "台币"),
             ("新台币", "台币", "ntd", "nt$")),
    Currency("SGD", "S$", "新加坡元", "Singapore dollars", ("s$", "sg$", "sgd"), ("sgd", "新币", "新加坡元"),
             ("新加坡元", "新币", "s$")),
    Currency("MYR", "RM", "林吉特", "ringgit", ("rm", "myr"), ("myr", "林吉特", "令吉", "ringgit"),
             ("林吉特", "令吉", "ringgit", "rm")),
    Currency("THB", "฿", "泰铢", "baht", ("฿", "thb"), ("฿", "thb", "泰铢", "บาท", "baht"), ("泰铢", "baht", "บาท", "฿")),
    Currency("IDR", "Rp", "印尼盾", "rupiah", ("rp", "idr"), ("idr", "印尼盾", "rupiah"), ("印尼盾", "rupiah", "rp")),
    Currency("VND", "₫", "越南盾", "dong", ("₫", "vnd"), ("₫", "đ", "vnd", "越南盾", "đồng", "dong"),
             ("越南盾", "đồng", "dong", "₫", "đ"), suffix=True),
    Currency("AUD", "A$", "澳元", "Australian dollars", ("a$", "au$", "aud"), ("aud", "澳元"), ("澳元", "a$", "au$")),
    Currency("CAD", "C$", "加元", "Canadian dollars", ("c$", "ca$", "cad"), ("cad", "加元"), ("加元", "c$", "ca$")),
)}


def currency_of(code: str | None) -> Currency:
    return CURRENCIES.get(code or DEFAULT_CURRENCY, CURRENCIES[DEFAULT_CURRENCY])


def currency_names() -> dict[str, str]:
    """Every word a currency column may hold (casefolded) -> code."""
    names: dict[str, str] = {}
    for c in CURRENCIES.values():
        for name in (c.code, *c.names):
            names.setdefault(name.casefold(), c.code)
    return names


def affixes() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(prefix, code) and (suffix, code) pairs, longest first so that "hk$" wins over "$"."""
    prefixes = sorted(((p, c.code) for c in CURRENCIES.values() for p in c.prefixes), key=lambda x: -len(x[0]))
    suffixes = sorted(((s, c.code) for c in CURRENCIES.values() for s in c.suffixes), key=lambda x: -len(x[0]))
    return prefixes, suffixes
