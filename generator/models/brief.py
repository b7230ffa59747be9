"""What the user asked for, shared by every product of a job."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from generator.models.common import CompliancePolicy, Language


class Brief(BaseModel):
    """What the user asked for, shared by every product of a job."""

    platforms: list[str] = Field(default_factory=lambda: ["douyin"])
    language: Language | None = Field(default=None, description="None: each product's own language")
    duration: int = Field(default=30, ge=5, le=180, description="target seconds; 15, 30 or 60 usual")
    variants: int = Field(default=1, ge=1, le=20)
    writer: str = "template"
    voice: str = "auto"
    host: str = "none"
    compliance: CompliancePolicy = "fix"
    music: bool = True
    scale: float = Field(default=1.0, gt=0.05, le=1.0, description="proxy render scale; 1.0 is full size")
    learn: str | None = Field(default=None, description="insights.json of `daihuo learn`: choose angles and hooks from it")
    explore: float = Field(default=0.125, ge=0.0, le=1.0, description="with `learn`: share of variants that try "
                           "other levels than the leaders (0.125 = 1 in 8)")
    qc: Literal["on", "off"] = Field(default="on", description="read every clip back (<platform>.qc.json); off for previews")
    style: str | None = Field(default=None, description="style pack (assets/styles/NAME.yaml); None: by category, "
                                                        "rotating over variants")
    captions: Literal["verbatim", "keywords"] = Field(default="verbatim", description="verbatim: what is said, "
                                                      "phrase by phrase; keywords: each line's short caption")
    export: Literal["none", "jianying", "jianying-zip"] = Field(
        default="none", description="also write each clip as a 剪映 (Jianying/CapCut) draft folder "
                                    "<platform>.jianying/ (jianying-zip: and <platform>.jianying.zip)")

