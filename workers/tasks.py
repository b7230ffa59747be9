"""Celery tasks: thin wrappers around workers/steps.py (which wraps generator.pipeline's stage functions).

They take and return small JSON payloads (ids, models as JSON, file paths). A step that must wait (another
worker holds it) or hit a transient error is retried with a countdown; its own attempt counter bounds it.
"""

from __future__ import annotations

from typing import Any

from celery import Task

from workers import steps
from workers.celery_app import IO_QUEUE, RENDER_QUEUE, app, time_limits
from workers.steps import NotFinished, Payload, StepRetry

_io_soft, _io_hard = time_limits(IO_QUEUE)
_render_soft, _render_hard = time_limits(RENDER_QUEUE)
# Busy/transient retries: bounded here and by the store's attempt counter (DAIHUO_MAX_ATTEMPTS).
_RETRIES = 200


def _call(task: Task, fn: Any, *args: Any) -> Any:
    try:
        return fn(*args, steps.owner_id(task.request.id or ""))
    except StepRetry as exc:
        raise task.retry(countdown=exc.countdown, max_retries=_RETRIES, exc=exc) from exc


@app.task(bind=True, name="daihuo.script", soft_time_limit=_io_soft, time_limit=_io_hard)
def script(self: Task, job: str, out: str, product: dict[str, Any], brief: dict[str, Any], variant: int) -> Payload:
    return _call(self, steps.step_script, steps.start_payload(job, out, product, brief, variant))


@app.task(bind=True, name="daihuo.compliance", soft_time_limit=_io_soft, time_limit=_io_hard)
def compliance(self: Task, payload: Payload) -> Payload:
    return _call(self, steps.step_compliance, payload)


@app.task(bind=True, name="daihuo.voice", soft_time_limit=_io_soft, time_limit=_io_hard)
def voice(self: Task, payload: Payload) -> Payload:
    return _call(self, steps.step_voice, payload)


@app.task(bind=True, name="daihuo.render", soft_time_limit=_render_soft,
          time_limit=_render_hard)
def render(self: Task, payload: Payload, platform: str) -> dict[str, Any]:
    return _call(self, steps.step_render, payload, platform)


@app.task(bind=True, name="daihuo.report", soft_time_limit=_io_soft, time_limit=_io_hard)
def report(self: Task, job: str, out: str) -> dict[str, Any]:
    """The chord body: writes manifests and the batch report once every step has finished. It reads the
    state store, not the chord's results, so an early or repeated call is harmless."""
    try:
        return steps.finalize(job, out)
    except NotFinished as exc:
        raise self.retry(countdown=3, max_retries=_RETRIES, exc=exc) from exc

