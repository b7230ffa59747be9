"""Service endpoints: health, the platform presets, and the merchant web page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from generator.api.config import ApiConfig
from generator.platforms import load_presets

WEB_DIR = Path(__file__).resolve().parent.parent / "web"


def router(config: ApiConfig) -> APIRouter:
    api = APIRouter()

    @api.get("/healthz", tags=["service"])
    def healthz() -> dict[str, Any]:
        body: dict[str, Any] = {"ok": True, "mode": config.mode, "auth": bool(config.keys)}
        if config.redis_url:
            import redis

            try:
                redis.Redis.from_url(config.redis_url, socket_connect_timeout=2, socket_timeout=2).ping()
                body["redis"] = "ok"
            except redis.RedisError:
                body.update(ok=False, redis="unreachable")
        return body

    @api.get("/v1/platforms", tags=["jobs"])
    def platforms() -> list[dict[str, Any]]:
        return [{"key": k, "name": p.name, "width": p.width, "height": p.height, "label": p.label}
                for k, p in load_presets().items()]

    @api.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html")

    return api
