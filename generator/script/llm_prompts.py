"""Prompt building from the Jinja2 templates in prompts/llm/ (the text lives there, not in code).

`render_messages` is pure: a PromptContext in, chat messages out. The product goes in as a JSON block inside
<product_data> tags (already sanitized by llm_guard), so a merchant's field is data, never an instruction.
`prompt_version()` hashes the templates, the data files and the output schema: editing any of them changes
the cache key, so cached scripts from older prompts are not reused.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from generator.models import ANGLES, Language, Product
from generator.platforms import get_preset
from generator.script.llm_budget import unit_name
from generator.script.llm_guard import load_terms
from generator.script.llm_schema import LLMScript, schema_outline
from generator.settings import PROMPTS_DIR
from generator.yamlfile import load_yaml

LLM_PROMPTS = PROMPTS_DIR / "llm"
LANGUAGE_NAMES: dict[str, str] = {
    "zh": "Simplified Chinese (简体中文)", "en": "English", "id": "Bahasa Indonesia",
    "ms": "Bahasa Melayu", "th": "Thai (ภาษาไทย)", "vi": "Vietnamese (Tiếng Việt)",
}


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(str(LLM_PROMPTS)), undefined=StrictUndefined,
                       autoescape=False, keep_trailing_newline=False, trim_blocks=False)


@cache
def _yaml(name: str) -> dict[str, Any]:
    return load_yaml((LLM_PROMPTS / name).read_text(encoding="utf-8")) or {}


@lru_cache(maxsize=1)
def prompt_version() -> str:
    h = hashlib.sha256()
    for path in sorted(LLM_PROMPTS.rglob("*")):
        if path.is_file():
            h.update(path.relative_to(LLM_PROMPTS).as_posix().encode())
            h.update(path.read_bytes())
    h.update(json.dumps(LLMScript.model_json_schema(), sort_keys=True).encode())
    return h.hexdigest()[:12]


def angle_for(variant: int) -> str:
    return ANGLES[(variant - 1) % len(ANGLES)]


def canonical_category(category: str) -> str | None:
    """The guidance key (beauty, food, ...) for a sheet's free-text category, in any supported language."""
    text = category.casefold().strip()
    if not text:
        return None
    for key, aliases in _yaml("categories/aliases.yaml").items():
        for alias in aliases:
            a = str(alias).casefold()
            if a.isascii():
                if re.search(rf"(?<![a-z]){re.escape(a)}", text):
                    return key
            elif a in text:
                return key
    return None


def product_data(product: Product) -> dict[str, Any]:
    """The fields the model may use (no sku, paths or provenance), empty ones left out."""
    data: dict[str, Any] = {
        "title": product.title, "brand": product.brand, "category": product.category,
        "price": product.price, "sale_price": product.sale_price, "selling_points": product.selling_points,
        "specs": product.specs, "audience": product.audience, "scenes": product.scenes, "offer": product.offer,
        # Only when not yuan, so that prompts (and cached scripts) of yuan-priced products stay as they were.
        "currency": product.currency if product.currency != "CNY" else None,
    }
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


@dataclass
class PromptContext:
    product: Product
    language: Language
    variant: int
    angle: str
    duration: int
    platforms: list[str]
    target_units: int
    max_units: int
    avoid_hooks: list[str] = field(default_factory=list)
    avoid_scripts: list[str] = field(default_factory=list)
    hook_example: str = ""  # a hook idea to open with (the creative choice of `make --learn`)


def _line_hint(ctx: PromptContext) -> str:
    per_line = 14 if ctx.language in ("zh", "th") else 9
    lines = max(6, min(18, round(ctx.target_units / per_line)))
    return f"That is roughly {lines} lines in total (one to three per beat)."


@cache
def _lexicon_rules(category: str, language: str) -> str:
    """The compliance lexicon's own summary (the same rules the reviewer applies to the output)."""
    from generator.compliance.prompt import rules_for_prompt

    return rules_for_prompt(category, language)


def render_messages(ctx: PromptContext) -> list[dict[str, str]]:
    terms = load_terms()
    category = canonical_category(ctx.product.category)
    guidance = _env().get_template(f"categories/{category}.j2").render().strip() if category else ""
    styles = _yaml("platforms.yaml")
    platforms = []
    for key in ctx.platforms:
        p = get_preset(key)
        platforms.append({"key": key, "name": p.name, "style": styles.get(key, "Clear and lively."),
                          "title_chars": p.title_chars, "description_chars": p.description_chars,
                          "hashtags": p.hashtags})
    absolute = terms.absolute.get(ctx.language, [])[:12] + (terms.absolute["en"][:4] if ctx.language != "en" else [])
    medical = terms.medical.get(ctx.language, [])[:10]
    system = _env().get_template("system.j2").render(
        language=ctx.language, language_name=LANGUAGE_NAMES[ctx.language], images=len(ctx.product.images),
        absolute_terms=", ".join(absolute), medical_terms=", ".join(medical), category=category or "",
        category_guidance=guidance, schema_outline=schema_outline(),
        lexicon_rules=_lexicon_rules(ctx.product.category, ctx.language),
    )
    user = _env().get_template("user.j2").render(
        variant=ctx.variant, duration=ctx.duration, angle=ctx.angle,
        angle_guidance=_yaml("angles.yaml").get(ctx.angle, ""), target_units=ctx.target_units,
        max_units=ctx.max_units, unit_name=unit_name(ctx.language), line_hint=_line_hint(ctx),
        platforms=platforms, avoid_hooks=ctx.avoid_hooks, avoid_scripts=ctx.avoid_scripts,
        hook_example=ctx.hook_example,
        product_json=_data_block(ctx.product),
    )
    return [{"role": "system", "content": system.strip()}, {"role": "user", "content": user.strip()}]


def _data_block(product: Product) -> str:
    """The product as JSON with < and > escaped, so no field can close the <product_data> tag."""
    text = json.dumps(product_data(product), ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def render_repair(problems: list[str], ctx: PromptContext) -> str:
    return _env().get_template("repair.j2").render(
        problems=problems, max_units=ctx.max_units, unit_name=unit_name(ctx.language)).strip()
