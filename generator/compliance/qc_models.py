"""What QC takes and gives: drawn text boxes in, a typed QC report out (written as <platform>.qc.json)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, computed_field

# "struck": text drawn struck through on purpose (the old price): blanked when the frame is read, never read.
BoxKind = Literal["label", "caption", "badge", "disclosure", "card", "image", "title", "callout", "struck"]


class TextBox(BaseModel):
    """One piece of text the renderer drew (or a scene's content area): what, where (pixels), when (seconds)."""

    text: str
    x: int
    y: int
    w: int
    h: int
    start: float
    end: float
    kind: BoxKind
    source: str = Field(default="", description="what a scene shows (image:0, card:offer): equal sources look alike")

    @property
    def lines(self) -> int:
        return max(1, len([ln for ln in self.text.split("\n") if ln.strip()]))

    def active(self, t: float) -> bool:
        return self.start <= t < self.end


class QCCheck(BaseModel):
    id: str
    ok: bool
    detail: str
    severity: Literal["fail", "warn"] = "fail"


class TextRead(BaseModel):
    """What OCR read in one box (or in the rest of the frame) at one moment."""

    t: float
    kind: str
    expected: str = ""
    read: str = ""
    similarity: float = 0.0
    ok: bool = True
    box: tuple[int, int, int, int] | None = Field(default=None, description="x, y, w, h in frame pixels")


class QCReport(BaseModel):
    path: str
    width: int = 0
    height: int = 0
    duration: float = 0.0
    seconds: float = Field(default=0.0, description="wall-clock time QC took")
    frames: list[float] = Field(default_factory=list, description="sampled times, seconds")
    loudness_lufs: float | None = None
    true_peak_dbtp: float | None = None
    checks: list[QCCheck] = Field(default_factory=list)
    reads: list[TextRead] = Field(default_factory=list)
    unapproved: list[str] = Field(default_factory=list, description="on-screen text that no approved text covers")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks if c.severity == "fail")

    def failures(self) -> list[str]:
        return [f"{c.id}: {c.detail}" for c in self.checks if not c.ok and c.severity == "fail"]


class QCInputs(BaseModel):
    """Everything QC compared the clip with, stored in the .qc.json so `daihuo verify` can repeat it."""

    approved: list[str] = Field(default_factory=list)
    boxes: list[TextBox] = Field(default_factory=list)
    statements: list[str] = Field(default_factory=list, description="category statements that must be on screen")
    platform: str | None = None
    scale: float = 1.0
    label: str = ""
