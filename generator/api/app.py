"""The HTTP API (FastAPI) and the merchant web page.

POST /v1/jobs takes a sheet upload (multipart field `sheet`, optional `images`, options as form fields) or a
JSON body of products, and answers {"id", "state": "queued"}; GET /v1/jobs/{id} reports progress per product
(it only reads); GET /v1/jobs/{id}/artifacts lists the clips, covers and captions with download URLs. With
DAIHUO_REDIS_URL set, jobs go to the Celery workers; without it they run on a background thread of this
process (the embedded mode), through the same plan.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from generator.api.auth import check_key
from generator.api.config import ApiConfig, load_config
from generator.api.intake import too_big
from generator.api.routers import files, jobs, learn, service
from generator.api.runner import resume_embedded_jobs
from generator.pipeline.store import JobStore
from generator.settings import Settings, get_settings

SETTLE_EVERY = 5.0  # seconds between the Celery-mode recovery sweeps


def create_app(out_root: Path | None = None, *, settings: Settings | None = None, **overrides: Any) -> FastAPI:
    config = load_config(settings or get_settings(), out_root, **overrides)
    store = JobStore(config.out_root, journal=config.settings.state_journal)

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        stop = threading.Event()
        if config.mode == "inline":
            config.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="daihuo-job")
            resume_embedded_jobs(store, config.executor.submit, config.settings)
        else:
            from workers import celery_app

            celery_app.configure(celery_app.app, config.redis_url, config.settings)
            threading.Thread(target=_settle_loop, args=(store, config, stop), daemon=True,
                             name="daihuo-settle").start()
        yield
        stop.set()
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
            return JSONResponse(status_code=413, content={"detail": too_big(int(length), config)})
        return await call_next(request)

    def require_key(request: Request) -> str:
        return check_key(request, config)

    app.include_router(service.router(config))
    app.include_router(jobs.router(config, store, require_key))
    app.include_router(files.router(config, store, require_key))
    app.include_router(learn.router(config, require_key))
    app.mount("/static", StaticFiles(directory=service.WEB_DIR / "static"), name="static")
    return app


def _settle_loop(store: JobStore, config: ApiConfig, stop: threading.Event) -> None:
    """Celery mode: finish jobs whose report task was lost and re-send messages a broker restart dropped.
    This is the server's own sweep, so that reading a job's status never has to write."""
    from workers.canvas import settle

    while not stop.wait(SETTLE_EVERY):
        for job in store.jobs(limit=50):
            if job["state"] in ("queued", "running"):
                try:
                    settle(store, job["id"], config.settings, broker_url=config.redis_url)
                except Exception:  # noqa: BLE001 - a sweep must not die; the next one tries again
                    continue
