"""The shape a language model must answer in: its JSON schema, parsing, and conversion to a Script.

The model answers with `LLMScript` (no sku, variant or writer: those are ours to set). The schema sent as
`response_format` and the validation are one contract (`ReplyContract`: how many images the product has and
which platforms were asked for), so they cannot drift apart: every instance the schema allows is accepted.

  schema (json_schema)                         validation (parse_reply)
  beats: exactly 6, kind from the six kinds    same; kinds are taken by position (hook, pain, demo, proof, offer,
                                               cta); a permutation is put back in order, other kinds relabelled
  visual: enum image:0..image:N-1, card:*      same enum (VISUAL_RE plus the product's image count)
  lines: at least 1; text: pattern \\S        same (a line must say something)
  keywords: at most 3                          same
  posts: one per platform, platform enum       same; a platform whose post is missing (another came twice) gets
                                               a copy derived from the first post, noted

Strict "structured outputs" reject some keywords (minLength, maxLength, format, default): they are never used.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from generator.models import BEAT_ORDER, Beat, BeatKind, Language, Line, PlatformCopy, Script
from generator.platforms import get_preset

VISUAL_RE = re.compile(r"^(image:\d+|card:(specs|offer|title))$")
CARD_VISUALS = ("card:title", "card:specs", "card:offer")
MAX_IMAGE_REFS = 12  # a sheet row keeps at most 12 images (generator/sheets.py)
NON_BLANK = r"\S"
MAX_KEYWORDS = 3


@dataclass(frozen=True)
class ReplyContract:
    """What a valid reply depends on besides its shape: the product's images and the requested platforms."""

    images: int = MAX_IMAGE_REFS
    platforms: tuple[str, ...] = ()

    @property
    def visuals(self) -> tuple[str, ...]:
        return (*(f"image:{i}" for i in range(min(self.images, MAX_IMAGE_REFS))), *CARD_VISUALS)


def _contract(info: ValidationInfo) -> ReplyContract:
    ctx = info.context if isinstance(info.context, dict) else {}
    contract = ctx.get("contract")
    return contract if isinstance(contract, ReplyContract) else ReplyContract()


class LLMLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(pattern=NON_BLANK, description="one spoken sentence of narration")
    caption: str = Field(description="short on-screen caption for this sentence; empty string to show the narration")
    keywords: list[str] = Field(max_length=MAX_KEYWORDS, description="1-3 words from the sentence to highlight")


class LLMBeat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: BeatKind
    visual: str = Field(description="image:N for product image N (0-based), or card:specs, card:offer, card:title")
    lines: list[LLMLine] = Field(min_length=1)

    @field_validator("visual")
    @classmethod
    def _visual(cls, v: str, info: ValidationInfo) -> str:
        v = v.strip()
        allowed = _contract(info).visuals
        if not VISUAL_RE.match(v) or v not in allowed:
            raise ValueError(f"visual must be one of {', '.join(allowed)}")
        return v


class LLMPost(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: str = Field(description="platform key exactly as given")
    title: str
    description: str
    hashtags: list[str] = Field(description="hashtags without the # sign")

    @field_validator("platform")
    @classmethod
    def _platform(cls, v: str, info: ValidationInfo) -> str:
        asked = _contract(info).platforms
        if asked and v not in asked:
            raise ValueError(f"platform must be one of {', '.join(asked)}")
        return v


class LLMScript(BaseModel):
    model_config = ConfigDict(extra="forbid")

    angle: str = Field(description="the creative angle used")
    beats: list[LLMBeat] = Field(description="exactly six beats in the order hook, pain, demo, proof, offer, cta")
    posts: list[LLMPost] = Field(min_length=1, description="one entry per requested platform")

    @field_validator("beats")
    @classmethod
    def _six(cls, beats: list[LLMBeat]) -> list[LLMBeat]:
        if len(beats) != len(BEAT_ORDER):
            raise ValueError(f"beats must be exactly six beats: {', '.join(BEAT_ORDER)} in this order; got {len(beats)}")
        return beats

    @model_validator(mode="after")
    def _kinds_by_position(self) -> LLMScript:
        """The schema cannot say "each kind once, in order", so position decides: a permutation of the six kinds
        is put back in order, anything else is relabelled by position (the model's narrative order is kept)."""
        kinds = [b.kind for b in self.beats]
        if kinds == list(BEAT_ORDER):
            return self
        if sorted(kinds) == sorted(BEAT_ORDER):
            self.beats = sorted(self.beats, key=lambda b: BEAT_ORDER.index(b.kind))
        else:
            self.beats = [b.model_copy(update={"kind": k}) for b, k in zip(self.beats, BEAT_ORDER, strict=True)]
        return self


# Keywords a strict (OpenAI "structured outputs") schema rejects; pydantic still enforces them locally.
_UNSUPPORTED = {"minLength", "maxLength", "default", "format"}


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


def json_schema(contract: ReplyContract | None = None) -> dict[str, Any]:
    """The strict JSON schema of LLMScript for this product and brief, fit for response_format json_schema."""
    contract = contract or ReplyContract()
    schema = _strictify(copy.deepcopy(LLMScript.model_json_schema()))
    defs = schema["$defs"]
    defs["LLMBeat"]["properties"]["visual"]["enum"] = list(contract.visuals)
    schema["properties"]["beats"].update(minItems=len(BEAT_ORDER), maxItems=len(BEAT_ORDER))
    if contract.platforms:
        defs["LLMPost"]["properties"]["platform"]["enum"] = list(contract.platforms)
        schema["properties"]["posts"].update(minItems=len(contract.platforms), maxItems=len(contract.platforms))
    return schema


def response_format_json_schema(contract: ReplyContract | None = None) -> dict[str, Any]:
    return {"type": "json_schema",
            "json_schema": {"name": "daihuo_script", "strict": True, "schema": json_schema(contract)}}


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


def parse_reply(text: str, contract: ReplyContract | None = None) -> LLMScript:
    data = extract_json(text)
    try:
        return LLMScript.model_validate(data, context={"contract": contract or ReplyContract()})
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:12]:
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            problems.append(f"{where}: {err['msg']}")
        raise ReplyError(problems) from exc


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
