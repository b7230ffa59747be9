"""Post copy per platform: title, description and hashtags within that platform's limits (pure)."""

from __future__ import annotations

import re

from generator.models import PlatformCopy, Product, Script
from generator.platforms import get_preset

_TAG_UNSAFE = re.compile(r"[\s#＃,，、;；:：。.!！?？'\"“”()（）\[\]【】]+")


def clip_text(text: str, limit: int) -> str:
    """Cut to `limit` characters, on a word or punctuation boundary where one is near."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    for sep in ("｜", "|", "，", ",", " ", "。"):
        at = cut.rfind(sep)
        if at >= limit * 0.6:
            return cut[:at].rstrip()
    return cut


def hashtag(word: str) -> str:
    word = _TAG_UNSAFE.sub("", word)
    return f"#{word}" if word else ""


def platform_copy(product: Product, script: Script, platform: str, base_tags: list[str]) -> PlatformCopy:
    preset = get_preset(platform)
    zh = script.language == "zh"
    name = f"{product.brand}{'' if zh else ' '}{product.title}".strip() if product.brand else product.title
    first_point = product.selling_points[0] if product.selling_points else ""
    sep = "｜" if zh else " | "
    title = clip_text(f"{name}{sep}{first_point}" if first_point else name, preset.title_chars)
    if len(title) < len(name) and len(name) <= preset.title_chars:
        title = name

    candidates = [product.category, product.brand, product.title, *base_tags]
    tags: list[str] = []
    for word in candidates:
        tag = hashtag(word)
        if tag and tag not in tags and len(tag) <= 20:
            tags.append(tag)
    tags = tags[: preset.hashtags]

    body = ("；" if zh else "; ").join(product.selling_points[:3])
    if product.offer:
        body = f"{body}{'。' if zh else '. '}{product.offer}" if body else product.offer
    tag_text = " ".join(tags)
    room = preset.description_chars - len(tag_text) - 1
    description = f"{clip_text(body, max(0, room))} {tag_text}".strip()
    return PlatformCopy(title=title, description=description, hashtags=tags)
