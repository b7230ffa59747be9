"""/v1/learn: analytics exports in, insights out (generator.learn).

Tenant scoping (which jobs a key may learn from) comes with the API's tenants; until then every job under the
server's output root counts, and `job` narrows it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from generator.api.config import ApiConfig
from generator.api.intake import copy_limited
from generator.output import safe_name
from generator.pipeline.store import STATE_DIR
from generator.sheets import SHEET_SUFFIXES


def router(config: ApiConfig, require_key: Callable[..., str]) -> APIRouter:
    api = APIRouter()

    @api.post("/v1/learn", tags=["learn"], dependencies=[Depends(require_key)],
              openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                  "type": "object", "required": ["export"], "properties": {
                      "export": {"type": "array", "items": {"type": "string", "format": "binary"},
                                 "description": "creator-centre analytics exports (.xlsx/.csv, GBK too)"},
                      "platform": {"type": "string", "example": "douyin"},
                      "objective": {"type": "string", "example": "auto"},
                      "job": {"type": "string", "description": "learn only from this job's clips"}}}}}}})
    async def learn_from_export(request: Request) -> dict[str, Any]:
        """Match the exports' rows to this server's clips and estimate each creative factor (OUT/learn/)."""
        form = await request.form(max_files=16, max_fields=16)
        uploads = [f for f in form.getlist("export") if isinstance(f, UploadFile) and f.filename]
        if not uploads:
            raise HTTPException(422, "send the analytics export as the multipart file field `export`")
        directory = config.out_root / STATE_DIR / "learn" / f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
        directory.mkdir(parents=True, exist_ok=True)
        paths, budget = [], config.max_upload_bytes
        for upload in uploads:
            name = safe_name(Path(upload.filename or "export.csv").name, "export.csv")
            if not name.lower().endswith(SHEET_SUFFIXES):
                raise HTTPException(422, f"'{upload.filename}' is not an export; upload .xlsx, .csv or .json")
            budget -= await copy_limited(upload, directory / name, budget, config)
            paths.append(directory / name)
        options = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        return await run_in_threadpool(_learn, paths, config.out_root, options)

    @api.get("/v1/learn/insights.{kind}", tags=["learn"], dependencies=[Depends(require_key)])
    def learned(kind: str) -> FileResponse:
        """The latest insights: insights.html (charts), insights.json or insights.md."""
        if kind not in ("html", "json", "md"):
            raise HTTPException(404, "no such file")
        path = config.out_root / "learn" / f"insights.{kind}"
        if not path.is_file():
            raise HTTPException(404, "nothing learned yet: POST an analytics export to /v1/learn")
        return FileResponse(path, media_type={"html": "text/html", "json": "application/json",
                                              "md": "text/markdown"}[kind])

    return api


def _learn(paths: list[Path], out_root: Path, options: dict[str, str]) -> dict[str, Any]:
    from generator.learn.exports import platform_of
    from generator.learn.report import winners
    from generator.learn.run import LearnOptions, learn
    from generator.learn.store import LearnError

    platform = options.get("platform") or None
    if platform and platform_of(platform) is None:
        raise HTTPException(422, f"unknown platform '{platform}'; see GET /v1/platforms")
    objective = options.get("objective") or "auto"
    if objective not in ("auto", "completion", "clicks", "orders"):
        raise HTTPException(422, "objective: use auto, completion, clicks or orders")
    try:
        result = learn(paths, out_root, LearnOptions(platform=platform_of(platform) if platform else None,
                                                     objective=objective, jobs=[options["job"]] if options.get("job") else []))
    except LearnError as exc:
        raise HTTPException(422, {"message": str(exc), "problem": exc.problem, "fix": exc.fix,
                                  "rows": [i.model_dump() | {"message": str(i)} for i in exc.issues]}) from exc
    insights = result.insights
    return {"objective": insights.objective, "objective_reason": insights.objective_reason, "rows": insights.rows,
            "winners": winners(insights), "warnings": result.warnings,
            "issues": [i.model_dump() | {"message": str(i)} for i in insights.issues],
            "html_url": "/v1/learn/insights.html", "json_url": "/v1/learn/insights.json"}
