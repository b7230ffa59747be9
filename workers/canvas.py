"""The Celery runner: the plan as a canvas, resume, and recovery of messages a broker lost.

Per product variant a chain of the plan's io steps (script → compliance → voice) then a group of its render
steps, all inside one chord whose body writes the batch report. The steps come from
generator.pipeline.plan.variant_plan, the same list the in-process runner walks.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from generator.models import Brief
from generator.pipeline.finalize import NotFinished, finalize
from generator.pipeline.plan import queue_of, variant_plan
from generator.pipeline.runners import start_state
from generator.pipeline.store import JobStore
from generator.settings import Settings


def enqueue(store: JobStore, job_id: str) -> int:
    """Send the job's canvas to the workers; variants already finished are left out (a resume).
    Returns the number of chains sent."""
    from celery import chain, chord, group

    from workers import tasks

    job = store.job(job_id)
    plan = variant_plan(Brief.model_validate(job["brief"]))
    finished = _finished_variants(store, job_id)
    chains = []
    for product in job["products"]:
        for n in range(1, int(job["brief"]["variants"]) + 1):
            if (product["sku"], n) in finished:
                continue
            state = start_state(job, product, n).model_dump(mode="json")
            io = [s for s in plan if queue_of(s) == "io"]
            renders = [tasks.render_step.s(step=s) for s in plan if queue_of(s) == "render"]
            links = [tasks.io_step.s(state, io[0]), *(tasks.io_step.s(step=s) for s in io[1:])]
            chains.append(chain(*links, group(renders) if len(renders) > 1 else renders[0]))
    report = tasks.report.si(job_id, str(store.out_root))
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
    """Re-send whatever of JOB is not done (failed steps included); done steps are kept, clips not re-rendered."""
    store.reset_unfinished(job_id)
    return enqueue(store, job_id)


def settle(store: JobStore, job_id: str, settings: Settings, *, grace: float = 15.0,
           broker_url: str | None = None) -> dict[str, Any]:
    """Bring a job to its end when the broker dropped its messages; followers (`batch --wait`) call this.

    - All steps finished but no report (the chord's report task was lost): write the report here.
    - With BROKER_URL: steps left over, yet Redis holds no message at all (queues and un-acked set empty) and no
      worker holds a live lease, for DAIHUO_STALL_SECONDS: the messages were lost (a Redis restart can drop a
      message between a worker taking it and acknowledging it); re-send the unfinished part. Steps are
      idempotent, so a false alarm costs nothing but a few skipped tasks.
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
                finalize(store, job_id)
        return store.job(job_id)
    if (broker_url and quiet >= settings.stall_seconds and not _live_leases(steps, settings.lease_seconds)
            and broker_is_idle(broker_url)):
        store.set_job_state(job_id, "running", message="no message left in Redis for this job's open steps: "
                            "re-sending them (lost by a broker restart?)")
        enqueue(store, job_id)
    return store.job(job_id)


def _live_leases(steps: list[dict[str, Any]], lease_seconds: float) -> bool:
    fresh = 2 * lease_seconds
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
