"""The Celery runner: the plan as a canvas, resume, and recovery of messages a broker lost.

Per product variant a chain of the plan's io steps (script → compliance → voice) then a group of its render
steps, all inside one chord whose body writes the batch report. The steps come from
generator.pipeline.plan.variant_plan, the same list the in-process runner walks.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from generator.models import Brief
from generator.pipeline.plan import queue_of, variant_plan
from generator.pipeline.runners import start_state
from generator.pipeline.store import JobStore
from generator.settings import Settings

log = logging.getLogger("daihuo.workers")


def enqueue(store: JobStore, job_id: str, only: set[tuple[str, int]] | None = None) -> int:
    """Send the job's canvas to the workers; variants already finished are left out (a resume), and with ONLY
    given, every variant not in it. Returns the number of chains sent."""
    from celery import chord

    from workers import tasks

    job = store.job(job_id)
    plan = variant_plan(Brief.model_validate(job["brief"]))
    finished = _finished_variants(store, job_id)
    chains = []
    for product in job["products"]:
        for n in range(1, int(job["brief"]["variants"]) + 1):
            if (product["sku"], n) in finished or (only is not None and (product["sku"], n) not in only):
                continue
            chains.append(_variant_chain(start_state(job, product, n).model_dump(mode="json"), plan))
    report = tasks.report.si(job_id, str(store.out_root))
    if chains:
        chord(chains)(report)
    else:
        report.apply_async()
    _drop_result_subscriptions(tasks.report.app)
    return len(chains)


def _variant_chain(state: dict[str, Any], plan: list[str]) -> Any:
    """script → compliance → voice → group(render per platform): the plan's io steps, then its renders."""
    from celery import chain, group

    from workers import tasks

    io = [s for s in plan if queue_of(s) == "io"]
    renders = [tasks.render_step.s(step=s) for s in plan if queue_of(s) == "render"]
    links = [tasks.io_step.s(state, io[0]), *(tasks.io_step.s(step=s) for s in io[1:])]
    return chain(*links, group(renders) if len(renders) > 1 else renders[0])


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
    """Re-send whatever of JOB is not done (failed steps included); done steps are kept, clips not re-rendered."""
    store.reset_unfinished(job_id)
    return enqueue(store, job_id)


def settle(store: JobStore, job_id: str, settings: Settings, *, grace: float = 15.0,
           broker_url: str | None = None) -> dict[str, Any]:
    """Bring a Celery job to its end when a worker died or the broker dropped its messages; `batch --wait`,
    the API server and every worker call this (workers/recovery.py says how, and why it is safe)."""
    from workers.recovery import recover_job

    job = store.job(job_id)
    if job["state"] in ("done", "failed") or job["mode"] != "celery":
        return job
    try:
        recover_job(store, job, settings, broker_url=broker_url, grace=grace)
    except Exception:  # noqa: BLE001 - Redis down, a locked database: whoever settles tries again soon
        log.warning("recovery of job %s failed; it is tried again on the next pass", job_id, exc_info=True)
    return store.job(job_id)
