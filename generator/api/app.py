"""The HTTP API (FastAPI) and the merchant web page.

POST /v1/jobs takes a sheet upload (multipart field `sheet`, optional `images`, options as form fields) or a
JSON body of products, and answers {"id", "state": "queued"}; GET /v1/jobs/{id} reports progress per product
(it only reads); GET /v1/jobs/{id}/artifacts lists the clips, covers and captions with download URLs. With
DAIHUO_REDIS_URL set, jobs go to the Celery workers; without it they run on a background thread of this
process (the embedded mode), through the same plan. What the API lets in and out: docs/security.md.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from generator.api import errors
from generator.api.bodylimit import BodyLimit
from generator.api.config import load_config
from generator.api.intake import too_big
from generator.api.routers import files, jobs, learn, lint, service
from generator.api.runner import fail_interrupted_reads, resume_embedded_jobs
from generator.pipeline.store import JobStore
from generator.settings import Settings, get_settings


def create_app(out_root: Path | None = None, *, settings: Settings | None = None, **overrides: Any) -> FastAPI:
    config = load_config(settings or get_settings(), out_root, **overrides)
    store = JobStore(config.out_root, journal=config.settings.state_journal)

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        fail_interrupted_reads(store)
        stop = None
        if config.mode == "inline":
            config.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="daihuo-job")
            resume_embedded_jobs(store, config.executor.submit, config.settings)
        else:
            from workers import celery_app
            from workers.recovery import start_sweeper

            celery_app.configure(celery_app.app, config.redis_url, config.settings)
            # The server sweeps too, so that reading a job's status never has to write (workers/recovery.py).
            stop = start_sweeper(config.out_root, config.settings, str(config.redis_url), "daihuo-settle")
        yield
        if stop is not None:
            stop.set()
        if config.executor:
            config.executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(
        title="daihuo API", version="1", lifespan=lifespan,
        description="Product sheets in, captioned short videos out. Authenticate with `Authorization: Bearer KEY`.",
    )
    app.state.config = config
    app.state.store = store
    errors.install(app, config.out_root)
    # Outermost: the upload limit holds while the body streams in, before any parser spools it.
    app.add_middleware(BodyLimit, max_bytes=config.max_upload_bytes, message=lambda size: too_big(size, config))

    app.include_router(service.router(config))
    app.include_router(jobs.router(config, store))
    app.include_router(files.router(config, store))
    app.include_router(learn.router(config, store))
    app.include_router(lint.router(config))
    app.mount("/static", StaticFiles(directory=service.WEB_DIR / "static"), name="static")
    return app
