"""Typed data that flows between the pipeline stages.

Every stage is a function from these models to these models; only the edges (sheets, voice engines,
the renderer, the output writer) touch files, processes or the network. The models are the contract
between the CLI, the in-process pipeline, the Celery workers and the HTTP API, so they are serialisable
(pydantic) and carry no behaviour beyond small derived properties.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Language = Literal["zh", "en", "id", "ms", "th", "vi"]
BeatKind = Literal["hook", "pain", "demo", "proof", "offer", "cta"]
BEAT_ORDER: tuple[BeatKind, ...] = ("hook", "pain", "demo", "proof", "offer", "cta")
CompliancePolicy = Literal["fix", "block", "warn"]


def stable_hash(data: Any, length: int = 16) -> str:
    """Hash of JSON-able data that is the same on every machine and run (sorted keys, no whitespace)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


class Product(BaseModel):
    """One product row of a sheet, cleaned and validated."""

    model_config = ConfigDict(frozen=True)

    sku: str
    title: str
    brand: str = ""
    category: str = ""
    price: float | None = None
    sale_price: float | None = None
    selling_points: list[str] = Field(default_factory=list)
    specs: dict[str, str] = Field(default_factory=dict)
    audience: str = ""
    scenes: list[str] = Field(default_factory=list)
    offer: str = ""
    images: list[str] = Field(default_factory=list, description="absolute local paths after fetching")
    language: Language = "zh"
    # Where it came from, so that every later error can point back at the merchant's spreadsheet row.
    source: str = ""
    row: int = 0
    warnings: list[str] = Field(default_factory=list)

    def content_hash(self) -> str:
        """Hash of what the product says (not where it came from): same product, same clips."""
        data = self.model_dump(exclude={"source", "row", "warnings", "images"})
        data["images"] = [_file_fingerprint(p) for p in self.images]
        return stable_hash(data)


def _file_fingerprint(path: str) -> str:
    p = Path(path)
    try:
        return hashlib.sha256(p.read_bytes()).hexdigest()[:16]
    except OSError:
        return path


class RowError(BaseModel):
    """A sheet row that could not become a Product: where, what, and what to do about it."""

    file: str
    row: int = Field(description="spreadsheet row number as the merchant sees it; the header is row 1")
    field: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file}: row {self.row}, field '{self.field}': {self.problem} — {self.fix}"


class SheetResult(BaseModel):
    products: list[Product] = Field(default_factory=list)
    errors: list[RowError] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class Brief(BaseModel):
    """What the user asked for, shared by every product of a job."""

    platforms: list[str] = Field(default_factory=lambda: ["douyin"])
    language: Language | None = Field(default=None, description="None: each product's own language")
    duration: int = Field(default=30, ge=5, le=180, description="target seconds; 15, 30 or 60 usual")
    variants: int = Field(default=1, ge=1, le=20)
    writer: str = "template"
    voice: str = "espeak"
    host: str = "none"
    compliance: CompliancePolicy = "fix"
    music: bool = True
    scale: float = Field(default=1.0, gt=0.05, le=1.0, description="proxy render scale; 1.0 is full size")


class Line(BaseModel):
    """One spoken sentence and what is shown while it is spoken."""

    text: str = Field(description="narration, spoken by the voice")
    caption: str = Field(default="", description="on-screen caption; empty means the narration itself")
    keywords: list[str] = Field(default_factory=list, description="words to emphasise on screen")

    @property
    def shown(self) -> str:
        return self.caption or self.text


class Beat(BaseModel):
    kind: BeatKind
    lines: list[Line]
    visual: str = Field(default="image:0", description="image:N (product image N), card:specs, card:offer, card:title")


class PlatformCopy(BaseModel):
    """Title, description and hashtags for posting, within that platform's limits."""

    title: str
    description: str = ""
    hashtags: list[str] = Field(default_factory=list)


class Script(BaseModel):
    sku: str
    variant: int = 1
    language: Language = "zh"
    angle: str = Field(default="", description="pain-point, scene, comparison, story, expert ...")
    beats: list[Beat]
    copy_by_platform: dict[str, PlatformCopy] = Field(default_factory=dict)
    writer: str = "template"
    notes: list[str] = Field(default_factory=list, description="what the writer did: fallbacks, trims, repairs")

    @property
    def hook(self) -> Beat:
        return self.beats[0]

    @property
    def call_to_action(self) -> Beat:
        return self.beats[-1]

    def lines(self) -> list[Line]:
        return [line for beat in self.beats for line in beat.lines]

    def narration(self) -> str:
        return "".join(line.text for line in self.lines())


class Finding(BaseModel):
    """One compliance hit (the compliance module fills these)."""

    term: str
    rule: str
    category: str
    severity: Literal["block", "review", "warn"]
    start: int
    end: int
    suggestion: str = ""
    where: str = Field(default="", description="narration[3], caption[3], title:douyin, hashtag ...")
    reason: str = ""


class ComplianceReport(BaseModel):
    policy: CompliancePolicy = "fix"
    findings: list[Finding] = Field(default_factory=list)
    rewrites: list[dict[str, str]] = Field(default_factory=list, description="{where, before, after}")
    disclosures: list[str] = Field(default_factory=list, description="statements the clip must show")
    blocked: bool = False
    reviewer: str = "none"


class LineTiming(BaseModel):
    index: int = Field(description="index into Script.lines()")
    text: str
    caption: str
    start: float
    end: float
    words: list[tuple[str, float, float]] = Field(default_factory=list, description="(word, start, end) when known")


class VoiceTrack(BaseModel):
    path: str
    duration: float
    lines: list[LineTiming]
    engine: str
    voice: str = ""
    loudness_lufs: float | None = None
    music: str | None = None


class Clip(BaseModel):
    platform: str
    path: str
    cover: str
    srt: str
    vtt: str
    width: int
    height: int
    duration: float
    inputs_hash: str
    skipped: bool = Field(default=False, description="already rendered with the same inputs")
    probe: dict[str, Any] = Field(default_factory=dict)


class VariantResult(BaseModel):
    """Everything made for one product variant: the script, the voice and one clip per platform."""

    sku: str
    variant: int
    directory: str
    script: Script | None = None
    compliance: ComplianceReport | None = None
    voice: VoiceTrack | None = None
    clips: list[Clip] = Field(default_factory=list)
    error: str | None = None


class JobResult(BaseModel):
    job: str
    out_dir: str
    variants: list[VariantResult] = Field(default_factory=list)
    row_errors: list[RowError] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.row_errors) or any(v.error for v in self.variants)


class Manifest(BaseModel):
    """manifest.json of one variant folder: what went in, what was made, and by which engines."""

    model_config = ConfigDict(populate_by_name=True)

    schema_: str = Field(default="daihuo.manifest/1", alias="schema")
    generator: str
    job: str
    sku: str
    variant: int
    inputs_hash: str
    source: dict[str, Any]
    product: dict[str, Any]
    brief: Brief
    engines: dict[str, str | None]
    script: Script | None = None
    post_copy: dict[str, PlatformCopy] = Field(default_factory=dict)
    voice: dict[str, Any] | None = None
    line_timings: list[LineTiming] = Field(default_factory=list)
    compliance: ComplianceReport | None = None
    clips: dict[str, dict[str, Any]] = Field(default_factory=dict, description="per platform: Clip + aigc + label_text")
    error: str | None = None
