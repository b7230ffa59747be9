"""What a job made: clips, per-variant results, the job result and the manifest."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from generator.models.brief import Brief
from generator.models.compliance import ComplianceReport
from generator.models.product import RowError
from generator.models.script import PlatformCopy, Script
from generator.models.voice import LineTiming, VoiceTrack


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
    clips: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="per platform: Clip + aigc + label_text + clip_id, title, factors")
    creative: dict[str, Any] = Field(default_factory=dict,
                                     description="each creative factor's level, who chose it (writer, brief, learn) and why")
    error: str | None = None

