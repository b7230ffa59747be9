"""The steps of a job, run by Celery tasks (workers/tasks.py) or in-process (workers/inline.py).

Each step wraps one stage function of generator.pipeline, records its state in the JobStore, and is
idempotent: a step found done returns its recorded result; a step held by a live worker is retried later;
a render whose clip is already on disk with the same inputs hash is not rendered again. Steps pass a small
JSON payload (ids, models as JSON, file paths), never media bytes. A product's failure is recorded and passed
down its chain as `failed`, never raised, so one bad product never stops a batch.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator.models import (
    Brief,
    Clip,
    ComplianceReport,
    JobResult,
    Product,
    RowError,
    Script,
    VariantResult,
    VoiceTrack,
)
from generator.output import variant_dir
from generator.pipeline import (
    BlockedByCompliance,
    render_platform,
    review_for_clip,
    speak_fitted,
    write_job_report,
    write_manifest,
    write_scripts,
)
from workers.jobs import TERMINAL, JobStore, StepKey, lease

Payload = dict[str, Any]
PRODUCT_STEPS = ("script", "compliance", "voice")


class StepRetry(Exception):
    """Run this step again in `countdown` seconds (another worker holds it, or a transient error)."""

    def __init__(self, countdown: float, why: str) -> None:
        super().__init__(why)
        self.countdown = countdown


class StepFailed(Exception):
    """A failure that retrying will not fix (for example a script blocked by the compliance review)."""


class NotFinished(Exception):
    pass


# Errors worth another attempt: the network, a locked database, a dropped connection.
TRANSIENT: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError, sqlite3.OperationalError)


def lease_seconds() -> float:
    return float(os.environ.get("DAIHUO_LEASE_SECONDS", "60"))


def max_attempts() -> int:
    return int(os.environ.get("DAIHUO_MAX_ATTEMPTS", "3"))


def owner_id(task_id: str = "") -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{task_id}"


def plan_steps(products: list[Product], brief: Brief) -> list[tuple[str, int, str]]:
    return [(p.sku, n, step) for p in products for n in range(1, brief.variants + 1)
            for step in (*PRODUCT_STEPS, *(f"render:{pl}" for pl in brief.platforms))]


def start_payload(job: str, out: str, product: dict[str, Any], brief: dict[str, Any], variant: int) -> Payload:
    return {"job": job, "out": out, "sku": product["sku"], "variant": variant, "product": product, "brief": brief,
            "failed": None}


def _key(payload: Payload, step: str) -> StepKey:
    return StepKey(payload["job"], payload["sku"], int(payload["variant"]), step)


def run_step(payload: Payload, step: str, work: Callable[[], tuple[Any, bool]], owner: str) -> Any:
    """Claim STEP, run WORK under a heartbeat lease, record the outcome. Returns the result, or None when the
    step failed (the payload then carries `failed`). Raises StepRetry when it should run again later."""
    store = JobStore(payload["out"])
    key = _key(payload, step)
    if payload.get("failed"):
        store.fail(key, f"not run: {payload['failed']}")
        return None
    status, result = store.claim(key, owner, lease_seconds())
    if status == "done":
        return result
    if status == "busy":
        raise StepRetry(max(1.0, lease_seconds() / 2), f"{step} is running on another worker")
    attempt = store.attempts(key)
    if attempt > max_attempts():
        return _failed(store, key, payload, f"gave up after {attempt - 1} attempts: the worker running it "
                       "stopped each time (killed, out of memory?); see the worker logs")
    try:
        with lease(store, key, owner, lease_seconds()):
            result, rendered = work()
    except StepFailed as exc:
        return _failed(store, key, payload, str(exc))
    except TRANSIENT as exc:
        if attempt < max_attempts():
            store.requeue(key, f"attempt {attempt} hit {type(exc).__name__}: {exc}; retrying")
            raise StepRetry(2.0 * attempt, str(exc)) from exc
        return _failed(store, key, payload, f"{type(exc).__name__}: {exc} (after {attempt} attempts)")
    except Exception as exc:  # recorded, never raised: the other products go on
        detail = "".join(traceback.format_exception(exc, limit=-3))
        return _failed(store, key, payload, f"{type(exc).__name__}: {exc}\n{detail}")
    store.finish(key, result, rendered=rendered, message="rendered" if rendered else "")
    return result


def _failed(store: JobStore, key: StepKey, payload: Payload, error: str) -> None:
    store.fail(key, error)
    payload["failed"] = f"{key.step} failed: {error.splitlines()[0]}"
    return None


# ---- the steps --------------------------------------------------------------------------------------


def step_script(payload: Payload, owner: str) -> Payload:
    product, brief = Product.model_validate(payload["product"]), Brief.model_validate(payload["brief"])
    variant = int(payload["variant"])

    def work() -> tuple[Any, bool]:
        scripts = write_scripts(product, brief)
        store = JobStore(payload["out"])
        for script in scripts:  # the writer makes all variants at once (they must differ from each other)
            if script.variant != variant:
                store.fill(_key({**payload, "variant": script.variant}, "script"), script.model_dump())
        mine = next((s for s in scripts if s.variant == variant), None)
        if mine is None:
            raise StepFailed(f"the script writer made no variant {variant}")
        return mine.model_dump(), False

    result = run_step(payload, "script", work, owner)
    return {**payload, "script": result} if result is not None else payload


def step_compliance(payload: Payload, owner: str) -> Payload:
    product, brief = Product.model_validate(payload["product"]), Brief.model_validate(payload["brief"])

    def work() -> tuple[Any, bool]:
        try:
            script, report, shown = review_for_clip(Script.model_validate(payload["script"]), product, brief)
        except BlockedByCompliance as blocked:
            raise StepFailed(str(blocked)) from blocked
        return {"script": script.model_dump(), "report": report.model_dump(), "shown": shown.model_dump()}, False

    result = run_step(payload, "compliance", work, owner)
    return {**payload, **result} if result is not None else payload


def step_voice(payload: Payload, owner: str) -> Payload:
    brief = Brief.model_validate(payload["brief"])

    def work() -> tuple[Any, bool]:
        directory = variant_dir(Path(payload["out"]), payload["job"], payload["sku"], int(payload["variant"]))
        shown = Product.model_validate(payload.get("shown") or payload["product"])
        script, voice = speak_fitted(Script.model_validate(payload["script"]), shown, brief, directory)
        return {"voice": voice.model_dump(), "script": script.model_dump()}, False

    result = run_step(payload, "voice", work, owner)
    # The voice step fits the script to the brief's length: the render draws the script that was spoken.
    return {**payload, "voice": result["voice"], "script": result["script"]} if result is not None else payload


def step_render(payload: Payload, platform: str, owner: str) -> dict[str, Any]:
    step = f"render:{platform}"

    def work() -> tuple[Any, bool]:
        product, brief = Product.model_validate(payload["product"]), Brief.model_validate(payload["brief"])
        directory = variant_dir(Path(payload["out"]), payload["job"], payload["sku"], int(payload["variant"]))
        _remove_partials(directory, platform)
        # Draw the reviewed product (card and cover text); hash the sheet's own row, as `daihuo make` does.
        shown = Product.model_validate(payload.get("shown") or payload["product"])
        clip = render_platform(
            shown, Script.model_validate(payload["script"]), VoiceTrack.model_validate(payload["voice"]), platform,
            brief, directory, report=ComplianceReport.model_validate(payload["report"]), inputs_product=product,
        )
        return clip.model_dump(), not clip.skipped

    result = run_step(dict(payload), step, work, owner)
    out = {"job": payload["job"], "sku": payload["sku"], "variant": payload["variant"], "platform": platform}
    return {**out, "state": "done", "path": result["path"]} if result else {**out, "state": "failed"}


def _remove_partials(directory: Path, platform: str) -> None:
    """A render killed half-way leaves its temporary files; this step holds the lease, so they are dead."""
    if directory.is_dir():
        for path in directory.glob(f".{platform}.*"):
            if ".tmp" in path.name:
                path.unlink(missing_ok=True)


# ---- the batch report -------------------------------------------------------------------------------


def finalize(job_id: str, out: str, *, force: bool = False) -> dict[str, Any]:
    """Write every variant's manifest.json and the job's report.json/.md, and settle the job's state.
    Raises NotFinished while steps are still queued or running (unless FORCE)."""
    store = JobStore(out)
    job = store.job(job_id)
    steps = store.steps(job_id)
    if not force and any(s["state"] not in TERMINAL for s in steps):
        raise NotFinished(f"{job_id}: steps still running")
    brief = Brief.model_validate(job["brief"])
    products = {p["sku"]: Product.model_validate(p) for p in job["products"]}
    variants: list[VariantResult] = []
    grouped: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for s in steps:
        grouped.setdefault((s["sku"], s["variant"]), []).append(s)
    for (sku, variant), rows in grouped.items():
        by = {r["step"]: r for r in rows}
        directory = variant_dir(Path(out), job_id, sku, variant)
        result = VariantResult(sku=sku, variant=variant, directory=str(directory))
        if by["compliance"]["result"]:
            result.script = Script.model_validate(by["compliance"]["result"]["script"])
            result.compliance = ComplianceReport.model_validate(by["compliance"]["result"]["report"])
        elif by["script"]["result"]:
            result.script = Script.model_validate(by["script"]["result"])
        if by["voice"]["result"]:
            result.voice = VoiceTrack.model_validate(by["voice"]["result"]["voice"])
            result.script = Script.model_validate(by["voice"]["result"]["script"])
        result.clips = [Clip.model_validate(r["result"]) for r in rows
                        if r["step"].startswith("render:") and r["state"] == "done" and r["result"]]
        failed = [r for r in rows if r["state"] == "failed" and not (r["error"] or "").startswith("not run:")]
        unfinished = [r for r in rows if r["state"] not in TERMINAL]
        if failed:
            result.error = f"{failed[0]['step']}: {failed[0]['error']}"
        elif unfinished:
            result.error = f"{unfinished[0]['step']} did not finish"
        try:
            write_manifest(result, products[sku], brief, job_id)
        except OSError as exc:  # the variant's folder is unusable; the batch report must still be written
            result.error = (result.error + "\n" if result.error else "") + f"manifest.json not written: {exc}"
        variants.append(result)
    job_result = JobResult(job=job_id, out_dir=str(Path(out) / job_id), variants=variants,
                           row_errors=[RowError.model_validate(e) for e in job["row_errors"]], warnings=job["warnings"])
    report = write_job_report(job_result, brief)
    bad = [v for v in variants if v.error]
    state = "failed" if bad else "done"
    error = "; ".join(f"{v.sku} v{v.variant}: {v.error.splitlines()[0]}" for v in bad) or None
    if store.job(job_id)["state"] != state or force:
        store.set_job_state(job_id, state, error, message=f"report written: {report}")
    return {"job": job_id, "state": state, "report": str(report)}


def all_terminal(store: JobStore, job_id: str) -> bool:
    return all(s["state"] in TERMINAL for s in store.steps(job_id))
