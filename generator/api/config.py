"""The API server's configuration, from Settings (DAIHUO_OUT, DAIHUO_API_KEYS, DAIHUO_ADMIN_KEYS,
DAIHUO_REDIS_URL, the upload and sheet-reading limits)."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from generator.settings import Settings


@dataclass(frozen=True)
class ReadLimits:
    """What reading one uploaded sheet may take, in its own process (DAIHUO_PARSE_*)."""

    cpu_seconds: int
    memory_mb: int
    timeout: float
    wait: float
    concurrency: int


@dataclass
class ApiConfig:
    out_root: Path
    keys: dict[str, str]  # API key → tenant
    admin_keys: frozenset[str]
    redis_url: str | None
    max_upload_bytes: int
    max_rows: int
    settings: Settings
    read_limits: ReadLimits
    executor: ThreadPoolExecutor | None = field(default=None, repr=False)

    @property
    def mode(self) -> str:
        return "celery" if self.redis_url else "inline"

    @property
    def open(self) -> bool:
        """No key configured: anyone who reaches the port is let in (and sees every job)."""
        return not self.keys and not self.admin_keys


def parse_keys(raw: str) -> dict[str, str]:
    """`KEY` or `TENANT:KEY`, comma-separated → {key: tenant}. A bare key is its own tenant, named by a digest
    of it (the key itself is never stored); naming the tenant lets a shop rotate keys and keep its jobs."""
    keys: dict[str, str] = {}
    for entry in (e.strip() for e in raw.split(",")):
        if not entry:
            continue
        tenant, sep, key = entry.partition(":")
        if not sep or not tenant.strip() or not key.strip():
            key, tenant = entry, "key-" + hashlib.sha256(entry.encode()).hexdigest()[:12]
        keys[key.strip()] = tenant.strip()
    return keys


def load_config(settings: Settings, out_root: Path | None = None, *, keys: str | None = None,
                admin_keys: str | None = None, redis_url: str | None = None, max_upload_bytes: int | None = None,
                max_rows: int | None = None) -> ApiConfig:
    """Explicit arguments (tests, `daihuo serve --out`) win over the settings."""
    raw_admin = admin_keys if admin_keys is not None else settings.admin_keys
    return ApiConfig(
        out_root=Path(out_root or settings.out).resolve(),
        keys=parse_keys(keys if keys is not None else settings.api_keys),
        admin_keys=frozenset(parse_keys(raw_admin)),
        redis_url=redis_url if redis_url is not None else (settings.redis_url or None),
        max_upload_bytes=max_upload_bytes or settings.max_upload_bytes,
        max_rows=max_rows or min(settings.api_max_rows, settings.max_rows),
        settings=settings,
        read_limits=ReadLimits(settings.parse_cpu_seconds, settings.parse_memory_mb, settings.parse_timeout,
                               settings.parse_wait_seconds, settings.parse_concurrency),
    )
