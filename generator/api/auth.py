"""Bearer API keys (DAIHUO_API_KEYS)."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request

from generator.api.config import ApiConfig


def bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def check_key(request: Request, config: ApiConfig) -> str:
    """The caller's key, or 401. With no keys configured every caller is let in (a warning at start-up)."""
    if not config.keys:
        return ""
    given = bearer(request)
    if given and any(hmac.compare_digest(given, k) for k in config.keys):
        return given
    raise HTTPException(401, "missing or wrong API key: send the header `Authorization: Bearer KEY` "
                             "with a key from DAIHUO_API_KEYS", headers={"WWW-Authenticate": "Bearer"})
