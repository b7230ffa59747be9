"""Taking a job in over HTTP: options, uploads within a byte budget, reading the sheet, starting the job."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from fastapi import HTTPException
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from generator.api.config import ApiConfig
from generator.models import Brief, SheetResult
from generator.output import safe_name
from generator.pipeline.intake import create_job
from generator.pipeline.store import JobStore
from generator.platforms import load_presets
from generator.sheets import SHEET_SUFFIXES, SheetError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")

OPTION_SCHEMA: dict[str, Any] = {
    "platforms": {"type": "string", "example": "douyin,wechat_channels", "description": "comma-separated presets"},
    "duration": {"type": "integer", "example": 30, "description": "target seconds (5–180)"},
    "variants": {"type": "integer", "example": 1},
    "voice": {"type": "string", "example": "espeak"},
    "writer": {"type": "string", "example": "template"},
    "lang": {"type": "string", "example": "zh"},
    "compliance": {"type": "string", "example": "fix"},
    "scale": {"type": "number", "example": 1.0, "description": "proxy scale for quick previews"},
    "music": {"type": "boolean", "example": True},
}


def too_big(size: int, config: ApiConfig) -> str:
    return (f"the upload is {size:,} bytes, over the limit of {config.max_upload_bytes:,}; "
            "send a smaller sheet (split it, or link images by URL instead of uploading them)")


def brief_from(options: dict[str, Any], config: ApiConfig) -> Brief:
    """Job options from form fields or JSON, validated, with the server's engine defaults."""
    settings = config.settings
    raw_platforms = options.get("platforms") or "douyin"
    if isinstance(raw_platforms, str):
        raw_platforms = [p for p in re.split(r"[,，\s]+", raw_platforms) if p]
    unknown = [p for p in raw_platforms if p not in load_presets()]
    if unknown:
        raise HTTPException(422, f"unknown platform(s) {', '.join(unknown)}; choose from {', '.join(load_presets())}")
    data: dict[str, Any] = {"platforms": raw_platforms, "writer": settings.writer, "voice": settings.voice,
                            "host": settings.host}
    for name in ("duration", "variants", "voice", "writer", "compliance", "scale", "music", "host"):
        value = options.get(name)
        if value not in (None, ""):
            data[name] = value
    if options.get("lang") or options.get("language"):
        data["language"] = options.get("lang") or options.get("language")
    try:
        return Brief.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise HTTPException(422, f"bad job options: {problems}") from exc


async def save_uploads(sheet: UploadFile, images: list[UploadFile], directory: Path, config: ApiConfig) -> Path:
    name = safe_name(Path(sheet.filename or "sheet.csv").name, "sheet.csv")
    if not name.lower().endswith(SHEET_SUFFIXES):
        raise HTTPException(422, f"'{sheet.filename}' is not a sheet; upload .xlsx, .csv, .json or .yaml")
    directory.mkdir(parents=True, exist_ok=True)
    budget = config.max_upload_bytes
    budget -= await copy_limited(sheet, directory / name, budget, config)
    for image in images:
        image_name = safe_name(Path(image.filename or "image").name, "image")
        if not image_name.lower().endswith(IMAGE_SUFFIXES):
            raise HTTPException(422, f"'{image.filename}' is not an image; upload .jpg, .png or .webp")
        # The sheet may say "images/cup.jpg" or "cup.jpg": both resolve inside the upload folder.
        budget -= await copy_limited(image, directory / image_name, budget, config)
        (directory / "images").mkdir(exist_ok=True)
        os.link(directory / image_name, directory / "images" / image_name)
    return directory / name


async def copy_limited(upload: UploadFile, dest: Path, budget: int, config: ApiConfig) -> int:
    size = 0
    with dest.open("wb") as f:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > budget:
                f.close()
                dest.unlink(missing_ok=True)
                raise HTTPException(413, too_big(config.max_upload_bytes - budget + size, config))
            f.write(chunk)
    return size


def read_uploaded_sheet(path: Path, config: ApiConfig) -> SheetResult:
    from generator.sheets import read_sheet

    try:
        return read_sheet(path, image_cache=config.out_root / ".cache" / "images",
                          limits=config.settings.sheet_limits(max_rows=config.max_rows))
    except SheetError as exc:
        raise HTTPException(422, {"message": str(exc), "problem": exc.problem, "fix": exc.fix, "rows": []}) from exc


def read_json_products(products: list[Any], base: Path, config: ApiConfig) -> SheetResult:
    from generator.sheets import read_products_json

    base.mkdir(parents=True, exist_ok=True)
    try:
        return read_products_json(products, base_dir=base, source="request",
                                  limits=config.settings.sheet_limits(max_rows=config.max_rows),
                                  image_cache=config.out_root / ".cache" / "images")
    except SheetError as exc:
        raise HTTPException(422, {"message": str(exc), "problem": exc.problem, "fix": exc.fix, "rows": []}) from exc


def check_rows(result: SheetResult, config: ApiConfig) -> None:
    """413 when the sheet has more rows than this server takes; 422 naming the rows when none is usable."""
    overflow = [e for e in result.errors if e.field == "(rows)"]
    if overflow:
        raise HTTPException(413, f"the sheet has more than {config.max_rows} products (row {overflow[0].row} and after "
                                 "were not read); split it into smaller sheets")
    if not result.products:
        rows = [e.model_dump() | {"message": str(e)} for e in result.errors]
        named = "; ".join(f"row {e.row} ({e.field}): {e.problem}" for e in result.errors[:10])
        raise HTTPException(422, {"message": f"no product row could be used: {named or 'the sheet has no product rows'}",
                                  "rows": rows})


def start_job(store: JobStore, config: ApiConfig, job_id: str, result: SheetResult, brief: Brief, token: str) -> None:
    """Record the job and hand it to the workers (Celery) or to this server's job thread (embedded)."""
    from generator.api.runner import run_embedded

    create_job(store, job_id, result, brief, mode=config.mode, token=token)
    if config.mode == "celery":
        from workers.canvas import enqueue

        enqueue(store, job_id)
    else:
        assert config.executor is not None, "the app's lifespan did not run (use it as an ASGI app or TestClient)"
        config.executor.submit(run_embedded, store, job_id, config.settings)
