"""Celery tasks: thin wrappers that run one step of the plan (generator/pipeline/execute.py) on a worker.

They take and return the variant's state as JSON (ids, models, file paths; never media bytes). A step that
must wait (another worker holds it) or hit a transient error is retried with a countdown; its own attempt
counter in the job store bounds it.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from celery import Task

from generator.bootstrap import build_engines
from generator.models import Brief
from generator.pipeline.engines import Engines
from generator.pipeline.execute import StepPolicy, StepRetry, owner_id, run_step
from generator.pipeline.finalize import NotFinished, finalize
from generator.pipeline.state import VariantState
from generator.pipeline.store import JobStore
from generator.settings import get_settings
from workers.celery_app import IO_QUEUE, RENDER_QUEUE, app, time_limits
from workers.recovery import connect_worker_signals

connect_worker_signals()  # every worker also sweeps for work that dead workers or a broker restart lost

_io_soft, _io_hard = time_limits(IO_QUEUE)
_render_soft, _render_hard = time_limits(RENDER_QUEUE)
_RETRIES = 200  # busy/transient retries; the store's attempt counter (DAIHUO_MAX_ATTEMPTS) bounds real failures
_engines: OrderedDict[str, Engines] = OrderedDict()


def engines_for(job: str, brief: Brief) -> Engines:
    """One set of engines per job in this worker process (writers' caches and caps span the job here)."""
    if job not in _engines:
        _engines[job] = build_engines(get_settings(), brief)
        while len(_engines) > 4:
            _engines.popitem(last=False)
    _engines.move_to_end(job)
    return _engines[job]


def _run(task: Task, state_json: dict[str, Any], step: str) -> dict[str, Any]:
    settings = get_settings()
    state = VariantState.model_validate(state_json)
    store = JobStore(state.out, journal=settings.state_journal)
    policy = StepPolicy(settings.lease_seconds, settings.max_attempts)
    try:
        new = run_step(store, state, step, lambda: engines_for(state.job, state.brief),
                       owner_id(task.request.id or ""), policy)
    except StepRetry as exc:
        raise task.retry(countdown=exc.countdown, max_retries=_RETRIES, exc=exc) from exc
    return new.model_dump(mode="json")


@app.task(bind=True, name="daihuo.io", soft_time_limit=_io_soft, time_limit=_io_hard)
def io_step(self: Task, state: dict[str, Any], step: str) -> dict[str, Any]:
    """script, compliance or voice."""
    return _run(self, state, step)


@app.task(bind=True, name="daihuo.render", soft_time_limit=_render_soft, time_limit=_render_hard)
def render_step(self: Task, state: dict[str, Any], step: str) -> dict[str, Any]:
    """render:<platform>; returns a small summary (the chord body reads the store, not these results)."""
    new = _run(self, state, step)
    return {"job": new["job"], "sku": new["product"]["sku"], "variant": new["variant"], "step": step,
            "failed": new["failed"]}


@app.task(bind=True, name="daihuo.report", soft_time_limit=_io_soft, time_limit=_io_hard)
def report(self: Task, job: str, out: str) -> dict[str, Any]:
    """The chord body: manifests and the batch report once every step has finished. It reads the job store,
    not the chord's results, so an early or repeated call is harmless."""
    try:
        result = finalize(JobStore(out, journal=get_settings().state_journal), job)
    except NotFinished as exc:
        raise self.retry(countdown=3, max_retries=_RETRIES, exc=exc) from exc
    return {"job": job, "state": "failed" if result.failed else "done"}
