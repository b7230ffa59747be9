"""/v1/jobs: submit a sheet (multipart) or products (JSON), follow progress, list what was made.

Every job belongs to the tenant of the key that submitted it; other tenants get 404 for it, as for a job that
does not exist (admin keys see all). Job ids carry 96 random bits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from generator.api.auth import Caller, CallerDep
from generator.api.config import ApiConfig
from generator.api.intake import OPTION_SCHEMA, brief_from, rows_problem, save_uploads, start_job
from generator.api.public import one_line, public
from generator.api.sheet_reader import Reading, Refused, start_reading
from generator.models import Brief
from generator.output import sku_folder
from generator.pipeline.store import STATE_DIR, JobNotFound, JobStore
from generator.pipeline.views import summarize

log = logging.getLogger("daihuo.api")
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


def new_job_id() -> str:
    """Sortable by time, and 96 random bits that nobody guesses."""
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(12)}"


def job_or_404(store: JobStore, job_id: str, caller: Caller | None = None) -> dict[str, Any]:
    """The job record (read only), or 404 when it does not exist or belongs to another tenant."""
    missing = HTTPException(404, "no such job — check the id (jobs of other API keys are not shown)")
    if not _JOB_ID.fullmatch(job_id) or job_id.startswith("."):
        raise missing
    try:
        job = store.job(job_id)
    except JobNotFound:
        raise missing from None
    if caller is not None and not caller.may_see(job):
        raise missing
    return job


def router(config: ApiConfig, store: JobStore) -> APIRouter:
    api = APIRouter(prefix="/v1/jobs", tags=["jobs"])
    gate = asyncio.Semaphore(config.read_limits.concurrency)
    background: set[asyncio.Task[None]] = set()

    @api.post("", status_code=202, openapi_extra=_SUBMIT_BODY)
    async def submit(request: Request, caller: CallerDep) -> dict[str, Any]:
        """Submit a sheet (multipart) or products (JSON); answers the job id at once. The sheet is read in a
        separate process with limits: a quick one is answered here (202, or 422 naming the rows), a slow one
        with 202 while it reads on (its job then starts, or fails with one line)."""
        job_id = new_job_id()
        upload_dir = config.out_root / STATE_DIR / "uploads" / job_id
        try:
            brief, read_request, name = await _take(request, upload_dir)
            reading = start_reading(config, gate, read_request)
            try:
                result = await reading.answer_within(config.read_limits.wait)
            except Refused as exc:
                raise HTTPException(422, {"message": f"{name}: {exc.message}", "problem": exc.problem,
                                          "fix": exc.fix, "rows": []}) from None
        except HTTPException:
            shutil.rmtree(upload_dir, ignore_errors=True)
            raise
        token = secrets.token_urlsafe(18)
        if result is None:  # still reading: answer now, start (or fail) the job when the reader is done
            await run_in_threadpool(store.create_job, job_id, mode=config.mode, brief=brief.model_dump(), products=[],
                                    row_errors=[], warnings=[], steps=[], token=token, options={"reading": True},
                                    tenant=caller.tenant)
            task = asyncio.ensure_future(_read_on(job_id, reading, brief, token, caller.tenant, name))
            background.add(task)
            task.add_done_callback(background.discard)
            return _accepted(job_id, None, [], [])
        problem = rows_problem(result, config)
        if problem:
            raise HTTPException(*problem)
        await run_in_threadpool(start_job, store, config, job_id, result, brief, token, caller.tenant)
        return _accepted(job_id, len(result.products), [e.model_dump() | {"message": str(e)} for e in result.errors],
                         result.warnings)

    async def _take(request: Request, upload_dir: Path) -> tuple[Brief, dict[str, Any], str]:
        """The job's options and what the reader must read, from a multipart or a JSON body."""
        ctype = request.headers.get("content-type", "")
        if ctype.startswith("multipart/form-data"):
            async with request.form(max_files=64, max_fields=64) as form:
                options = {k: v for k, v in form.multi_items() if isinstance(v, str)}
                sheet_file = form.get("sheet")
                if not isinstance(sheet_file, UploadFile):
                    raise HTTPException(422, "send the product sheet as the multipart file field `sheet`")
                images = [f for f in form.getlist("images") if isinstance(f, UploadFile) and f.filename]
                brief = brief_from(options, config)
                sheet_path = await save_uploads(sheet_file, images, upload_dir, config)
            return brief, {"kind": "sheet", "path": str(sheet_path)}, sheet_path.name
        if ctype.startswith("application/json"):
            body = await _json_body(request)
            products = body.get("products") if isinstance(body, dict) else body
            if not isinstance(products, list) or not products:
                raise HTTPException(422, "send {\"products\": [{\"sku\": ..., \"title\": ...}, ...]} or a sheet upload")
            brief = brief_from({k: v for k, v in body.items() if k != "products"} if isinstance(body, dict) else {},
                               config)
            upload_dir.mkdir(parents=True, exist_ok=True)
            path = upload_dir / "products.json"
            path.write_text(json.dumps(products, ensure_ascii=False), encoding="utf-8")
            return brief, {"kind": "json", "path": str(path), "base": str(upload_dir)}, "request"
        raise HTTPException(415, "send multipart/form-data (field `sheet`) or application/json (`products`)")

    async def _read_on(job_id: str, reading: Reading, brief: Brief, token: str, tenant: str, name: str) -> None:
        """The end of a slow read, after the client had its 202: start the job, or fail it in one line."""
        try:
            result = await reading.result()
            problem = rows_problem(result, config)
            if problem is None:
                await run_in_threadpool(start_job, store, config, job_id, result, brief, token, tenant)
                return
            detail = problem[1]
            message = detail["message"] if isinstance(detail, dict) else detail
            error = message if " — " in message else f"{message} — fix those rows and submit the sheet again"
        except Refused as exc:
            error = f"{name}: {exc.message}"
        except Exception:  # noqa: BLE001 - the job must say it failed, whatever happened
            log.exception("reading the upload of job %s failed", job_id)
            error = "the sheet could not be read (an unexpected server error) — submit it again; if it fails again, " \
                    "send the job id to the server's operator"
        await run_in_threadpool(store.set_job_state, job_id, "failed", one_line(error))

    @api.get("")
    def list_jobs(caller: CallerDep, limit: int = 20) -> list[dict[str, Any]]:
        """Your recent jobs (every tenant's for an admin key)."""
        jobs = store.jobs(limit=min(max(limit, 1), 200), tenant=None if caller.admin else caller.tenant)
        return public(jobs, config.out_root)

    @api.get("/{job_id}")
    def job_status(job_id: str, caller: CallerDep) -> dict[str, Any]:
        """State (queued/running/done/failed) and progress per product, variant and platform."""
        job = job_or_404(store, job_id, caller)
        view = summarize(job, store.steps(job_id))
        view["reading"] = bool(job["options"].get("reading")) and job["state"] == "queued"
        view["events"] = store.events(job_id)[-20:]
        view["artifacts_url"] = f"/v1/jobs/{job_id}/artifacts"
        return public(view, config.out_root)

    @api.get("/{job_id}/events")
    def job_events(job_id: str, caller: CallerDep, after: int = 0) -> list[dict[str, Any]]:
        job_or_404(store, job_id, caller)
        return public(store.events(job_id, after=after), config.out_root)

    @api.get("/{job_id}/artifacts")
    def artifacts(job_id: str, caller: CallerDep) -> dict[str, Any]:
        """Every file the job made so far, with download URLs (they carry the job's download token)."""
        job = job_or_404(store, job_id, caller)
        root = config.out_root / job_id
        # Folders are safe forms of the SKUs ('HASH#2%41~0256…'); the files name the SKU itself.
        skus = {sku_folder(p["sku"]): p["sku"] for p in job.get("products", []) if isinstance(p, dict) and "sku" in p}
        files = []
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            rel = path.relative_to(root)
            if not path.is_file() or any(part.startswith(".") for part in rel.parts) or "voice" in rel.parts[:-1]:
                continue
            described = _describe(job_id, rel, path, job["token"])
            if described["sku"] is not None:
                described["sku"] = skus.get(described["sku"], described["sku"])
            files.append(described)
        return {"id": job_id, "state": job["state"], "files": files}

    async def _json_body(request: Request) -> Any:
        raw = bytearray()
        async for chunk in request.stream():  # bounded by the upload limit (generator/api/bodylimit.py)
            raw += chunk
        try:
            return json.loads(bytes(raw))
        except RecursionError:
            raise HTTPException(422, "the body is nested too deeply — send {\"products\": [...]} with one object "
                                     "per product") from None
        except ValueError as exc:
            raise HTTPException(422, f"the body is not valid JSON ({exc}) — check it with a JSON validator") from None

    return api


def _accepted(job_id: str, products: int | None, row_errors: list[dict[str, Any]], warnings: list[str]) -> dict[str, Any]:
    return {"id": job_id, "state": "queued", "products": products, "reading": products is None,
            "row_errors": row_errors, "warnings": warnings, "status_url": f"/v1/jobs/{job_id}",
            "artifacts_url": f"/v1/jobs/{job_id}/artifacts"}


def _describe(job_id: str, rel: Path, path: Path, token: str) -> dict[str, Any]:
    parts = rel.parts
    name = rel.name
    kind = ARTIFACT_KINDS.get(path.suffix.lower(), "file")
    platform = name.split(".", 1)[0] if len(parts) == 3 and name not in ("manifest.json",) else None
    if name == "manifest.json":
        kind = "manifest"
    elif name.startswith("report."):
        kind = "report"
    # Folder names may hold '#', '%', '?' or spaces (SKUs do): every part of the URL is encoded.
    url = f"/v1/jobs/{quote(job_id, safe='')}/files/{quote(rel.as_posix(), safe='/')}?token={quote(token, safe='')}"
    return {"path": rel.as_posix(), "name": name, "kind": kind, "sku": parts[0] if len(parts) == 3 else None,
            "variant": int(parts[1][1:]) if len(parts) == 3 and parts[1][1:].isdigit() else None,
            "platform": platform, "size": path.stat().st_size, "url": url, "download_url": url + "&download=1"}
