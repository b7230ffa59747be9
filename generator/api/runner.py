"""The API's embedded mode: jobs run by the in-process runner on one background thread of the server."""

from __future__ import annotations

import logging

from generator.bootstrap import build_engines
from generator.models import Brief
from generator.pipeline.execute import StepPolicy
from generator.pipeline.failures import explain
from generator.pipeline.runners import run_in_process
from generator.pipeline.store import JobStore
from generator.settings import Settings

log = logging.getLogger("daihuo.api")


def run_embedded(store: JobStore, job_id: str, settings: Settings) -> None:
    try:
        brief = Brief.model_validate(store.job(job_id)["brief"])
        run_in_process(store, job_id, build_engines(settings, brief),
                       policy=StepPolicy(settings.lease_seconds, settings.max_attempts),
                       render_workers=settings.render_concurrency())
    except Exception as exc:  # the thread must never die silently: the job says why, in one line
        log.exception("job %s failed", job_id)
        store.set_job_state(job_id, "failed", explain(exc, store.out_root))


def fail_interrupted_reads(store: JobStore) -> None:
    """Jobs whose sheet was being read when the server stopped: the reader died with it; say so."""
    for job in store.jobs(limit=500):
        if job["state"] == "queued" and not store.steps(job["id"]) and store.job(job["id"])["options"].get("reading"):
            store.set_job_state(job["id"], "failed", "the server restarted while it read the sheet — submit it again")


def resume_embedded_jobs(store: JobStore, submit: object, settings: Settings) -> None:
    """Jobs this server was running when it stopped go on where they were (done steps are kept)."""
    for job in store.jobs(limit=200):
        if job["mode"] == "inline" and job["state"] in ("queued", "running") and store.steps(job["id"]):
            store.reset_unfinished(job["id"])
            submit(run_embedded, store, job["id"], settings)  # type: ignore[operator]
