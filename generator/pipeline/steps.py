"""The bodies of the plan's steps: typed state and engines in, a typed result (and files) out.

They know nothing of where they run or where results are kept (that is execute.py and the runners). Each
is idempotent: the render step finds a clip already made from the same inputs and does not make it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from generator.errors import DaihuoError
from generator.models import Brief, ComplianceReport, CreativeChoice, Product, Script, VoiceTrack
from generator.pipeline.engines import Engines
from generator.pipeline.plan import REVIEW, SCRIPT, VOICE, platform_of
from generator.pipeline.render import remove_partials, render_platform
from generator.pipeline.state import Reviewed, Spoken, VariantState
from generator.script.base import ScriptWriter
from generator.settings import ASSETS_DIR
from generator.voice.base import VoiceEngine

MUSIC = ASSETS_DIR / "music" / "soft_loop.ogg"
VOICE_DIR = "voice"  # the voice step's own folder inside a variant's folder


class BlockedByCompliance(DaihuoError):
    """The review policy stops this variant; `report` says what was found."""

    def __init__(self, problem: str, report: ComplianceReport | None = None) -> None:
        super().__init__(problem, "rewrite the claim in the sheet, or use --compliance fix; see compliance.md")
        self.report = report


@dataclass
class StepOutput:
    result: BaseModel
    siblings: dict[int, BaseModel] = field(default_factory=dict)  # the same step's results for other variants
    rendered: bool = False  # a clip was encoded (not found already made)


def write_scripts(product: Product, brief: Brief, writer: ScriptWriter) -> list[Script]:
    """All variants of one product at once: each is written knowing the others, so they differ. With
    `brief.learn`, each variant's angle and hook come from the insights (generator.learn.allocate)."""
    choices = plan_choices(product, brief)
    scripts: list[Script] = []
    for n in range(1, brief.variants + 1):
        choice = choices[n - 1] if choices else None
        scripts.append(writer.write(product, brief, n, siblings=tuple(scripts), choice=choice))
    return scripts


def plan_choices(product: Product, brief: Brief) -> list[CreativeChoice]:
    """The creative choice of every variant from `brief.learn` (none without it). Seeded by the SKU and the
    insights, so a rerun makes the same choices."""
    if not brief.learn:
        return []
    from generator.learn.allocate import allocate
    from generator.learn.store import load_insights
    from generator.script.template_writer import hook_ids

    return allocate(load_insights(Path(brief.learn)), sku=product.sku, variants=brief.variants,
                    explore=brief.explore, hooks=hook_ids(brief.language or product.language), source=brief.learn)


def review(script: Script, product: Product, brief: Brief, engines: Engines) -> Reviewed:
    """Review the script and the sheet text cards and covers draw; raise when the policy blocks."""
    outcome = engines.reviewer.review(script, product, brief.compliance)
    reviewed = Reviewed(script=outcome.script, report=outcome.report, shown=outcome.shown)
    if reviewed.report.blocked:
        reasons = "; ".join(outcome.reasons) or "see compliance.md"
        raise BlockedByCompliance(f"blocked by compliance review ({brief.compliance}): {reasons}", reviewed.report)
    return reviewed


def speak(script: Script, brief: Brief, directory: Path, engine: VoiceEngine, *, speed: float = 1.0) -> VoiceTrack:
    from generator.voice.track import speak_script

    return speak_script(script, engine, directory / VOICE_DIR, music=MUSIC if brief.music else None, speed=speed)


def speak_fitted(reviewed: Reviewed, brief: Brief, directory: Path, engines: Engines) -> Spoken:
    """The voice step: speak the reviewed script, then fit it to `brief.duration` by dropping or adding
    sheet-grounded lines and nudging the rate (generator/script/fit.py). Added lines come from the reviewed
    product, and the fitted script is reviewed again, so fitting can never bring back a claim the review took out."""
    import tempfile

    from generator.script.fit import RememberedVoice, fit_duration, line_timer
    from generator.script.template_writer import extra_lines

    with tempfile.TemporaryDirectory(prefix="daihuo-said-") as said:
        voice = RememberedVoice(engines.voice, Path(said))
        script, track = fit_duration(
            reviewed.script, reviewed.shown, brief.duration,
            lambda s, rate: speak(s, brief, directory, voice, speed=rate),  # type: ignore[arg-type]
            extras=extra_lines, measure=line_timer(voice, directory / VOICE_DIR))
    if script != reviewed.script:
        review(script, reviewed.shown, brief, engines)  # raises BlockedByCompliance on a new finding
    return Spoken(script=script, voice=track)


def run_body(step: str, state: VariantState, engines: Engines) -> StepOutput:
    """Run STEP for the variant in STATE (whose earlier steps are filled in)."""
    if step == SCRIPT:
        scripts = write_scripts(state.product, state.brief, engines.writer)
        mine = next((s for s in scripts if s.variant == state.variant), None)
        if mine is None:
            raise DaihuoError(f"the script writer made no variant {state.variant}", "report this as a bug")
        return StepOutput(mine, siblings={s.variant: s for s in scripts if s.variant != state.variant})
    if state.script is None:
        raise DaihuoError(f"step {step} needs the script step first", "run the job's steps in plan order")
    if step == REVIEW:
        return StepOutput(review(state.script, state.product, state.brief, engines))
    if state.reviewed is None:
        raise DaihuoError(f"step {step} needs the compliance step first", "run the job's steps in plan order")
    if step == VOICE:
        return StepOutput(speak_fitted(state.reviewed, state.brief, state.directory, engines))
    platform = platform_of(step)
    if platform is None or state.voice is None:
        raise DaihuoError(f"step {step} cannot run yet", "run the job's steps in plan order")
    remove_partials(state.directory, platform)
    clip = render_platform(
        state.reviewed.shown, state.reviewed.script, state.voice, platform, state.brief, state.directory, engines,
        report=state.reviewed.report, force=state.force, inputs_product=state.product,
    )
    return StepOutput(clip, rendered=not clip.skipped)
