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
    """An HTTPException's detail for the wire: strings on one line, no server path, structure kept."""
    detail = public(detail, out_root)
    if isinstance(detail, str):
        return one_line(detail)
    if isinstance(detail, dict):
        return {k: one_line(v) if isinstance(v, str) else v for k, v in detail.items()}
    return detail


def _where(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "request"
