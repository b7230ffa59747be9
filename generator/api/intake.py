"""Taking a job in over HTTP: options, uploads within a byte budget, and starting the job once its sheet is read.

The sheet itself is read in a child process with limits (generator/api/sheet_reader.py), never here.
"""

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
from generator.settings import ASSETS_DIR
from generator.sheets import SHEET_SUFFIXES
from generator.voice.registry import ENGINES as VOICE_ENGINES

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
# Engines a client may name (a host may also be a bundled sprite folder, never a path on the server).
WRITERS = ("template", "openai")
VOICES = VOICE_ENGINES  # the one list, from the voice registry
HOSTS = ("none", "sprite", "default", "http")

OPTION_SCHEMA: dict[str, Any] = {
    "platforms": {"type": "string", "example": "douyin,wechat_channels", "description": "comma-separated presets"},
    "duration": {"type": "integer", "example": 30, "description": "target seconds (5–180)"},
    "variants": {"type": "integer", "example": 1},
    "voice": {"type": "string", "example": "auto", "enum": list(VOICES)},
    "writer": {"type": "string", "example": "template", "enum": list(WRITERS)},
    "host": {"type": "string", "example": "none"},
    "lang": {"type": "string", "example": "zh"},
    "compliance": {"type": "string", "example": "fix"},
    "scale": {"type": "number", "example": 1.0, "description": "proxy scale for quick previews"},
    "music": {"type": "boolean", "example": True},
    "qc": {"type": "string", "example": "on", "enum": ["on", "off"],
           "description": "on: read every clip back (<platform>.qc.json); off for previews"},
    "style": {"type": "string", "example": "clean",
              "description": "style pack (assets/styles/NAME.yaml); empty: chosen by category and variant"},
    "captions": {"type": "string", "example": "verbatim", "enum": ["verbatim", "keywords"]},
    "export": {"type": "string", "example": "none", "enum": ["none", "jianying", "jianying-zip"],
               "description": "also write each clip as a 剪映 draft folder (jianying-zip: and a .zip of it)"},
}


def too_big(size: int, config: ApiConfig) -> str:
    return (f"the upload is {size:,} bytes or more, over the limit of {config.max_upload_bytes:,} "
            "(DAIHUO_MAX_UPLOAD_BYTES) — send a smaller sheet (split it, or link images by URL instead of uploading them)")


def brief_from(options: dict[str, Any], config: ApiConfig) -> Brief:
    """Job options from form fields or JSON, validated, with the server's engine defaults; 422 naming the option."""
    settings = config.settings
    raw_platforms = options.get("platforms") or "douyin"
    if isinstance(raw_platforms, str):
        raw_platforms = [p for p in re.split(r"[,，\s]+", raw_platforms) if p]
    if not isinstance(raw_platforms, list) or not all(isinstance(p, str) for p in raw_platforms):
        raise HTTPException(422, "bad job options: platforms must be a comma-separated string or a list of names "
                                 f"— choose from {', '.join(load_presets())}")
    unknown = [p for p in raw_platforms if p not in load_presets()]
    if unknown:
        raise HTTPException(422, f"unknown platform(s) {', '.join(unknown)} — choose from "
                                 f"{', '.join(load_presets())}")
    data: dict[str, Any] = {"platforms": raw_platforms, "writer": settings.writer, "voice": settings.voice,
                            "host": settings.host}
    for name in ("duration", "variants", "voice", "writer", "compliance", "scale", "music", "host", "qc", "style",
                 "captions", "export"):
        value = options.get(name)
        if value not in (None, ""):
            data[name] = value
    if options.get("lang") or options.get("language"):
        data["language"] = options.get("lang") or options.get("language")
    try:
        brief = Brief.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise HTTPException(422, f"bad job options: {problems} — see /docs for each option's values") from None
    for name, allowed in (("writer", WRITERS), ("voice", VOICES), ("host", _hosts()), ("style", _styles())):
        if getattr(brief, name) not in allowed:
            raise HTTPException(422, f"bad job options: unknown {name} {getattr(brief, name)!r} — choose "
                                     f"{', '.join(a for a in allowed if a)}")
    return brief


def _styles() -> tuple[str | None, ...]:
    from generator.edit.styles import style_names

    return (None, *style_names())


def _hosts() -> tuple[str, ...]:
    bundled = sorted(p.name for p in (ASSETS_DIR / "hosts").iterdir() if p.is_dir()) if (ASSETS_DIR / "hosts").is_dir() else []
    return (*HOSTS, *(b for b in bundled if b not in HOSTS))


async def save_uploads(sheet: UploadFile, images: list[UploadFile], directory: Path, config: ApiConfig) -> Path:
    """The sheet and its images in DIRECTORY (images also under images/, as sheets often name them)."""
    name = safe_name(Path(sheet.filename or "sheet.csv").name, "sheet.csv")
    if not name.lower().endswith(SHEET_SUFFIXES):
        raise HTTPException(422, f"{name!r} is not a sheet — upload .xlsx, .csv, .json or .yaml")
    names = [safe_name(Path(image.filename or "image").name, "image") for image in images]
    for image_name in names:
        if not image_name.lower().endswith(IMAGE_SUFFIXES):
            raise HTTPException(422, f"{image_name!r} is not an image — upload .jpg, .png or .webp")
    taken = {name.lower()}
    for image_name in names:
        if image_name.lower() in taken:
            raise HTTPException(422, f"two uploaded files are named {image_name!r} — rename one (each image the "
                                     "sheet names must have its own file name)")
        taken.add(image_name.lower())
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "images").mkdir(exist_ok=True)
    await _copy(sheet, directory / name)
    for image, image_name in zip(images, names, strict=True):
        await _copy(image, directory / image_name)
        os.link(directory / image_name, directory / "images" / image_name)
    return directory / name


async def _copy(upload: UploadFile, dest: Path) -> None:
    # The body's size was already bounded while it streamed in (generator/api/bodylimit.py).
    with dest.open("wb") as f:
        while chunk := await upload.read(1 << 20):
            f.write(chunk)


def rows_problem(result: SheetResult, config: ApiConfig) -> tuple[int, Any] | None:
    """(413, message) when the sheet has more rows than this server takes; (422, detail naming the rows) when
    none is usable; None when the job can start."""
    overflow = [e for e in result.errors if e.field == "(rows)"]
    if overflow:
        return 413, (f"the sheet has more than {config.max_rows} products (row {overflow[0].row} and after were not "
                     "read) — split it into smaller sheets")
    if not result.products:
        rows = [e.model_dump() | {"message": str(e)} for e in result.errors]
        named = "; ".join(f"row {e.row} ({e.field}): {e.problem}" for e in result.errors[:10])
        return 422, {"message": f"no product row could be used: {named or 'the sheet has no product rows'}",
                     "rows": rows}
    return None


def start_job(store: JobStore, config: ApiConfig, job_id: str, result: SheetResult, brief: Brief, token: str,
              tenant: str) -> None:
    """Record the job and hand it to the workers (Celery) or to this server's job thread (embedded)."""
    from generator.api.runner import run_embedded

    create_job(store, job_id, result, brief, mode=config.mode, token=token, tenant=tenant)
    if config.mode == "celery":
        from workers.canvas import enqueue

        enqueue(store, job_id)
    else:
        assert config.executor is not None, "the app's lifespan did not run (use it as an ASGI app or TestClient)"
        config.executor.submit(run_embedded, store, job_id, config.settings)
