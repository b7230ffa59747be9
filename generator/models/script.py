"""A short-video script: beats of spoken lines, and the post copy per platform."""

from __future__ import annotations

from pydantic import BaseModel, Field

from generator.models.common import BeatKind, Language
from generator.models.creative import CreativeChoice


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
    hook_id: str = Field(default="", description="'<angle>/<n>': which template hook opened it; '' when free-written")
    creative: CreativeChoice | None = Field(default=None, description="the factors the writer was asked to use")
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

