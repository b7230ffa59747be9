"""The job plan, defined once: per product variant `script → compliance → voice → render:<platform>…`.

Every runner (in-process for `daihuo make`, the API's embedded thread, the Celery canvas) walks these same
steps; they differ only in where a step runs. The loop over platforms exists here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from generator.models import Brief, Product

SCRIPT = "script"
REVIEW = "compliance"
VOICE = "voice"
RENDER_PREFIX = "render:"
VARIANT_STEPS = (SCRIPT, REVIEW, VOICE)  # once per variant, before its clips

Queue = Literal["io", "render"]


def render_step(platform: str) -> str:
    return f"{RENDER_PREFIX}{platform}"


def platform_of(step: str) -> str | None:
    return step[len(RENDER_PREFIX):] if step.startswith(RENDER_PREFIX) else None


def variant_plan(brief: Brief) -> list[str]:
    """The steps of one product variant, in order: the shared steps, then one render per platform."""
    return [*VARIANT_STEPS, *(render_step(p) for p in brief.platforms)]


def queue_of(step: str) -> Queue:
    """I/O-bound steps (LLM, TTS, lexicon) and CPU-bound renders go to separate queues."""
    return "render" if step.startswith(RENDER_PREFIX) else "io"


@dataclass(frozen=True)
class PlannedStep:
    sku: str
    variant: int
    step: str


def job_plan(products: list[Product], brief: Brief) -> list[PlannedStep]:
    """Every step of a job, in the order an in-process runner takes them."""
    return [PlannedStep(p.sku, n, step) for p in products for n in range(1, brief.variants + 1)
            for step in variant_plan(brief)]
