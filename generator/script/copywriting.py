"""Post copy per platform: title, description and hashtags within that platform's limits (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from generator.formatting import title_key
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


def title_candidates(product: Product, script: Script) -> list[tuple[str, ...]]:
    """Title parts in order of preference: the hook's caption with the product name first, so variants of
    different angles/hooks differ, then the name with each selling point (the variant's lead point first)."""
    zh = script.language == "zh"
    name = f"{product.brand}{'' if zh else ' '}{product.title}".strip() if product.brand else product.title
    hook = ""
    if script.beats and script.hook.kind == "hook" and script.hook.lines:
        hook = script.hook.lines[0].shown.strip().rstrip("。.！!")
    points = [p.strip().rstrip("。.") for p in product.selling_points if p.strip()]
    if points:
        shift = (script.variant - 1) % len(points)
        points = points[shift:] + points[:shift]
    candidates: list[tuple[str, ...]] = []
    if hook:
        candidates.append((hook, name))
    candidates += [(name, p) for p in points]
    if hook:
        candidates += [(hook, p) for p in points]
    candidates += [(p, name) for p in points]
    candidates += [(name,)] + ([(hook,)] if hook else [])
    return candidates


def unique_title(product: Product, script: Script, limit: int, taken: set[str], preferred: str = "") -> str:
    """PREFERRED (or the first candidate) unless its `title_key` is in TAKEN: then the first candidate that
    fits LIMIT uncut and is not taken; cut candidates after that. Never a code appended to make it unique."""
    sep = "｜" if script.language == "zh" else " | "
    whole = [sep.join(parts) for parts in title_candidates(product, script)]
    if preferred and title_key(preferred) not in taken:
        return preferred
    fitting = [t for t in whole if len(t) <= limit]
    for title in [*fitting, *(clip_text(t, limit) for t in whole)]:
        if title and title_key(title) not in taken:
            return title
    return preferred or (fitting[0] if fitting else clip_text(whole[0], limit))


def titles_taken(siblings: Iterable[Script], platform: str, also: Iterable[str] = ()) -> set[str]:
    """Title keys the earlier variants already use on PLATFORM, plus those of ALSO (earlier jobs' titles)."""
    taken = {title_key(s.copy_by_platform[platform].title) for s in siblings if platform in s.copy_by_platform}
    return taken | {title_key(t) for t in also}


def platform_copy(product: Product, script: Script, platform: str, base_tags: list[str],
                  taken: set[str] | None = None) -> PlatformCopy:
    """Title (unique among TAKEN title keys), description and hashtags within PLATFORM's limits."""
    preset = get_preset(platform)
    zh = script.language == "zh"
    title = unique_title(product, script, preset.title_chars, taken or set())

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
