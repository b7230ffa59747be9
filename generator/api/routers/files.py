"""Downloads of a job's files: by API key, or by the job's own download token (a capability URL, so that a
<video> element and a shared link work without headers)."""

from __future__ import annotations

import hmac
import mimetypes
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse

from generator.api.config import ApiConfig
from generator.api.routers.jobs import job_or_404
from generator.pipeline.store import JobStore


def safe_file(root: Path, rel_path: str) -> Path:
    """The file REL_PATH inside ROOT, or 404: no '..', no hidden files, no links out of the job folder."""
    parts = Path(rel_path).parts
    if not parts or any(p in ("..", "") or p.startswith(".") for p in parts) or Path(rel_path).is_absolute():
        raise HTTPException(404, "no such file")
    base = root.resolve()
    target = (base / rel_path).resolve()
    if not target.is_relative_to(base) or not target.is_file():
        raise HTTPException(404, "no such file")
    return target


def router(config: ApiConfig, store: JobStore, require_key: Any) -> APIRouter:
    api = APIRouter(prefix="/v1/jobs", tags=["jobs"])

    @api.get("/{job_id}/files/{rel_path:path}")
    def download(job_id: str, rel_path: str, request: Request, token: str = "", download: bool = False) -> FileResponse:
        """One output file. Authorised by `Authorization: Bearer KEY` or the job's `token` query parameter."""
        job = job_or_404(store, job_id)
        if not (job["token"] and token and hmac.compare_digest(token, job["token"])):
            require_key(request)
        path = safe_file(config.out_root / job_id, rel_path)
        media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".vtt":
            media = "text/vtt"
        return FileResponse(path, media_type=media, filename=path.name if download else None,
                            content_disposition_type="attachment" if download else "inline")

    return api
