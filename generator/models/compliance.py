"""What the compliance review found and did."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from generator.models.common import CompliancePolicy


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
    basis: str = Field(default="", description="the law it rests on, e.g. 广告法第十七条")
    advice: str = Field(default="", description="a safe way to say it when the claim has to go")


class ComplianceReport(BaseModel):
    policy: CompliancePolicy = "fix"
    findings: list[Finding] = Field(default_factory=list)
    rewrites: list[dict[str, str]] = Field(default_factory=list, description="{where, before, after}")
    disclosures: list[str] = Field(default_factory=list, description="statements the clip must show")
    blocked: bool = False
    reviewer: str = "none"

