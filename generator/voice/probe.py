"""Bounded reachability checks for the network voices: an answer within `timeout` seconds, always.

Name resolution (getaddrinfo) ignores socket timeouts and can hang for a long time on a machine without a
network, so every check runs in a daemon thread that is simply abandoned when time is up. Answers are kept
for a minute, so the jobs of one worker process do not each pay for a dead endpoint.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

CACHE_SECONDS = 60.0
_cache: dict[tuple[str, str], tuple[float, str | None]] = {}
_lock = threading.Lock()


def bounded(check: Callable[[], str | None], timeout: float) -> str | None:
    """Run `check` (None: fine; a string: why not) and give up after `timeout` seconds."""
    answer: list[str | None] = []

    def run() -> None:
        try:
            answer.append(check())
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable", with its reason
            answer.append(f"{type(exc).__name__}: {exc}"[:160])

    worker = threading.Thread(target=run, name="voice-probe", daemon=True)
    worker.start()
    worker.join(timeout)
    return answer[0] if answer else f"no answer within {timeout:g} s"


def _cached(kind: str, key: str, check: Callable[[], str | None], timeout: float) -> str | None:
    now = time.monotonic()
    with _lock:
        hit = _cache.get((kind, key))
        if hit and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    result = bounded(check, timeout)
    with _lock:
        _cache[(kind, key)] = (time.monotonic(), result)
    return result


def tcp_reason(host: str, port: int, timeout: float) -> str | None:
    """Why a TCP connection to host:port cannot be opened within `timeout` (None when it can)."""

    def check() -> str | None:
        with socket.create_connection((host, port), timeout=timeout):
            return None

    return _cached("tcp", f"{host}:{port}", check, timeout)


def speech_server_reason(base_url: str, api_key: str | None, timeout: float) -> str | None:
    """Why the OpenAI-compatible server at base_url is not usable (None when it answers HTTP): GET /models,
    where any answer but a server error or a refused key counts (some speech servers have no /models)."""
    import httpx

    def check() -> str | None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        reply = httpx.get(base_url.rstrip("/") + "/models", headers=headers, timeout=timeout)
        if reply.status_code in (401, 403) or reply.status_code >= 500:
            return f"HTTP {reply.status_code}"
        return None

    return _cached("http", base_url, check, timeout)


def host_port(url: str, default_port: int = 443) -> tuple[str, int]:
    parts = urlsplit(url if "//" in url else f"//{url}")
    port = parts.port or {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(parts.scheme, default_port)
    return parts.hostname or "", port


def forget() -> None:
    """Drop the remembered answers (tests; a worker that wants to look again)."""
    with _lock:
        _cache.clear()
