"""The in-process runner: the plan's steps one after another in this process (`daihuo make`, the demo, the
API's embedded mode). The Celery runner (workers/) walks the same plan on worker processes."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
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
from generator.pipeline.warm import warm_up
from generator.settings import Settings

# progress(key, done, total, note): e.g. ("HB-1001 v1", 3, 5, "douyin")
Progress = Callable[[str, int, int, str], None]


def start_state(job: dict[str, Any], product: dict[str, Any], variant: int) -> VariantState:
    return VariantState(job=job["id"], out=job["out_root"], product=Product.model_validate(product),
                        brief=Brief.model_validate(job["brief"]), variant=variant,
                        force=bool(job.get("options", {}).get("force")))


def run_in_process(store: JobStore, job_id: str, engines: Engines, *, policy: StepPolicy = DEFAULT_POLICY,
                   progress: Progress | None = None, render_workers: int = 1) -> JobResult:
    """Every step of JOB_ID in plan order, then the manifests and the report. Steps already done (a resumed
    job) are taken from the store, not run again.

    Three kinds of work overlap, so that the encodes are the critical path and little else is:
    - the next variant's io steps (script, review, voice: mostly waiting on the voice engine, an LLM or
      ffmpeg) run on an "io-ahead" thread while this variant's clips render;
    - up to RENDER_WORKERS clips render at once (each its own ffmpeg; one encode alone leaves part of two
      cores idle), from this variant and, when it has fewer clips than workers, the previous one;
    - each clip's QC read-back runs on a "qc-behind" thread while the next clips render.
    A variant's own steps still run in plan order (its clips after its voice), and every clip of a variant is
    tried even when another of its clips fails."""
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

    def finish(state: VariantState, clips: list[Future[VariantState]]) -> None:
        failed = next((done.failed for done in (c.result() for c in clips) if done.failed), state.failed)
        tick(f"{state.sku} v{state.variant}", len(plan), len(plan), "failed" if failed else "done")

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="io-ahead") as ahead, \
            ThreadPoolExecutor(max_workers=max(1, render_workers), thread_name_prefix="render") as renders, \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="qc-behind") as behind:
        # QC reads each finished clip back while the next one renders; the pool is drained before the report.
        engines = replace(engines, background=lambda work: behind.submit(work) and None)
        upcoming = ahead.submit(prepare, *units[0]) if units else None
        if units:  # while the first variant is written and spoken, ready what its first clip will need
            warm_up(brief, {brief.language} if brief.language else {p.get("language") or "zh" for p in job["products"]})
        rendering: list[tuple[VariantState, list[Future[VariantState]]]] = []
        for i in range(len(units)):
            state = upcoming.result()  # type: ignore[union-attr]
            rendering.append((state, [renders.submit(run, state, step, n)
                                      for n, step in enumerate(render_steps, start=len(ahead_steps))]))
            # At most two variants' clips are queued: the io thread stays one variant ahead, not the whole sheet.
            if len(rendering) > 1:
                finish(*rendering.pop(0))
            upcoming = ahead.submit(prepare, *units[i + 1]) if i + 1 < len(units) else None
        for state, clips in rendering:
            finish(state, clips)
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
                            policy=StepPolicy(settings.lease_seconds, settings.max_attempts),
                            render_workers=settings.render_concurrency())
    _write_usage(engines, brief, out_root / name)
    return result


def _write_usage(engines: Engines, brief: Brief, job_dir: Path) -> None:
    from generator.output import write_json_atomic

    usage = getattr(engines.writer, "usage", None)
    if usage:
        write_json_atomic(job_dir / "usage.json", {"writer": brief.writer, "usage": usage})
