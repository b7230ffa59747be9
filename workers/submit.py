"""Submitting a job: intake of products, the Celery canvas, resume, the in-process runner, settling.

A job's products are stored (as JSON) in the JobStore when it is submitted, with their images copied under
OUT/.daihuo/inputs/, so that any worker that mounts OUT can run any step and a resume needs nothing but the
job id.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import time
from pathlib import Path
from typing import Any

from generator.models import Brief, Product, SheetResult
from generator.pipeline import with_brief_language
from workers.jobs import STATE_DIR, JobStore
from workers.steps import (
    NotFinished,
    StepRetry,
    finalize,
    lease_seconds,
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
    products = with_brief_language(stage_images(sheet.products, store.out_root), brief)
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
    _drop_result_subscriptions(tasks.report.app)
    return len(chains)


def _drop_result_subscriptions(app: Any) -> None:
    """Nobody here waits on Celery results (progress comes from the job state). Without this, the Redis result
    subscriptions that sending opened are closed by AsyncResult.__del__ at interpreter exit, which fails with
    a noisy traceback. Best effort: these are Celery internals."""
    consumer = getattr(app.backend, "result_consumer", None)
    with contextlib.suppress(Exception):
        consumer.subscribed_to.clear()
        consumer.stop()


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


def settle(store: JobStore, job_id: str, *, grace: float = 15.0, broker_url: str | None = None,
           stall: float | None = None) -> dict[str, Any]:
    """Bring a job to its end when the broker dropped its messages; waiters call this while polling.

    - All steps finished but no report (the chord's report task was lost): write the report here.
    - With BROKER_URL: steps left over, yet Redis holds no message at all (queues and un-acked set empty) and no
      worker holds a live lease, for STALL seconds: the messages were lost (a Redis restart can drop a message
      between a worker taking it and acknowledging it); re-send the unfinished part. Steps are idempotent,
      so a false alarm costs nothing but a few skipped tasks.
    """
    job = store.job(job_id)
    if job["state"] in ("done", "failed"):
        return job
    steps = store.steps(job_id)
    last = max((s["updated"] for s in steps), default=job["updated"])
    quiet = time.time() - last
    if all(s["state"] in ("done", "failed") for s in steps):
        if quiet >= grace:
            with contextlib.suppress(NotFinished):
                finalize(job_id, str(store.out_root))
        return store.job(job_id)
    if broker_url and quiet >= (stall if stall is not None else stall_seconds()) and not _live_leases(steps) and broker_is_idle(broker_url):
        store.set_job_state(job_id, "running", message="no message left in Redis for this job's open steps: "
                            "re-sending them (lost by a broker restart?)")
        enqueue(store, job_id)
    return store.job(job_id)


def stall_seconds() -> float:
    return float(os.environ.get("DAIHUO_STALL_SECONDS", "60"))


def _live_leases(steps: list[dict[str, Any]]) -> bool:
    fresh = 2 * lease_seconds()
    return any(s["state"] == "running" and s["heartbeat"] and time.time() - s["heartbeat"] < fresh for s in steps)


def broker_is_idle(url: str) -> bool:
    """True when no task message waits in a queue or sits un-acknowledged (or ETA-held) at a worker."""
    import redis

    from workers.celery_app import IO_QUEUE, RENDER_QUEUE

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        keys = [q + suffix for q in (IO_QUEUE, RENDER_QUEUE) for suffix in ("", "\x06\x163", "\x06\x166", "\x06\x169")]
        waiting = sum(client.llen(k) for k in keys)
        return waiting == 0 and client.hlen("unacked") == 0
    except redis.RedisError:
        return False  # cannot tell while Redis is down: do nothing
