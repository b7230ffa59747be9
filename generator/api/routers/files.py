"""Downloads of a job's files: by API key (the job's own tenant, or an admin), or by the job's own download
token (a capability URL, so that a <video> element and a shared link work without headers).

JSON files (manifests, clip records, report.json) are sent with server paths made relative to the job folder.
"""

from __future__ import annotations

import hmac
import json
import mimetypes
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response

from generator.api.auth import check_key
from generator.api.config import ApiConfig
from generator.api.public import public
from generator.api.routers.jobs import job_or_404
from generator.pipeline.store import JobStore

NO_FILE = "no such file in this job — list its files with GET /v1/jobs/{id}/artifacts"


def safe_file(root: Path, rel_path: str) -> Path:
    """The file REL_PATH inside ROOT, or 404: no '..', no hidden files, no links out of the job folder."""
    parts = Path(rel_path).parts
    if (not parts or "\x00" in rel_path or any(p in ("..", "") or p.startswith(".") for p in parts)
            or Path(rel_path).is_absolute()):
        raise HTTPException(404, NO_FILE)
    base = root.resolve()
    target = (base / rel_path).resolve()
    if not target.is_relative_to(base) or not target.is_file():
        raise HTTPException(404, NO_FILE)
    return target


def _token_opens(store: JobStore, job_id: str, token: str) -> bool:
    try:
        job = job_or_404(store, job_id)
    except HTTPException:
        return False
    return bool(job["token"]) and hmac.compare_digest(token.encode(), job["token"].encode())


def router(config: ApiConfig, store: JobStore) -> APIRouter:
    api = APIRouter(prefix="/v1/jobs", tags=["jobs"])

    @api.get("/{job_id}/files/{rel_path:path}")
    def download(job_id: str, rel_path: str, request: Request, token: str = "", download: bool = False) -> Response:
        """One output file. Authorised by the job's `token` query parameter, or by `Authorization: Bearer KEY`
        of the job's tenant (or an admin key)."""
        if not (token and _token_opens(store, job_id, token)):
            job_or_404(store, job_id, check_key(request, config))  # 401 without a key, 404 for another tenant's job
        root = config.out_root / job_id
        path = safe_file(root, rel_path)
        disposition = "attachment" if download else "inline"
        if path.suffix == ".json":
            try:
                data = public(json.loads(path.read_text(encoding="utf-8")), root.resolve())
            except (OSError, ValueError):
                raise HTTPException(404, NO_FILE) from None
            body = json.dumps(data, ensure_ascii=False, indent=2).encode()
            headers = {"Content-Disposition": f"{disposition}; filename*=utf-8''{quote(path.name)}"}
            return Response(body, media_type="application/json", headers=headers)
        media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".vtt":
            media = "text/vtt"
        return FileResponse(path, media_type=media, filename=path.name if download else None,
                            content_disposition_type=disposition)

    return api
