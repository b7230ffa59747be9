"""Bearer API keys (DAIHUO_API_KEYS, DAIHUO_ADMIN_KEYS) and who the caller is: a tenant, or an admin."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from generator.api.config import ApiConfig


@dataclass(frozen=True)
class Caller:
    """Whose jobs a request may see: its tenant's, or every job for an admin (and on a server without keys)."""

    tenant: str
    admin: bool = False

    def may_see(self, job: dict[str, Any]) -> bool:
        return self.admin or job.get("tenant", "") == self.tenant


def bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def check_key(request: Request, config: ApiConfig) -> Caller:
    """The caller, or 401. With no keys configured every caller is let in as an admin (a warning at start-up)."""
    if config.open:
        return Caller(tenant="", admin=True)
    given = bearer(request)
    if given:
        # Compare with every key, in constant time each, so that timing tells nothing about which is near.
        admin = any(hmac.compare_digest(given.encode(), k.encode()) for k in config.admin_keys)
        tenant = next((t for k, t in config.keys.items() if hmac.compare_digest(given.encode(), k.encode())), None)
        if admin:
            return Caller(tenant=tenant or "", admin=True)
        if tenant is not None:
            return Caller(tenant=tenant)
    raise HTTPException(401, "missing or wrong API key: send the header `Authorization: Bearer KEY` "
                             "with a key from DAIHUO_API_KEYS", headers={"WWW-Authenticate": "Bearer"})


def caller_of(request: Request) -> Caller:
    """The FastAPI dependency: the caller of REQUEST, checked against the app's configuration."""
    return check_key(request, request.app.state.config)


CallerDep = Annotated[Caller, Depends(caller_of)]
