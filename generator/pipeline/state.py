"""What one product variant has so far: the payload every step takes and returns.

It holds ids, models and file paths, never media bytes, so it travels as JSON between Celery tasks and is
rebuilt from the job store's step results by any runner.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from generator.models import Brief, Clip, ComplianceReport, Product, Script, VoiceTrack
from generator.output import variant_dir
from generator.pipeline.plan import REVIEW, SCRIPT, VOICE, platform_of


class Reviewed(BaseModel):
    """The compliance step's result: the script to speak, what the review found, the product to draw."""

    script: Script
    report: ComplianceReport
    shown: Product


class Spoken(BaseModel):
    """The voice step's result: the script as fitted to the brief's length (lines dropped or added) and its
    voice track. The clips draw this script, not the reviewed one."""

    script: Script
    voice: VoiceTrack


class VariantState(BaseModel):
    job: str
    out: str
    product: Product
    brief: Brief
    variant: int
    force: bool = False
    script: Script | None = None
    reviewed: Reviewed | None = None
    voice: VoiceTrack | None = None
    clips: dict[str, Clip] = Field(default_factory=dict)
    failed: str | None = Field(default=None, description="why this variant stopped, one line")

    @property
    def sku(self) -> str:
        return self.product.sku

    @property
    def directory(self) -> Path:
        return variant_dir(Path(self.out), self.job, self.product.sku, self.variant)

    def with_result(self, step: str, result: Any) -> VariantState:
        """This state with STEP's recorded result (JSON from the store, or a model) filled in."""
        if result is None:
            return self
        data = result.model_dump() if isinstance(result, BaseModel) else result
        if step == SCRIPT:
            return self.model_copy(update={"script": Script.model_validate(data)})
        if step == REVIEW:
            reviewed = Reviewed.model_validate(data)
            return self.model_copy(update={"reviewed": reviewed, "script": reviewed.script})
        if step == VOICE:
            spoken = Spoken.model_validate(data)
            reviewed = self.reviewed.model_copy(update={"script": spoken.script}) if self.reviewed else None
            return self.model_copy(update={"voice": spoken.voice, "script": spoken.script, "reviewed": reviewed})
        platform = platform_of(step)
        if platform is None:
            raise ValueError(f"unknown step {step!r}")
        return self.model_copy(update={"clips": {**self.clips, platform: Clip.model_validate(data)}})
