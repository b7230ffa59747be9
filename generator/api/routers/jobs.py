"""/v1/jobs: submit a sheet (multipart) or products (JSON), follow progress, list what was made."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from generator.api.config import ApiConfig
from generator.api.intake import (
    OPTION_SCHEMA,
    brief_from,
    check_rows,
    read_json_products,
    read_uploaded_sheet,
    save_uploads,
    start_job,
    too_big,
)
from generator.pipeline.store import STATE_DIR, JobNotFound, JobStore
from generator.pipeline.views import summarize

ARTIFACT_KINDS = {".mp4": "video", ".jpg": "cover", ".srt": "subtitles", ".vtt": "subtitles", ".json": "data",
                  ".md": "report"}
_JOB_ID = re.compile(r"[\w.\-\u3400-\u9fff]{1,120}")

_SUBMIT_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["sheet"], "properties": {
        "sheet": {"type": "string", "format": "binary", "description": ".xlsx/.csv/.json/.yaml"},
        "images": {"type": "array", "items": {"type": "string", "format": "binary"},
                   "description": "images the sheet's 主图 column names"},
        **OPTION_SCHEMA}}},
    "application/json": {"schema": {"type": "object", "required": ["products"], "properties": {
        "products": {"type": "array", "items": {"type": "object"}}, **OPTION_SCHEMA}}},
}}}


def job_or_404(store: JobStore, job_id: str) -> dict[str, Any]:
    """The job record (read only), or 404."""
    if not _JOB_ID.fullmatch(job_id) or job_id.startswith("."):
        raise HTTPException(404, f"no job {job_id!r}")
    try:
        return store.job(job_id)
    except JobNotFound as exc:
        raise HTTPException(404, f"no job {job_id!r}") from exc


def router(config: ApiConfig, store: JobStore, require_key: Any) -> APIRouter:
    api = APIRouter(prefix="/v1/jobs", tags=["jobs"])

    @api.post("", status_code=202, dependencies=[Depends(require_key)], openapi_extra=_SUBMIT_BODY)
    async def submit(request: Request) -> dict[str, Any]:
        """Submit a sheet (multipart) or products (JSON); answers the job id at once."""
        job_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
        upload_dir = config.out_root / STATE_DIR / "uploads" / job_id
        ctype = request.headers.get("content-type", "")
        if ctype.startswith("multipart/form-data"):
            form = await request.form(max_files=64, max_fields=64)
            options = {k: v for k, v in form.multi_items() if isinstance(v, str)}
            sheet_file = form.get("sheet")
            if not isinstance(sheet_file, UploadFile):
                raise HTTPException(422, "send the product sheet as the multipart file field `sheet`")
            images = [f for f in form.getlist("images") if isinstance(f, UploadFile) and f.filename]
            brief = brief_from(options, config)
            sheet_path = await save_uploads(sheet_file, images, upload_dir, config)
            result = await run_in_threadpool(read_uploaded_sheet, sheet_path, config)
        elif ctype.startswith("application/json"):
            body = await _json_body(request, config)
            products = body.get("products") if isinstance(body, dict) else body
            if not isinstance(products, list) or not products:
                raise HTTPException(422, "send {\"products\": [{\"sku\": ..., \"title\": ...}, ...]} or a sheet upload")
            brief = brief_from({k: v for k, v in body.items() if k != "products"} if isinstance(body, dict) else {},
                               config)
            result = await run_in_threadpool(read_json_products, products, upload_dir, config)
        else:
            raise HTTPException(415, "send multipart/form-data (field `sheet`) or application/json (`products`)")
        check_rows(result, config)
        token = secrets.token_urlsafe(18)
        await run_in_threadpool(start_job, store, config, job_id, result, brief, token)
        return {"id": job_id, "state": "queued", "products": len(result.products),
                "row_errors": [e.model_dump() | {"message": str(e)} for e in result.errors],
                "warnings": result.warnings, "status_url": f"/v1/jobs/{job_id}",
                "artifacts_url": f"/v1/jobs/{job_id}/artifacts"}

    @api.get("", dependencies=[Depends(require_key)])
    def list_jobs(limit: int = 20) -> list[dict[str, Any]]:
        return store.jobs(limit=min(max(limit, 1), 200))

    @api.get("/{job_id}", dependencies=[Depends(require_key)])
    def job_status(job_id: str) -> dict[str, Any]:
        """State (queued/running/done/failed) and progress per product, variant and platform."""
        view = summarize(job_or_404(store, job_id), store.steps(job_id))
        view["events"] = store.events(job_id)[-20:]
        view["artifacts_url"] = f"/v1/jobs/{job_id}/artifacts"
        return view

    @api.get("/{job_id}/events", dependencies=[Depends(require_key)])
    def job_events(job_id: str, after: int = 0) -> list[dict[str, Any]]:
        job_or_404(store, job_id)
        return store.events(job_id, after=after)

    @api.get("/{job_id}/artifacts", dependencies=[Depends(require_key)])
    def artifacts(job_id: str) -> dict[str, Any]:
        """Every file the job made so far, with download URLs (they carry the job's download token)."""
        job = job_or_404(store, job_id)
        root = config.out_root / job_id
        files = []
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            rel = path.relative_to(root)
            if not path.is_file() or any(part.startswith(".") for part in rel.parts) or "voice" in rel.parts[:-1]:
                continue
            files.append(_describe(job_id, rel, path, job["token"]))
        return {"id": job_id, "state": job["state"], "files": files}

    return api


async def _json_body(request: Request, config: ApiConfig) -> Any:
    import json

    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > config.max_upload_bytes:
            raise HTTPException(413, too_big(len(raw), config))
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise HTTPException(422, f"the body is not valid JSON: {exc}") from exc


def _describe(job_id: str, rel: Path, path: Path, token: str) -> dict[str, Any]:
    parts = rel.parts
    name = rel.name
    kind = ARTIFACT_KINDS.get(path.suffix.lower(), "file")
    platform = name.split(".", 1)[0] if len(parts) == 3 and name not in ("manifest.json",) else None
    if name == "manifest.json":
        kind = "manifest"
    elif name.startswith("report."):
        kind = "report"
    url = f"/v1/jobs/{job_id}/files/{rel.as_posix()}?token={token}"
    return {"path": rel.as_posix(), "kind": kind, "sku": parts[0] if len(parts) == 3 else None,
            "variant": int(parts[1][1:]) if len(parts) == 3 and parts[1][1:].isdigit() else None,
            "platform": platform, "size": path.stat().st_size, "url": url, "download_url": url + "&download=1"}
