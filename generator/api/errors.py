"""The API's error boundary: every error body is JSON with one line (problem — fix), no traceback, no path.

Unexpected failures answer 500 with a reference; the traceback goes to the server's log under that reference.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from generator.api.public import one_line, public

log = logging.getLogger("daihuo.api")


def install(app: FastAPI, out_root: Path) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": public_detail(exc.detail, out_root)}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{_where(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in exc.errors())
        return JSONResponse({"detail": one_line(f"bad request: {problems} — see /docs for the parameters")},
                            status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        reference = secrets.token_hex(4)
        log.error("unexpected error %s on %s %s", reference, request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": f"an unexpected server error (reference {reference}) — try again; if it "
                                       "persists, send the reference to the server's operator"}, status_code=500)


def public_detail(detail: Any, out_root: Path) -> Any:
    """An HTTPException's detail for the wire: every string on one line, no server path, structure kept."""
    return _flat(public(detail, out_root))


def _flat(data: Any) -> Any:
    if isinstance(data, str):
        return one_line(data)
    if isinstance(data, dict):
        return {k: _flat(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_flat(v) for v in data]
    return data


def _where(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "request"
