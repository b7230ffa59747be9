"""Recovery of Celery work that a dead worker or a broker restart lost, from the job store's leases.

A step that runs keeps a heartbeat in the job store (every third of DAIHUO_LEASE_SECONDS). Per product variant
of an open Celery job, a sweep applies three rules:

1. **A dead owner.** A step 'running' whose heartbeat is older than the lease belongs to a worker that died
   (SIGKILL, out of memory, a lost machine). The step is marked lost and the variant's chain is sent again; its
   done steps return their recorded results, and the lost step is taken over by a live worker. The dead worker's
   own message stays in Redis until the visibility timeout (2 hours by default); when it comes back, it finds
   the steps done and does nothing.
2. **A lost message.** Every open step 'queued', nothing of the variant changed for DAIHUO_STALL_SECONDS, and
   Redis holds no message for the variant that waits in a queue or was taken by a worker within that time: the
   message was lost (a Redis restart while a task finished; a worker that died between two steps). Send the
   variant again. Messages of other jobs, stale or not, change nothing: each variant is judged on its own.
3. **A lost report.** Every step finished but the job is still open (the chord's report task was lost): write
   the manifests and the report here.

Who sweeps: every `daihuo worker` (a thread in its main process, so recovery needs no waiter), `daihuo batch
--wait` for its job, and `daihuo serve` in Celery mode. Several sweepers at once are safe: each re-send is first
claimed in the job store in one transaction (one winner), and steps are idempotent (`run_step`'s claim).
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.pipeline.finalize import NotFinished, finalize
from generator.pipeline.store import TERMINAL, JobStore, StepKey, db_path
from generator.settings import Settings

log = logging.getLogger("daihuo.recovery")
SWEEP_EVERY = 5.0  # seconds between two sweeps of a worker or of the API server
Variant = tuple[str, str, int]  # (job, sku, variant)


@dataclass
class BrokerView:
    """What Redis holds, per product variant: messages waiting in a queue, and when a worker took one."""

    waiting: set[Variant] = field(default_factory=set)
    taken: dict[Variant, float] = field(default_factory=dict)


def recover_job(store: JobStore, job: dict[str, Any], settings: Settings, *, broker_url: str | None,
                grace: float = 15.0, broker: Callable[[], BrokerView | None] | None = None) -> int:
    """Apply the three rules to one open Celery job; returns the number of variants sent again."""
    steps = store.steps(job["id"])
    if not steps:  # a job whose sheet is still being read has no steps yet
        return 0
    now = time.time()
    if all(s["state"] in TERMINAL for s in steps):
        if now - max(s["updated"] for s in steps) >= grace:
            with contextlib.suppress(NotFinished):
                finalize(store, job["id"])
        return 0
    if not broker_url:
        return 0
    look = broker or _cached(lambda: broker_view(broker_url))
    lost: set[tuple[str, int]] = set()
    for (sku, variant), rows in _variants(steps).items():
        open_rows = [r for r in rows if r["state"] not in TERMINAL]
        if not open_rows:
            continue
        running = [r for r in open_rows if r["state"] == "running"]
        if running:
            for row in running:
                stale = row["heartbeat"] is None or now - row["heartbeat"] >= settings.lease_seconds
                if stale and store.release_lost(StepKey(job["id"], sku, variant, row["step"]), settings.lease_seconds,
                                                resend_after=max(settings.stall_seconds, settings.lease_seconds)):
                    lost.add((sku, variant))
            continue
        if now - max(r["updated"] for r in rows) < settings.stall_seconds:
            continue
        view = look()
        key = (job["id"], sku, variant)
        if view is None or key in view.waiting or now - view.taken.get(key, 0.0) < settings.stall_seconds:
            continue
        if store.claim_resend(job["id"], sku, variant, settings.stall_seconds,
                              "no message left in Redis for its open steps (lost by a broker restart?): sent again"):
            lost.add((sku, variant))
    if lost:
        _resend(store, job["id"], lost)
    return len(lost)


def _resend(store: JobStore, job_id: str, variants: set[tuple[str, int]]) -> None:
    from workers.canvas import enqueue

    log.warning("job %s: sending %d lost product variant(s) again: %s", job_id, len(variants),
                ", ".join(f"{sku} v{n}" for sku, n in sorted(variants)))
    store.mark_running(job_id)
    enqueue(store, job_id, only=variants)


def _variants(steps: list[dict[str, Any]]) -> dict[tuple[str, int], list[dict[str, Any]]]:
    grouped: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for s in steps:
        grouped.setdefault((s["sku"], s["variant"]), []).append(s)
    return grouped


def _cached(load: Callable[[], BrokerView | None]) -> Callable[[], BrokerView | None]:
    """Read Redis at most once per sweep, and only when a rule needs it."""
    memo: list[BrokerView | None] = []

    def get() -> BrokerView | None:
        if not memo:
            memo.append(load())
        return memo[0]

    return get


def broker_view(url: str) -> BrokerView | None:
    """Every task message in Redis, by the product variant it carries; None when Redis cannot be read."""
    import redis

    from workers.celery_app import IO_QUEUE, RENDER_QUEUE

    view = BrokerView()
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10)
        for queue in (IO_QUEUE, RENDER_QUEUE):
            for suffix in ("", "\x06\x163", "\x06\x166", "\x06\x169"):  # kombu's priority sub-queues
                for raw in client.lrange(queue + suffix, 0, -1):
                    view.waiting.update(_variants_in(raw))
        delivered = {tag.decode(): score for tag, score in client.zrange("unacked_index", 0, -1, withscores=True)}
        for tag, raw in client.hscan_iter("unacked"):
            with contextlib.suppress(ValueError, TypeError, IndexError):
                at = delivered.get(tag.decode(), 0.0)
                for key in _variants_in(json.loads(raw)[0]):
                    view.taken[key] = max(view.taken.get(key, 0.0), at)
    except redis.RedisError:
        return None
    return view


def _variants_in(message: bytes | str | dict[str, Any]) -> Iterable[Variant]:
    """The (job, sku, variant) a kombu task message is for; nothing for messages of other kinds."""
    try:
        data = json.loads(message) if isinstance(message, (bytes, str)) else message
        body = data["body"]
        if data.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        args, kwargs, _ = json.loads(body)
    except (ValueError, TypeError, KeyError):
        return []
    found = []
    for value in [*args, *kwargs.values()]:
        if isinstance(value, dict) and isinstance(value.get("product"), dict) and "variant" in value:
            found.append((str(value.get("job")), str(value["product"].get("sku")), int(value["variant"])))
    return found


def sweep(store: JobStore, settings: Settings, broker_url: str) -> int:
    """One pass over every open Celery job of STORE; returns the number of variants sent again."""
    view = _cached(lambda: broker_view(broker_url))
    sent = 0
    for job_id in store.open_jobs("celery"):
        try:
            sent += recover_job(store, store.job(job_id), settings, broker_url=broker_url, broker=view)
        except Exception:  # noqa: BLE001 - a sweep must not die (Redis down, a locked database); next one retries
            log.warning("recovery sweep of job %s failed; trying again in %gs", job_id, SWEEP_EVERY, exc_info=True)
    return sent


def sweep_forever(out_root: Path, settings: Settings, broker_url: str, stop: threading.Event) -> None:
    """The sweeper thread of a worker or of the API server (Celery mode)."""
    while not stop.wait(SWEEP_EVERY):
        if not db_path(out_root).exists():
            continue  # no job was ever submitted to this output root
        try:
            sweep(JobStore(out_root, journal=settings.state_journal), settings, broker_url)
        except Exception:  # noqa: BLE001
            log.warning("recovery sweep failed; trying again in %gs", SWEEP_EVERY, exc_info=True)


def start_sweeper(out_root: Path, settings: Settings, broker_url: str, name: str) -> threading.Event:
    """Start the sweeper thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=sweep_forever, args=(out_root, settings, broker_url, stop), daemon=True, name=name).start()
    return stop


def _on_worker_ready(sender: Any = None, **_: Any) -> None:
    from generator.settings import get_settings

    settings = get_settings()
    app = getattr(sender, "app", None)
    url = app.conf.broker_url if app is not None else settings.redis_url
    if url:
        _worker_sweeper.append(start_sweeper(Path(settings.out).resolve(), settings, url, "daihuo-recovery"))


def _on_worker_shutdown(**_: Any) -> None:
    for stop in _worker_sweeper:
        stop.set()


_worker_sweeper: list[threading.Event] = []


def connect_worker_signals() -> None:
    """Every worker sweeps its output root (DAIHUO_OUT), so that lost work comes back with nobody waiting."""
    from celery import signals

    signals.worker_ready.connect(_on_worker_ready, weak=False)
    signals.worker_shutdown.connect(_on_worker_shutdown, weak=False)
