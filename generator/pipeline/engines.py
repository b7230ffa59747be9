"""The engines a job's steps are handed (built once per job by generator.bootstrap, or by a test)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from generator.models import CompliancePolicy, ComplianceReport, HostOverlay, Product, Script, VoiceTrack
from generator.platforms import Preset
from generator.script.base import ScriptWriter
from generator.settings import Settings
from generator.voice.base import VoiceEngine


class ReviewOutcome(Protocol):
    script: Script
    report: ComplianceReport
    shown: Product

    @property
    def reasons(self) -> list[str]: ...


class Reviewer(Protocol):
    name: str

    def review(self, script: Script, product: Product, policy: CompliancePolicy) -> ReviewOutcome: ...


# The host for one clip: (voice, script, preset) -> overlay, or None when the brief asks for no host.
HostFactory = Callable[[VoiceTrack, Script, Preset], HostOverlay | None]


@dataclass
class Engines:
    writer: ScriptWriter
    voice: VoiceEngine
    reviewer: Reviewer
    host: HostFactory
    render: Settings  # renderer, encoder, x264 preset, CRF, threads
    producer: str = "daihuo"  # the AIGC implicit label's ContentProducer
    propagator: str = ""
    # Where a render step may leave work that needs only its finished clip (QC's read-back): the in-process
    # runner hands in a queue it drains before the job's report; None runs that work inside the step.
    background: Callable[[Callable[[], None]], None] | None = None
