"""Interstitial scripts (greetings, follow/coupon reminders, Q&A on specs) from Jinja2 templates.

Templates live in prompts/loop/<kind>.<lang>.j2; `pick([...])` chooses a phrase with a seeded RNG, so the same
seed gives the same texts and different rounds give different wording. Daypart greetings carry the hours they
may be played in, which the planner honours ("早上好" is never played at night).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

import jinja2

from generator.formatting import money
from generator.models import Beat, Line, Product, Script, stable_hash
from generator.settings import PROMPTS_DIR

TEMPLATE_DIR = PROMPTS_DIR / "loop"
DAYPARTS: dict[str, list[tuple[float, float, str]]] = {
    "zh": [(5, 11, "早上好"), (11, 13, "中午好"), (13, 18, "下午好"), (18, 23, "晚上好"), (23, 5, "这么晚还在，辛苦啦")],
    "en": [(5, 11, "Good morning"), (11, 13, "Hello and happy lunchtime"), (13, 18, "Good afternoon"),
           (18, 23, "Good evening"), (23, 5, "Thanks for staying up with us")],
}


@dataclass(frozen=True)
class Interstitial:
    kind: str
    product: Product
    script: Script
    hours: tuple[float, float] | None = None


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), undefined=jinja2.StrictUndefined,
                              autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)


def template(name: str) -> jinja2.Template:
    """A template of prompts/loop/ by file name."""
    return _env().get_template(name)


def template_language(language: str) -> str:
    return "zh" if language == "zh" else "en"


def render_text(kind: str, language: str, seed_key: list, **context: object) -> list[str]:
    """The template's spoken lines (one per non-empty output line)."""
    rng = random.Random(stable_hash(seed_key))
    template = _env().get_template(f"{kind}.{template_language(language)}.j2")
    text = template.render(pick=lambda options: rng.choice(list(options)), **context)
    return [line.strip() for line in text.splitlines() if line.strip()]


def _script(kind: str, product: Product, lines: list[str], number: int) -> Script:
    beat_kind = "hook" if kind in ("greeting", "hook") else "cta" if kind == "reminder" else "proof"
    return Script(sku=product.sku, variant=number, language=product.language, angle=f"loop:{kind}",
                  beats=[Beat(kind=beat_kind, lines=[Line(text=t) for t in lines], visual="card:title")],
                  writer="loop-template")


def greetings(product: Product, round_: int, seed: int, host_name: str,
              hours_span: tuple[float, float] | None = None) -> list[Interstitial]:
    """One greeting per daypart the loop passes through (all five when hours_span is None)."""
    lang = template_language(product.language)
    out = []
    for a, b, words in DAYPARTS[lang]:
        if hours_span is not None and not _overlaps((a, b), hours_span):
            continue
        lines = render_text("greeting", lang, ["greeting", product.sku, a, round_, seed], product=product,
                            daypart_greeting=words, host_name=host_name)
        out.append(Interstitial("greeting", product, _script("greeting", product, lines, 1000 + round_), (a, b)))
    return out


def reminder(product: Product, round_: int, seed: int) -> Interstitial:
    kind = "coupon" if product.offer and round_ % 2 else "follow"
    lines = render_text("reminder", product.language, ["reminder", product.sku, round_, seed], product=product,
                        reminder_kind=kind)
    return Interstitial("reminder", product, _script("reminder", product, lines, 2000 + round_))


def hook(product: Product, number: int, seed: int) -> Interstitial:
    """A strong hook (price, offer, first selling point from the sheet) for when viewers are leaving."""
    lines = render_text("hook", product.language, ["hook", product.sku, number, seed], product=product,
                        price=money(product.price), sale=money(product.sale_price))
    return Interstitial("hook", product, _script("hook", product, lines, 4000 + number))


def qa(product: Product, round_: int, seed: int) -> Interstitial | None:
    """Q&A on spec number `round_` of the product (None once its specs run out)."""
    specs = list(product.specs.items())
    if round_ >= len(specs):
        return None
    key, value = specs[round_]
    lines = render_text("qa", product.language, ["qa", product.sku, key, seed], product=product,
                        spec_key=key, spec_value=value)
    return Interstitial("qa", product, _script("qa", product, lines, 3000 + round_))


def _overlaps(daypart: tuple[float, float], span: tuple[float, float]) -> bool:
    """Whether wall-clock hours [span) (may exceed 24) touch the daypart [a, b) (may wrap midnight)."""
    start, end = span
    if end - start >= 24:
        return True
    a, b = daypart
    ranges = [(a, b)] if a < b else [(a, 24), (0, b)]
    for day in (0, 24, 48):
        for lo, hi in ranges:
            if lo + day < end and start < hi + day:
                return True
    return False
