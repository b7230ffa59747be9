"""/v1/learn: analytics exports in, insights out (generator.learn), per tenant.

A tenant learns only from its own jobs and gets its own insights; an admin key (and a server without keys)
learns from every job under the output root, like `daihuo learn --out OUT`.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from generator.api.auth import Caller, CallerDep
from generator.api.config import ApiConfig
from generator.output import safe_name
from generator.pipeline.store import STATE_DIR, JobStore
from generator.sheets import SHEET_SUFFIXES

OBJECTIVES = ("auto", "completion", "clicks", "orders")
_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["export"], "properties": {
        "export": {"type": "array", "items": {"type": "string", "format": "binary"},
                   "description": "creator-centre analytics exports (.xlsx/.csv, GBK too)"},
        "platform": {"type": "string", "example": "douyin"},
        "objective": {"type": "string", "example": "auto"},
        "job": {"type": "string", "description": "learn only from this job's clips"}}}}}}}


def insights_dir(out_root: Path, caller: Caller) -> Path:
    """Where a caller's insights live: OUT/learn for an admin, a folder of the tenant's own otherwise."""
    if caller.admin:
        return out_root / "learn"
    return out_root / STATE_DIR / "learn" / "tenants" / safe_name(caller.tenant or "default", "default")


def router(config: ApiConfig, store: JobStore) -> APIRouter:
    api = APIRouter(tags=["learn"])

    @api.post("/v1/learn", openapi_extra=_BODY)
    async def learn_from_export(request: Request, caller: CallerDep) -> dict[str, Any]:
        """Match the exports' rows to the caller's clips and estimate each creative factor."""
        form = await request.form(max_files=16, max_fields=16)
        uploads = [f for f in form.getlist("export") if isinstance(f, UploadFile) and f.filename]
        if not uploads:
            raise HTTPException(422, "send the analytics export as the multipart file field `export`")
        options = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        jobs = _jobs_for(caller, options.get("job") or "")
        directory = config.out_root / STATE_DIR / "learn" / f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(6)}"
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for upload in uploads:  # the body's size was already bounded while it streamed in
            name = safe_name(Path(upload.filename or "export.csv").name, "export.csv")
            if not name.lower().endswith(SHEET_SUFFIXES):
                raise HTTPException(422, f"'{upload.filename}' is not an export — upload .xlsx, .csv or .json")
            with (directory / name).open("wb") as f:
                while chunk := await upload.read(1 << 20):
                    f.write(chunk)
            paths.append(directory / name)
        return await run_in_threadpool(_learn, paths, config.out_root, options, jobs, insights_dir(config.out_root, caller))

    @api.get("/v1/learn/insights.{kind}")
    def learned(kind: str, caller: CallerDep) -> FileResponse:
        """The caller's latest insights: insights.html (charts), insights.json or insights.md."""
        if kind not in ("html", "json", "md"):
            raise HTTPException(404, "no such file")
        path = insights_dir(config.out_root, caller) / f"insights.{kind}"
        if not path.is_file():
            raise HTTPException(404, "nothing learned yet — POST an analytics export to /v1/learn")
        return FileResponse(path, media_type={"html": "text/html", "json": "application/json",
                                              "md": "text/markdown"}[kind])

    def _jobs_for(caller: Caller, requested: str) -> list[str]:
        """The jobs a caller may learn from ([] = every job, for an admin)."""
        if caller.admin:
            return [requested] if requested else []
        own = [j["id"] for j in store.jobs(limit=10_000, tenant=caller.tenant)]
        if requested:
            if requested not in own:
                raise HTTPException(404, f"no job {requested!r}")
            return [requested]
        if not own:
            raise HTTPException(422, "this key has no jobs to learn from yet — make clips with POST /v1/jobs first")
        return own

    return api


def _learn(paths: list[Path], out_root: Path, options: dict[str, str], jobs: list[str], into: Path) -> dict[str, Any]:
    from generator.learn.exports import platform_of
    from generator.learn.report import winners
    from generator.learn.run import LearnOptions, learn
    from generator.learn.store import LearnError

    platform = options.get("platform") or None
    if platform and platform_of(platform) is None:
        raise HTTPException(422, f"unknown platform '{platform}' — see GET /v1/platforms")
    objective = options.get("objective") or "auto"
    if objective not in OBJECTIVES:
        raise HTTPException(422, "objective: use auto, completion, clicks or orders")
    try:
        result = learn(paths, out_root, LearnOptions(platform=platform_of(platform) if platform else None,
                                                     objective=objective, jobs=jobs, into=into,
                                                     shown_out="OUT"))
    except LearnError as exc:
        raise HTTPException(422, {"message": str(exc), "problem": exc.problem, "fix": exc.fix,
                                  "rows": [i.model_dump() | {"message": str(i)} for i in exc.issues]}) from exc
    insights = result.insights
    return {"objective": insights.objective, "objective_reason": insights.objective_reason, "rows": insights.rows,
            "winners": winners(insights), "warnings": result.warnings,
            "issues": [i.model_dump() | {"message": str(i)} for i in insights.issues],
            "html_url": "/v1/learn/insights.html", "json_url": "/v1/learn/insights.json"}
