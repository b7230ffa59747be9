"""The HTTP API (FastAPI) and the merchant web page.

POST /v1/jobs takes a sheet upload (multipart field `sheet`, optional `images`, options as form fields) or a
JSON body of products, and answers {"id", "state": "queued"}; GET /v1/jobs/{id} reports progress per product;
GET /v1/jobs/{id}/artifacts lists the clips, covers and captions with download URLs. With DAIHUO_REDIS_URL
set, jobs go to the Celery workers; without it they run in a background thread of this process.

Downloads are authorised by the API key or by the job's own download token (a capability URL, so that a
<video> element and a shared link work without headers).
"""

from __future__ import annotations

import hmac
import mimetypes
import os
import re
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from generator.models import Brief, SheetResult
from generator.output import safe_name
from generator.settings import get_settings
from generator.sheets import SHEET_SUFFIXES, SheetError
from workers.jobs import STATE_DIR, JobNotFound, JobStore, summarize

WEB_DIR = Path(__file__).resolve().parent / "web"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
ARTIFACT_KINDS = {".mp4": "video", ".jpg": "cover", ".srt": "subtitles", ".vtt": "subtitles", ".json": "data",
                  ".md": "report"}


@dataclass
class ApiConfig:
    out_root: Path
    keys: frozenset[str]
    redis_url: str | None
    max_upload_bytes: int
    max_rows: int
    executor: ThreadPoolExecutor | None = field(default=None, repr=False)

    @property
    def mode(self) -> str:
        return "celery" if self.redis_url else "inline"


def load_config(out_root: Path | None = None, *, keys: str | None = None, redis_url: str | None = None,
                max_upload_bytes: int | None = None, max_rows: int | None = None) -> ApiConfig:
    settings = get_settings()
    raw_keys = keys if keys is not None else os.environ.get("DAIHUO_API_KEYS", settings.api_keys)
    return ApiConfig(
        out_root=Path(out_root or os.environ.get("DAIHUO_OUT") or settings.out).resolve(),
        keys=frozenset(k.strip() for k in raw_keys.split(",") if k.strip()),
        redis_url=redis_url if redis_url is not None else (os.environ.get("DAIHUO_REDIS_URL") or None),
        max_upload_bytes=max_upload_bytes or int(os.environ.get("DAIHUO_MAX_UPLOAD_BYTES", 20_000_000)),
        max_rows=max_rows or int(os.environ.get("DAIHUO_API_MAX_ROWS", min(settings.max_rows, 500))),
    )


def create_app(out_root: Path | None = None, **overrides: Any) -> FastAPI:
    config = load_config(out_root, **overrides)
    store = JobStore(config.out_root)

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        if config.mode == "inline":
            config.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="daihuo-job")
            _resume_inline_jobs(store, config)
        else:
            from workers import celery_app

            celery_app.configure(celery_app.app, config.redis_url)
        yield
        if config.executor:
            config.executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(
        title="daihuo API", version="1", lifespan=lifespan,
        description="Product sheets in, captioned short videos out. Authenticate with `Authorization: Bearer KEY`.",
    )
    app.state.config = config
    app.state.store = store

    @app.middleware("http")
    async def limit_upload(request: Request, call_next):  # type: ignore[no-untyped-def]
        length = request.headers.get("content-length")
        if request.method == "POST" and length and length.isdigit() and int(length) > config.max_upload_bytes:
            return JSONResponse(status_code=413, content={"detail": _too_big(int(length), config)})
        return await call_next(request)

    def require_key(request: Request) -> str:
        if not config.keys:
            return ""
        given = _bearer(request)
        if given and any(hmac.compare_digest(given, k) for k in config.keys):
            return given
        raise HTTPException(401, "missing or wrong API key: send the header `Authorization: Bearer KEY` "
                                 "with a key from DAIHUO_API_KEYS", headers={"WWW-Authenticate": "Bearer"})

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, Any]:
        body: dict[str, Any] = {"ok": True, "mode": config.mode, "auth": bool(config.keys)}
        if config.redis_url:
            import redis

            try:
                redis.Redis.from_url(config.redis_url, socket_connect_timeout=2, socket_timeout=2).ping()
                body["redis"] = "ok"
            except redis.RedisError as exc:
                body.update(ok=False, redis=f"unreachable: {exc}")
        return body

    @app.get("/v1/platforms", tags=["jobs"])
    def platforms() -> list[dict[str, Any]]:
        from generator.platforms import load_presets

        return [{"key": k, "name": p.name, "width": p.width, "height": p.height, "label": p.label}
                for k, p in load_presets().items()]

    @app.post("/v1/jobs", status_code=202, tags=["jobs"], dependencies=[Depends(require_key)],
              openapi_extra={"requestBody": {"required": True, "content": {
                  "multipart/form-data": {"schema": {"type": "object", "required": ["sheet"], "properties": {
                      "sheet": {"type": "string", "format": "binary", "description": ".xlsx/.csv/.json/.yaml"},
                      "images": {"type": "array", "items": {"type": "string", "format": "binary"},
                                 "description": "images the sheet's 主图 column names"},
                      **_OPTION_SCHEMA}}},
                  "application/json": {"schema": {"type": "object", "required": ["products"], "properties": {
                      "products": {"type": "array", "items": {"type": "object"}}, **_OPTION_SCHEMA}}},
              }}})
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
            brief = _brief(options)
            sheet_path = await _save_uploads(sheet_file, images, upload_dir, config)
            result = await run_in_threadpool(_read_sheet, sheet_path, config)
        elif ctype.startswith("application/json"):
            body = await _json_body(request, config)
            products = body.get("products") if isinstance(body, dict) else body
            if not isinstance(products, list) or not products:
                raise HTTPException(422, "send {\"products\": [{\"sku\": ..., \"title\": ...}, ...]} or a sheet upload")
            brief = _brief({k: v for k, v in body.items() if k != "products"} if isinstance(body, dict) else {})
            result = await run_in_threadpool(_read_json_products, products, upload_dir, config)
        else:
            raise HTTPException(415, "send multipart/form-data (field `sheet`) or application/json (`products`)")
        _check_rows(result, config)
        token = secrets.token_urlsafe(18)
        await run_in_threadpool(_start, store, config, job_id, result, brief, token)
        return {"id": job_id, "state": "queued", "products": len(result.products),
                "row_errors": [e.model_dump() | {"message": str(e)} for e in result.errors],
                "warnings": result.warnings, "status_url": f"/v1/jobs/{job_id}",
                "artifacts_url": f"/v1/jobs/{job_id}/artifacts"}

    @app.get("/v1/jobs", tags=["jobs"], dependencies=[Depends(require_key)])
    def list_jobs(limit: int = 20) -> list[dict[str, Any]]:
        return store.jobs(limit=min(max(limit, 1), 200))

    @app.get("/v1/jobs/{job_id}", tags=["jobs"], dependencies=[Depends(require_key)])
    def job_status(job_id: str) -> dict[str, Any]:
        """State (queued/running/done/failed) and progress per product, variant and platform."""
        job = _job_or_404(store, job_id, config)
        view = summarize(job, store.steps(job_id))
        view["events"] = store.events(job_id)[-20:]
        view["artifacts_url"] = f"/v1/jobs/{job_id}/artifacts"
        return view

    @app.get("/v1/jobs/{job_id}/events", tags=["jobs"], dependencies=[Depends(require_key)])
    def job_events(job_id: str, after: int = 0) -> list[dict[str, Any]]:
        _job_or_404(store, job_id, config)
        return store.events(job_id, after=after)

    @app.get("/v1/jobs/{job_id}/artifacts", tags=["jobs"], dependencies=[Depends(require_key)])
    def artifacts(job_id: str) -> dict[str, Any]:
        """Every file the job made so far, with download URLs (they carry the job's download token)."""
        job = _job_or_404(store, job_id, config)
        root = config.out_root / job_id
        files = []
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            rel = path.relative_to(root)
            if not path.is_file() or any(part.startswith(".") for part in rel.parts) or "voice" in rel.parts[:-1]:
                continue
            files.append(_describe(job_id, rel, path, job["token"]))
        return {"id": job_id, "state": job["state"], "files": files}

    @app.get("/v1/jobs/{job_id}/files/{rel_path:path}", tags=["jobs"])
    def download(job_id: str, rel_path: str, request: Request, token: str = "", download: bool = False) -> FileResponse:
        """One output file. Authorised by `Authorization: Bearer KEY` or the job's `token` query parameter."""
        job = _job_or_404(store, job_id, config, check_key=False)
        if not (job["token"] and token and hmac.compare_digest(token, job["token"])):
            require_key(request)
        path = _safe_file(config.out_root / job_id, rel_path)
        media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".vtt":
            media = "text/vtt"
        return FileResponse(path, media_type=media, filename=path.name if download else None,
                            content_disposition_type="attachment" if download else "inline")

    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html")

    return app


_OPTION_SCHEMA: dict[str, Any] = {
    "platforms": {"type": "string", "example": "douyin,wechat_channels", "description": "comma-separated presets"},
    "duration": {"type": "integer", "example": 30, "description": "target seconds (5–180)"},
    "variants": {"type": "integer", "example": 1},
    "voice": {"type": "string", "example": "espeak"},
    "writer": {"type": "string", "example": "template"},
    "lang": {"type": "string", "example": "zh"},
    "compliance": {"type": "string", "example": "fix"},
    "scale": {"type": "number", "example": 1.0, "description": "proxy scale for quick previews"},
    "music": {"type": "boolean", "example": True},
    "style": {"type": "string", "example": "bold", "description": "style pack; default: by category, rotating"},
    "captions": {"type": "string", "example": "verbatim", "description": "verbatim or keywords"},
}


# ---- helpers (plain functions, called from the endpoints) ----------------------------------------------


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _too_big(size: int, config: ApiConfig) -> str:
    return (f"the upload is {size:,} bytes, over the limit of {config.max_upload_bytes:,}; "
            "send a smaller sheet (split it, or link images by URL instead of uploading them)")


def _brief(options: dict[str, Any]) -> Brief:
    """Job options from form fields or JSON, validated, with the server's engine defaults."""
    from generator.platforms import load_presets

    settings = get_settings()
    raw_platforms = options.get("platforms") or "douyin"
    if isinstance(raw_platforms, str):
        raw_platforms = [p for p in re.split(r"[,，\s]+", raw_platforms) if p]
    unknown = [p for p in raw_platforms if p not in load_presets()]
    if unknown:
        raise HTTPException(422, f"unknown platform(s) {', '.join(unknown)}; choose from {', '.join(load_presets())}")
    data: dict[str, Any] = {"platforms": raw_platforms, "writer": settings.writer, "voice": settings.voice,
                            "host": settings.host}
    for name in ("duration", "variants", "voice", "writer", "compliance", "scale", "music", "host", "style", "captions"):
        value = options.get(name)
        if value not in (None, ""):
            data[name] = value
    if data.get("style"):
        from generator.edit.styles import style_names

        if data["style"] not in style_names():
            raise HTTPException(422, f"unknown style '{data['style']}'; choose from {', '.join(style_names())}")
    if options.get("lang") or options.get("language"):
        data["language"] = options.get("lang") or options.get("language")
    try:
        return Brief.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise HTTPException(422, f"bad job options: {problems}") from exc


async def _save_uploads(sheet: UploadFile, images: list[UploadFile], directory: Path, config: ApiConfig) -> Path:
    name = safe_name(Path(sheet.filename or "sheet.csv").name, "sheet.csv")
    if not name.lower().endswith(SHEET_SUFFIXES):
        raise HTTPException(422, f"'{sheet.filename}' is not a sheet; upload .xlsx, .csv, .json or .yaml")
    directory.mkdir(parents=True, exist_ok=True)
    budget = config.max_upload_bytes
    budget -= await _copy_limited(sheet, directory / name, budget, config)
    for image in images:
        image_name = safe_name(Path(image.filename or "image").name, "image")
        if not image_name.lower().endswith(IMAGE_SUFFIXES):
            raise HTTPException(422, f"'{image.filename}' is not an image; upload .jpg, .png or .webp")
        # The sheet may say "images/cup.jpg" or "cup.jpg": both resolve inside the upload folder.
        budget -= await _copy_limited(image, directory / image_name, budget, config)
        (directory / "images").mkdir(exist_ok=True)
        os.link(directory / image_name, directory / "images" / image_name)
    return directory / name


async def _copy_limited(upload: UploadFile, dest: Path, budget: int, config: ApiConfig) -> int:
    size = 0
    with dest.open("wb") as f:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > budget:
                f.close()
                dest.unlink(missing_ok=True)
                raise HTTPException(413, _too_big(config.max_upload_bytes - budget + size, config))
            f.write(chunk)
    return size


async def _json_body(request: Request, config: ApiConfig) -> Any:
    import json

    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > config.max_upload_bytes:
            raise HTTPException(413, _too_big(len(raw), config))
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise HTTPException(422, f"the body is not valid JSON: {exc}") from exc


def _limited_settings(config: ApiConfig) -> Any:
    return get_settings().model_copy(update={"max_rows": config.max_rows})


def _read_sheet(path: Path, config: ApiConfig) -> SheetResult:
    from generator.sheets import read_sheet

    try:
        return read_sheet(path, image_cache=config.out_root / ".cache" / "images", settings=_limited_settings(config))
    except SheetError as exc:
        raise HTTPException(422, {"message": str(exc), "problem": exc.problem, "fix": exc.fix, "rows": []}) from exc


def _read_json_products(products: list[Any], base: Path, config: ApiConfig) -> SheetResult:
    from generator.sheets import read_products_json

    base.mkdir(parents=True, exist_ok=True)
    try:
        return read_products_json(products, base_dir=base, source="request", settings=_limited_settings(config),
                                  image_cache=config.out_root / ".cache" / "images")
    except SheetError as exc:
        raise HTTPException(422, {"message": str(exc), "problem": exc.problem, "fix": exc.fix, "rows": []}) from exc


def _check_rows(result: SheetResult, config: ApiConfig) -> None:
    """413 when the sheet has more rows than this server takes; 422 naming the rows when none is usable."""
    overflow = [e for e in result.errors if e.field == "(rows)"]
    if overflow:
        raise HTTPException(413, f"the sheet has more than {config.max_rows} products (row {overflow[0].row} and after "
                                 "were not read); split it into smaller sheets")
    if not result.products:
        rows = [e.model_dump() | {"message": str(e)} for e in result.errors]
        named = "; ".join(f"row {e.row} ({e.field}): {e.problem}" for e in result.errors[:10])
        raise HTTPException(422, {"message": f"no product row could be used: {named or 'the sheet has no product rows'}",
                                  "rows": rows})


def _start(store: JobStore, config: ApiConfig, job_id: str, result: SheetResult, brief: Brief, token: str) -> None:
    from workers.submit import create_job, enqueue, run_inline

    create_job(store, job_id, result, brief, mode=config.mode, token=token)
    if config.mode == "celery":
        enqueue(store, job_id)
    else:
        assert config.executor is not None, "the app's lifespan did not run (use it as an ASGI app or TestClient)"
        config.executor.submit(_guarded, run_inline, store, job_id)


def _guarded(fn: Any, store: JobStore, job_id: str) -> None:
    try:
        fn(store, job_id)
    except Exception as exc:  # the thread must never die silently: the job says why
        store.set_job_state(job_id, "failed", f"{type(exc).__name__}: {exc}")


def _resume_inline_jobs(store: JobStore, config: ApiConfig) -> None:
    """Jobs this server was running when it stopped go on where they were (done steps are kept)."""
    from workers.submit import run_inline

    for job in store.jobs(limit=200):
        if job["mode"] == "inline" and job["state"] in ("queued", "running"):
            store.reset_unfinished(job["id"])
            assert config.executor is not None
            config.executor.submit(_guarded, run_inline, store, job["id"])


def _job_or_404(store: JobStore, job_id: str, config: ApiConfig, *, check_key: bool = True) -> dict[str, Any]:
    if not re.fullmatch(r"[\w.\-\u3400-\u9fff]{1,120}", job_id) or job_id.startswith("."):
        raise HTTPException(404, f"no job {job_id!r}")
    try:
        if config.mode == "celery":
            from workers.submit import settle

            settle(store, job_id, broker_url=config.redis_url)
        return store.job(job_id)
    except JobNotFound as exc:
        raise HTTPException(404, f"no job {job_id!r}") from exc


def _safe_file(root: Path, rel_path: str) -> Path:
    """The file REL_PATH inside ROOT, or 404: no '..', no hidden files, no links out of the job folder."""
    parts = Path(rel_path).parts
    if not parts or any(p in ("..", "") or p.startswith(".") for p in parts) or Path(rel_path).is_absolute():
        raise HTTPException(404, "no such file")
    base = root.resolve()
    target = (base / rel_path).resolve()
    if not target.is_relative_to(base) or not target.is_file():
        raise HTTPException(404, "no such file")
    return target


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

