"""Loop data: the unique segments, and the schedule that plays them (serialised as plan.json)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SegmentKind = Literal["pitch", "greeting", "reminder", "qa", "filler", "hook", "answer"]
INTERSTITIAL_KINDS: tuple[str, ...] = ("greeting", "reminder", "qa", "filler", "hook", "answer")


class SegmentSpec(BaseModel):
    """One unique, rendered-once clip the schedule may play many times."""

    id: str = Field(description="content hash; also the file's stem")
    kind: SegmentKind = "pitch"
    duration: float = Field(gt=0, description="seconds, measured from the rendered file")
    sku: str = ""
    script_id: str = Field(default="", description="same narration (any voice speed) → same id; never back to back")
    weight: float = Field(default=1.0, gt=0, description="rotation weight")
    hours: tuple[float, float] | None = Field(
        default=None, description="wall-clock hours [from, to) this segment may start in (greetings by daypart)")
    path: str = Field(default="", description="file, relative to the loop folder")
    text: str = ""
    speed: float = 1.0
    cues: list[float] = Field(default_factory=list,
                              description="seconds between two spoken lines: where the live room may cut in")

    def key(self) -> str:
        return self.script_id or self.id


class Entry(BaseModel):
    start: float
    segment: str
    duration: float = Field(description="seconds played; less than the segment only for a trimmed last entry")
    outpoint: float | None = None


class RuleFinding(BaseModel):
    platform: str
    level: Literal["forbid", "restrict", "unknown", "ok"]
    rule: str
    advice: str = ""
    details: list[str] = Field(default_factory=list, description="the platform's rules, paraphrased, with sources")


class Schedule(BaseModel):
    hours: float
    total: float
    window_min: float
    seed: int
    start_hour: float = 0.0
    entries: list[Entry]
    segments: dict[str, SegmentSpec]
    platforms: list[str] = Field(default_factory=list)
    rules: list[RuleFinding] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    @property
    def scheduled_seconds(self) -> float:
        return sum(e.duration for e in self.entries)

    @property
    def unique_seconds(self) -> float:
        used = {e.segment for e in self.entries}
        return sum(self.segments[s].duration for s in used)
