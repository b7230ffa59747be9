"""The reviewer engine the pipeline is handed: review a script and the sheet text drawn on screen."""

from __future__ import annotations

from dataclasses import dataclass

from generator.compliance.review import blocking_reasons, review_display, review_script
from generator.models import CompliancePolicy, ComplianceReport, Product, Script


@dataclass(frozen=True)
class ReviewOutcome:
    script: Script  # what the voice speaks and the captions show
    report: ComplianceReport
    shown: Product  # the product as cards and covers draw it (its on-screen text reviewed too)

    @property
    def reasons(self) -> list[str]:
        return blocking_reasons(self.report)


class LexiconReviewer:
    """广告法 lexicon review (generator.compliance.review): pure, offline, data loaded once per process."""

    name = "lexicon"

    def review(self, script: Script, product: Product, policy: CompliancePolicy) -> ReviewOutcome:
        script, report = review_script(script, product, policy)
        shown = review_display(product, report)
        return ReviewOutcome(script, report, shown)
