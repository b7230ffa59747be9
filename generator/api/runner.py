"""The API's embedded mode: jobs run by the in-process runner on one background thread of the server."""

from __future__ import annotations

import logging

from generator.bootstrap import build_engines
from generator.errors import one_line
from generator.models import Brief
from generator.pipeline.execute import StepPolicy
from generator.pipeline.runners import run_in_process
from generator.pipeline.store import JobStore
from generator.settings import Settings

log = logging.getLogger("daihuo.api")


def run_embedded(store: JobStore, job_id: str, settings: Settings) -> None:
    try:
        brief = Brief.model_validate(store.job(job_id)["brief"])
        run_in_process(store, job_id, build_engines(settings, brief),
                       policy=StepPolicy(settings.lease_seconds, settings.max_attempts))
    except Exception as exc:  # the thread must never die silently: the job says why
        log.exception("job %s failed", job_id)
        store.set_job_state(job_id, "failed", one_line(exc))


def resume_embedded_jobs(store: JobStore, submit: object, settings: Settings) -> None:
    """Jobs this server was running when it stopped go on where they were (done steps are kept)."""
    for job in store.jobs(limit=200):
        if job["mode"] == "inline" and job["state"] in ("queued", "running"):
            store.reset_unfinished(job["id"])
            submit(run_embedded, store, job["id"], settings)  # type: ignore[operator]
