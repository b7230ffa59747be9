"""POST /v1/lint: the compliance pre-check of a sheet before anything is rendered (generator.compliance.sheet_lint).

The sheet is read in the same limited child process as a job's upload (generator/api/sheet_reader.py), never in
the server: findings by row and column, with the law and the rewrite.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.datastructures import UploadFile

from generator.api.auth import CallerDep
from generator.api.config import ApiConfig
from generator.api.sheet_reader import Refused, lint_in_child
from generator.output import safe_name
from generator.sheets import SHEET_SUFFIXES

_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["sheet"], "properties": {
        "sheet": {"type": "string", "format": "binary", "description": ".xlsx/.csv/.json/.yaml"}}}}}}}


def router(config: ApiConfig) -> APIRouter:
    api = APIRouter(tags=["jobs"])
    gate = asyncio.Semaphore(config.read_limits.concurrency)

    @api.post("/v1/lint", openapi_extra=_BODY)
    async def lint(request: Request, caller: CallerDep) -> dict[str, Any]:
        """Review every text cell of a sheet (the same upload as POST /v1/jobs): findings by row and column."""
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise HTTPException(415, "send multipart/form-data with the sheet as the file field `sheet`")
        form = await request.form(max_files=64, max_fields=64)
        sheet = form.get("sheet")
        if not isinstance(sheet, UploadFile):
            raise HTTPException(422, "send the product sheet as the multipart file field `sheet`")
        name = safe_name(Path(sheet.filename or "sheet.csv").name, "sheet.csv")
        if not name.lower().endswith(SHEET_SUFFIXES):
            raise HTTPException(422, f"{name!r} is not a sheet — upload .xlsx, .csv, .json or .yaml")
        with tempfile.TemporaryDirectory(prefix="daihuo-lint-") as tmp:
            path = Path(tmp) / name
            with path.open("wb") as f:  # the body's size was already bounded while it streamed in
                while chunk := await sheet.read(1 << 20):
                    f.write(chunk)
            try:
                return await lint_in_child(config, gate, path)
            except Refused as exc:
                raise HTTPException(422, {"message": exc.message, "problem": exc.problem, "fix": exc.fix}) from None

    return api
