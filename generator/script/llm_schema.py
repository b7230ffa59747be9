"""The shape a language model must answer in, its JSON schema, parsing and conversion to a Script.

The model answers with `LLMScript` (no sku, variant or writer: those are ours to set). The JSON schema sent
as `response_format` is generated from it, so the schema, the validation and the prompt's description can
never drift apart. Checks that need the product or the brief (image count, platforms) are separate and
return plain-language problems that go back to the model in the repair round.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from generator.models import BEAT_ORDER, Beat, BeatKind, Language, Line, PlatformCopy, Script
from generator.platforms import get_preset

VISUAL_RE = re.compile(r"^(image:\d+|card:(specs|offer|title))$")


class LLMLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, description="one spoken sentence of narration")
    caption: str = Field(description="short on-screen caption for this sentence; empty string to show the narration")
    keywords: list[str] = Field(description="1-3 words from the sentence to highlight on screen")


class LLMBeat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: BeatKind
    visual: str = Field(description="image:N for product image N (0-based), or card:specs, card:offer, card:title")
    lines: list[LLMLine] = Field(min_length=1)

    @field_validator("visual")
    @classmethod
    def _visual(cls, v: str) -> str:
        v = v.strip()
        if not VISUAL_RE.match(v):
            raise ValueError("visual must be image:N, card:specs, card:offer or card:title")
        return v


class LLMPost(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: str = Field(description="platform key exactly as given")
    title: str
    description: str
    hashtags: list[str] = Field(description="hashtags without the # sign")


class LLMScript(BaseModel):
    model_config = ConfigDict(extra="forbid")

    angle: str = Field(description="the creative angle used")
    beats: list[LLMBeat] = Field(description="exactly six beats in the order hook, pain, demo, proof, offer, cta")
    posts: list[LLMPost] = Field(description="one entry per requested platform")

    @field_validator("beats")
    @classmethod
    def _order(cls, beats: list[LLMBeat]) -> list[LLMBeat]:
        kinds = tuple(b.kind for b in beats)
        if kinds != BEAT_ORDER:
            raise ValueError(f"beats must be exactly {', '.join(BEAT_ORDER)} in this order; got {', '.join(kinds)}")
        return beats


# Keywords a strict (OpenAI "structured outputs") schema rejects; pydantic still enforces them locally.
_UNSUPPORTED = {"minLength", "maxLength", "pattern", "minItems", "maxItems", "default", "format"}


def _strictify(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _strictify(v) for k, v in node.items() if k not in _UNSUPPORTED}
        if out.get("type") == "object" and "properties" in out:
            out["additionalProperties"] = False
            out["required"] = list(out["properties"])
        return out
    if isinstance(node, list):
        return [_strictify(v) for v in node]
    return node


def json_schema() -> dict[str, Any]:
    """The strict JSON schema of LLMScript, fit for response_format json_schema."""
    return _strictify(copy.deepcopy(LLMScript.model_json_schema()))


def response_format_json_schema() -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "daihuo_script", "strict": True, "schema": json_schema()}}


class ReplyError(ValueError):
    """The reply is not a valid script; `problems` are short sentences the model can act on."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


_THINK_RE = re.compile(r"<think>.*?</think>", re.S | re.I)
_FENCE_RE = re.compile(r"```(?:json)?\s*(.*?)```", re.S | re.I)


def extract_json(text: str) -> Any:
    """The JSON object in a reply: whole text, a ```json fence, or the outermost {...} (reasoning stripped)."""
    text = _THINK_RE.sub("", text or "").strip()
    candidates = [text]
    candidates += [m.group(1).strip() for m in _FENCE_RE.finditer(text)]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start:end + 1])
    last: Exception | None = None
    for c in candidates:
        try:
            return json.loads(c)
        except ValueError as exc:
            last = exc
    raise ReplyError([f"the reply is not valid JSON ({last}); answer with one JSON object only"])


def parse_reply(text: str) -> LLMScript:
    data = extract_json(text)
    try:
        return LLMScript.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:12]:
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            problems.append(f"{where}: {err['msg']}")
        raise ReplyError(problems) from exc


def context_problems(llm: LLMScript, *, images: int, platforms: list[str]) -> list[str]:
    """Problems that need the product and the brief: image numbers in range, one post per platform."""
    problems: list[str] = []
    for beat in llm.beats:
        if beat.visual.startswith("image:"):
            n = int(beat.visual.split(":")[1])
            if n >= images:
                have = f"images 0..{images - 1}" if images else "no images (use card:title, card:specs or card:offer)"
                problems.append(f"beat {beat.kind}: visual {beat.visual} does not exist; there are {have}")
    got = {p.platform for p in llm.posts}
    for platform in platforms:
        if platform not in got:
            problems.append(f"posts: missing the entry for platform '{platform}'")
    return problems


def clean_hashtag(tag: str) -> str:
    return re.sub(r"[\s#＃]+", "", tag)


def fit_post(post: LLMPost | PlatformCopy, platform: str) -> tuple[PlatformCopy, list[str]]:
    """Cut title, description and hashtags to the platform's limits; notes say what was cut."""
    preset = get_preset(platform)
    notes: list[str] = []
    title, desc = post.title.strip(), post.description.strip()
    if len(title) > preset.title_chars:
        title = title[: preset.title_chars].rstrip()
        notes.append(f"{platform}: title cut to {preset.title_chars} characters")
    if len(desc) > preset.description_chars:
        desc = desc[: preset.description_chars].rstrip()
        notes.append(f"{platform}: description cut to {preset.description_chars} characters")
    tags: list[str] = []
    for t in post.hashtags:
        t = clean_hashtag(t)
        if t and t not in tags:
            tags.append(t)
    if len(tags) > preset.hashtags:
        notes.append(f"{platform}: kept the first {preset.hashtags} of {len(tags)} hashtags")
        tags = tags[: preset.hashtags]
    return PlatformCopy(title=title, description=desc, hashtags=tags), notes


def to_script(llm: LLMScript, *, sku: str, variant: int, language: Language, platforms: list[str],
              images: int, fallback_title: str, writer: str = "openai") -> tuple[Script, list[str]]:
    """A Script from a validated reply, repaired where that needs no model: visuals, keywords, post limits."""
    notes: list[str] = []
    beats: list[Beat] = []
    for b in llm.beats:
        visual = b.visual
        if visual.startswith("image:") and int(visual.split(":")[1]) >= images:
            visual = "image:0" if images else "card:title"
            notes.append(f"{b.kind}: visual {b.visual} does not exist, used {visual}")
        lines = []
        for ln in b.lines:
            shown = f"{ln.text} {ln.caption}"
            keywords = [k.strip() for k in ln.keywords if k.strip() and k.strip() in shown][:3]
            lines.append(Line(text=ln.text.strip(), caption=ln.caption.strip(), keywords=keywords))
        beats.append(Beat(kind=b.kind, lines=lines, visual=visual))
    posts = {p.platform: p for p in llm.posts}
    copies: dict[str, PlatformCopy] = {}
    for platform in platforms:
        source: LLMPost | PlatformCopy | None = posts.get(platform) or (llm.posts[0] if llm.posts else None)
        if platform not in posts:
            notes.append(f"{platform}: no post copy in the reply, derived it")
        if source is None:
            source = PlatformCopy(title=fallback_title, description="", hashtags=[])
        copies[platform], cut = fit_post(source, platform)
        notes += cut
    script = Script(sku=sku, variant=variant, language=language, angle=llm.angle.strip(), beats=beats,
                    copy_by_platform=copies, writer=writer, notes=[])
    return script, notes


def schema_outline() -> str:
    """A compact example of the answer's shape for prompts (JSON mode and plain-text servers need it)."""
    example = {
        "angle": "pain-point",
        "beats": [{"kind": k, "visual": "image:0" if k != "offer" else "card:offer",
                   "lines": [{"text": "...", "caption": "...", "keywords": ["..."]}]} for k in BEAT_ORDER],
        "posts": [{"platform": "douyin", "title": "...", "description": "...", "hashtags": ["..."]}],
    }
    return json.dumps(example, ensure_ascii=False)
