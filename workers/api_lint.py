"""POST /v1/lint: the compliance pre-check of an uploaded sheet (kept beside api.py, which is long enough)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from generator.output import safe_name
from generator.sheets import SHEET_SUFFIXES, SheetError

if TYPE_CHECKING:
    from workers.api import ApiConfig


async def lint_upload(request: Request, config: ApiConfig) -> dict[str, Any]:
    """Review every text cell of the uploaded sheet (multipart field `sheet`); 415/422 say what is wrong."""
    from generator.compliance.sheet_lint import lint_sheet
    from workers.api import _copy_limited, _limited_settings

    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(415, "send multipart/form-data with the sheet as the file field `sheet`")
    form = await request.form(max_files=64, max_fields=64)
    sheet = form.get("sheet")
    if not isinstance(sheet, UploadFile):
        raise HTTPException(422, "send the product sheet as the multipart file field `sheet`")
    name = safe_name(Path(sheet.filename or "sheet.csv").name, "sheet.csv")
    if not name.lower().endswith(SHEET_SUFFIXES):
        raise HTTPException(422, f"'{sheet.filename}' is not a sheet; upload .xlsx, .csv, .json or .yaml")
    with tempfile.TemporaryDirectory(prefix="daihuo-lint-") as tmp:
        path = Path(tmp) / name
        await _copy_limited(sheet, path, config.max_upload_bytes, config)
        try:
            result = await run_in_threadpool(lint_sheet, path, settings=_limited_settings(config))
        except SheetError as exc:
            raise HTTPException(422, {"message": str(exc), "problem": exc.problem, "fix": exc.fix}) from exc
    return result.model_dump(mode="json")
