"""The end of a job, the same for every runner: rebuild each variant from the store, write its manifest and
the job's report, and settle the job's state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.models import Brief, ComplianceReport, JobResult, Product, RowError, VariantResult
from generator.pipeline.failures import explain
from generator.pipeline.plan import REVIEW
from generator.pipeline.report import write_job_report, write_manifest
from generator.pipeline.state import VariantState
from generator.pipeline.store import TERMINAL, JobStore


class NotFinished(Exception):
    """Steps of the job are still queued or running."""


def variant_result(state: VariantState, rows: list[dict[str, Any]]) -> VariantResult:
    """What one variant made and why it stopped, from its step rows (the state holds the finished results)."""
    result = VariantResult(sku=state.sku, variant=state.variant, directory=str(state.directory))
    by = {r["step"]: r for r in rows}
    if state.reviewed is not None:
        result.script, result.compliance = state.reviewed.script, state.reviewed.report
    else:
        result.script = state.script
        blocked = by.get(REVIEW, {}).get("result")  # a blocked review keeps its report
        if blocked and by[REVIEW]["state"] == "failed":
            result.compliance = ComplianceReport.model_validate(blocked)
    result.voice = state.voice
    result.clips = [state.clips[p] for p in state.brief.platforms if p in state.clips]
    failed = [r for r in rows if r["state"] == "failed" and not (r["error"] or "").startswith("not run:")]
    unfinished = [r for r in rows if r["state"] not in TERMINAL]
    if failed:
        result.error = f"{failed[0]['step']}: {failed[0]['error'].splitlines()[0]}"
    elif unfinished:
        result.error = f"{unfinished[0]['step']} did not finish"
    return result


def state_from_rows(job: dict[str, Any], product: Product, variant: int, rows: list[dict[str, Any]]) -> VariantState:
    state = VariantState(job=job["id"], out=job["out_root"], product=product, brief=Brief.model_validate(job["brief"]),
                         variant=variant, force=bool(job.get("options", {}).get("force")))
    for row in rows:
        if row["state"] == "done":
            state = state.with_result(row["step"], row["result"])
    return state


def finalize(store: JobStore, job_id: str, *, force: bool = False) -> JobResult:
    """Write every variant's manifest.json and the job's report.json/.md/compliance.md; settle the job's state.
    Raises NotFinished while steps are still queued or running (unless FORCE)."""
    job = store.job(job_id)
    steps = store.steps(job_id)
    if not force and any(s["state"] not in TERMINAL for s in steps):
        raise NotFinished(f"{job_id}: steps still running")
    brief = Brief.model_validate(job["brief"])
    products = {p["sku"]: Product.model_validate(p) for p in job["products"]}
    grouped: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for s in steps:
        grouped.setdefault((s["sku"], s["variant"]), []).append(s)
    variants: list[VariantResult] = []
    for (sku, variant), rows in grouped.items():
        state = state_from_rows(job, products[sku], variant, rows)
        result = variant_result(state, rows)
        try:
            write_manifest(result, products[sku], brief, job_id)
        except OSError as exc:  # the variant's folder is unusable; the batch report must still be written
            if not result.error:  # a failed step already said why the folder is unusable
                result.error = f"manifest.json not written: {explain(exc, job['out_root'])}"
        variants.append(result)
    out_dir = Path(job["out_root"]) / job_id
    result = JobResult(job=job_id, out_dir=str(out_dir), variants=variants,
                       row_errors=[RowError.model_validate(e) for e in job["row_errors"]], warnings=job["warnings"])
    report = write_job_report(result, brief)
    bad = [v for v in variants if v.error]
    state_name = "failed" if bad else "done"
    error = "; ".join(f"{v.sku} v{v.variant}: {v.error}" for v in bad) or None
    if store.job(job_id)["state"] != state_name or force:
        store.set_job_state(job_id, state_name, error, message=f"report written: {report.name}")
    return result

