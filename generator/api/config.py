"""The API server's configuration, from Settings (DAIHUO_OUT, DAIHUO_API_KEYS, DAIHUO_REDIS_URL, limits)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from generator.settings import Settings


@dataclass
class ApiConfig:
    out_root: Path
    keys: frozenset[str]
    redis_url: str | None
    max_upload_bytes: int
    max_rows: int
    settings: Settings
    executor: ThreadPoolExecutor | None = field(default=None, repr=False)

    @property
    def mode(self) -> str:
        return "celery" if self.redis_url else "inline"


def load_config(settings: Settings, out_root: Path | None = None, *, keys: str | None = None,
                redis_url: str | None = None, max_upload_bytes: int | None = None,
                max_rows: int | None = None) -> ApiConfig:
    """Explicit arguments (tests, `daihuo serve --out`) win over the settings."""
    raw_keys = keys if keys is not None else settings.api_keys
    return ApiConfig(
        out_root=Path(out_root or settings.out).resolve(),
        keys=frozenset(k.strip() for k in raw_keys.split(",") if k.strip()),
        redis_url=redis_url if redis_url is not None else (settings.redis_url or None),
        max_upload_bytes=max_upload_bytes or settings.max_upload_bytes,
        max_rows=max_rows or min(settings.api_max_rows, settings.max_rows),
        settings=settings,
    )
