"""Submitting a job: intake of products, the Celery canvas, resume, the in-process runner, settling.

A job's products are stored (as JSON) in the JobStore when it is submitted, with their images copied under
OUT/.daihuo/inputs/, so that any worker that mounts OUT can run any step and a resume needs nothing but the
job id.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import time
from pathlib import Path
from typing import Any

from generator.models import Brief, Product, SheetResult
from workers.jobs import STATE_DIR, JobStore
from workers.steps import (
    NotFinished,
    StepRetry,
    all_terminal,
    finalize,
    owner_id,
    plan_steps,
    start_payload,
    step_compliance,
    step_render,
    step_script,
    step_voice,
)


def stage_images(products: list[Product], out_root: Path) -> list[Product]:
    """Copy every image into OUT/.daihuo/inputs/<content hash>.<ext>: workers on other machines see the shared
    OUT, not the submitter's disk. Same bytes, same name, so the products' content hashes do not change."""
    inputs = out_root / STATE_DIR / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    staged: list[Product] = []
    for product in products:
        paths = []
        for image in product.images:
            src = Path(image)
            if src.resolve().is_relative_to(out_root.resolve()):
                paths.append(str(src.resolve()))
                continue
            digest = hashlib.sha256(src.read_bytes()).hexdigest()[:24]
            dst = inputs / f"{digest}{src.suffix.lower()}"
            if not dst.exists():
                tmp = dst.with_name(f".{dst.name}.tmp")
                shutil.copyfile(src, tmp)
                tmp.replace(dst)
            paths.append(str(dst.resolve()))
        staged.append(product.model_copy(update={"images": paths}))
    return staged


def create_job(
    store: JobStore, job: str, sheet: SheetResult, brief: Brief, *, mode: str, token: str = "",
) -> dict[str, Any]:
    products = stage_images(sheet.products, store.out_root)
    if brief.language:
        products = [p.model_copy(update={"language": brief.language}) for p in products]
    store.create_job(
        job, mode=mode, brief=brief.model_dump(), products=[p.model_dump() for p in products],
        row_errors=[e.model_dump() for e in sheet.errors], warnings=sheet.warnings,
        steps=plan_steps(products, brief), token=token,
    )
    return store.job(job)


def enqueue(store: JobStore, job_id: str) -> int:
    """Send the job's canvas to the workers: per product variant `script → compliance → voice →
    group(render per platform)`, all inside one chord whose body writes the batch report. Variants already
    finished are left out (a resume). Returns the number of chains sent."""
    from celery import chain, chord, group

    from workers import tasks

    job = store.job(job_id)
    out = str(store.out_root)
    brief = job["brief"]
    finished = _finished_variants(store, job_id)
    chains = []
    for product in job["products"]:
        for n in range(1, int(brief["variants"]) + 1):
            if (product["sku"], n) in finished:
                continue
            renders = [tasks.render.s(platform=p) for p in brief["platforms"]]
            chains.append(chain(
                tasks.script.s(job_id, out, product, brief, n), tasks.compliance.s(), tasks.voice.s(),
                group(renders) if len(renders) > 1 else renders[0],
            ))
    report = tasks.report.si(job_id, out)
    if chains:
        chord(chains)(report)
    else:
        report.apply_async()
    return len(chains)


def _finished_variants(store: JobStore, job_id: str) -> set[tuple[str, int]]:
    state: dict[tuple[str, int], bool] = {}
    for s in store.steps(job_id):
        key = (s["sku"], s["variant"])
        state[key] = state.get(key, True) and s["state"] == "done"
    return {k for k, ok in state.items() if ok}


def resume(store: JobStore, job_id: str) -> int:
    """Re-send whatever of JOB is not done (failed steps included); done steps are kept, clips are not re-rendered."""
    store.reset_unfinished(job_id)
    return enqueue(store, job_id)


def run_inline(store: JobStore, job_id: str) -> dict[str, Any]:
    """The same steps, one after another in this process (the embedded default: no Redis)."""
    job = store.job(job_id)
    out = str(store.out_root)
    owner = owner_id("inline")
    for product in job["products"]:
        for n in range(1, int(job["brief"]["variants"]) + 1):
            payload = start_payload(job_id, out, product, job["brief"], n)
            for step in (step_script, step_compliance, step_voice):
                payload = _with_retries(lambda s=step, p=payload: s(p, owner))
            for platform in job["brief"]["platforms"]:
                _with_retries(lambda pl=platform, p=payload: step_render(dict(p), pl, owner))
    return finalize(job_id, out)


def _with_retries(call: Any, limit: int = 100) -> Any:
    for _ in range(limit):
        try:
            return call()
        except StepRetry as exc:
            time.sleep(exc.countdown)
    raise RuntimeError("a step kept asking to be retried; another process may be stuck holding it")


def settle(store: JobStore, job_id: str, *, grace: float = 15.0) -> dict[str, Any]:
    """Make sure a job whose steps are all finished has its report, even if the chord's report task was lost
    (for example its counter went with a broker that lost data): waiters call this while polling."""
    job = store.job(job_id)
    if job["state"] in ("done", "failed") or not all_terminal(store, job_id):
        return job
    last = max((s["updated"] for s in store.steps(job_id)), default=job["updated"])
    if time.time() - last >= grace:
        with contextlib.suppress(NotFinished):
            finalize(job_id, str(store.out_root))
    return store.job(job_id)
