"""What the compliance review found and did."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from generator.models.common import CompliancePolicy


class AlsoCited(BaseModel):
    """A second family the same claim violates (a disease claim by a general food is also a health-food function
    claim): cited on the one finding, so the merchant reads the claim once with both articles."""

    category: str = Field(description="health_function, cosmetic_medical")
    basis: str = Field(default="", description="the law, e.g. 食品安全法第七十三条")
    reason: str = ""


def further_articles(also: list[AlsoCited], basis: str) -> list[AlsoCited]:
    """The cited families whose article `basis` (the finding's own) does not already name: what to show."""
    return [a for a in also if a.basis not in basis]


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
    also: list[AlsoCited] = Field(default_factory=list, description=(
        "further families and articles the same claim violates (a disease claim by a general food or pet food also "
        "breaks 食品安全法第七十三条, by an ordinary cosmetic 化妆品监督管理条例第三十七条)"))

    def further_articles(self) -> list[AlsoCited]:
        """The cited families whose article the finding's own basis does not already name (what to show)."""
        return further_articles(self.also, self.basis)


class ComplianceReport(BaseModel):
    policy: CompliancePolicy = "fix"
    findings: list[Finding] = Field(default_factory=list)
    rewrites: list[dict[str, str]] = Field(default_factory=list, description="{where, before, after}")
    disclosures: list[str] = Field(default_factory=list, description="statements the clip must show")
    blocked: bool = False
    reviewer: str = "none"

