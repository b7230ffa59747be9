"""The in-process runner: the plan's steps one after another in this process (`daihuo make`, the demo, the
API's embedded mode). The Celery runner (workers/) walks the same plan on worker processes."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from generator.models import Brief, JobResult, Product
from generator.output import job_name
from generator.pipeline.engines import Engines
from generator.pipeline.execute import DEFAULT_POLICY, StepPolicy, StepRetry, owner_id, run_step
from generator.pipeline.finalize import finalize
from generator.pipeline.intake import create_job, load_sheet
from generator.pipeline.plan import queue_of, variant_plan
from generator.pipeline.state import VariantState
from generator.pipeline.store import JobStore
from generator.settings import Settings

# progress(key, done, total, note): e.g. ("HB-1001 v1", 3, 5, "douyin")
Progress = Callable[[str, int, int, str], None]


def start_state(job: dict[str, Any], product: dict[str, Any], variant: int) -> VariantState:
    return VariantState(job=job["id"], out=job["out_root"], product=Product.model_validate(product),
                        brief=Brief.model_validate(job["brief"]), variant=variant,
                        force=bool(job.get("options", {}).get("force")))


def run_in_process(store: JobStore, job_id: str, engines: Engines, *, policy: StepPolicy = DEFAULT_POLICY,
                   progress: Progress | None = None) -> JobResult:
    """Every step of JOB_ID in plan order, then the manifests and the report. Steps already done (a resumed
    job) are taken from the store, not run again.

    The next variant's io steps (script, review, voice: mostly waiting on the voice engine, an LLM or ffmpeg's
    loudness passes) run on a second thread while this variant's clips render, and each clip's QC read-back
    runs on a third while the next clip renders, so both stay off the critical path; each variant's own steps
    still run in plan order."""
    job = store.job(job_id)
    tick = progress or (lambda *_: None)
    owner = owner_id("in-process")
    brief = Brief.model_validate(job["brief"])
    plan = variant_plan(brief)
    ahead_steps = [s for s in plan if queue_of(s) == "io"]
    render_steps = [s for s in plan if queue_of(s) == "render"]
    units = [(product, variant) for product in job["products"] for variant in range(1, brief.variants + 1)]

    def run(state: VariantState, step: str, n: int) -> VariantState:
        tick(f"{state.sku} v{state.variant}", n, len(plan), step)
        return _until_done(lambda: run_step(store, state, step, lambda: engines, owner, policy))

    def prepare(product: dict[str, Any], variant: int) -> VariantState:
        state = start_state(job, product, variant)
        for n, step in enumerate(ahead_steps):
            state = run(state, step, n)
        return state

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="io-ahead") as ahead, \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="qc-behind") as behind:
        # QC reads each finished clip back while the next one renders; the pool is drained before the report.
        engines = replace(engines, background=lambda work: behind.submit(work) and None)
        upcoming = ahead.submit(prepare, *units[0]) if units else None
        for i in range(len(units)):
            state = upcoming.result()  # type: ignore[union-attr]
            upcoming = ahead.submit(prepare, *units[i + 1]) if i + 1 < len(units) else None
            for n, step in enumerate(render_steps, start=len(ahead_steps)):
                state = run(state, step, n)
            tick(f"{state.sku} v{state.variant}", len(plan), len(plan), "failed" if state.failed else "done")
    return finalize(store, job_id)


def _until_done(call: Callable[[], VariantState], limit: int = 100) -> VariantState:
    for _ in range(limit):
        try:
            return call()
        except StepRetry as exc:
            time.sleep(exc.countdown)
    raise RuntimeError("a step kept asking to be retried; another process may be stuck holding it")


def run_job(sheet: Path, brief: Brief, out_root: Path, *, job: str | None = None, force: bool = False,
            progress: Progress | None = None, engines: Engines | None = None,
            settings: Settings | None = None) -> JobResult:
    """`daihuo make`: SHEET → clips under OUT_ROOT/<job>, in this process, with no Redis.

    ENGINES default to the bootstrap's for SETTINGS (default: the environment's)."""
    from generator.bootstrap import build_engines
    from generator.settings import load_settings

    settings = settings or load_settings()
    engines = engines or build_engines(settings, brief)
    name = job_name(sheet, job)
    store = JobStore(out_root, journal=settings.state_journal)
    sheet_result = load_sheet(sheet, out_root, settings.sheet_limits())
    create_job(store, name, sheet_result, brief, mode="in-process", force=force)
    result = run_in_process(store, name, engines, progress=progress,
                            policy=StepPolicy(settings.lease_seconds, settings.max_attempts))
    _write_usage(engines, brief, out_root / name)
    return result


def _write_usage(engines: Engines, brief: Brief, job_dir: Path) -> None:
    from generator.output import write_json_atomic

    usage = getattr(engines.writer, "usage", None)
    if usage:
        write_json_atomic(job_dir / "usage.json", {"writer": brief.writer, "usage": usage})
