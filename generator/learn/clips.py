"""The clips daihuo made under an output root, read from their manifests (the I/O edge of matching)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from generator.learn.factors import clip_factors, clip_id
from generator.learn.models import ClipInfo
from generator.models import Brief, Script
from generator.output import read_json

MAX_MANIFESTS = 100_000


def find_manifests(out: Path, jobs: list[str] | None = None) -> list[Path]:
    """OUT/<job>/<sku>/v<N>/manifest.json (or OUT itself being one job's folder; only JOBS' when given);
    hidden folders skipped."""
    if jobs:
        found = [p for job in jobs for p in (out / job).glob("*/v*/manifest.json")]
    else:
        found = [*out.glob("*/*/v*/manifest.json"), *out.glob("*/v*/manifest.json")]
    return sorted(p for p in found if not any(part.startswith(".") for part in p.relative_to(out).parts))[:MAX_MANIFESTS]


def clips_of_manifest(path: Path, manifest: dict[str, Any]) -> list[ClipInfo]:
    """One ClipInfo per platform clip of a manifest; manifests written before clip ids existed are described
    from their script and brief, the same way (pure but for the clip files' times)."""
    directory = path.parent
    script = _model(Script, manifest.get("script"))
    brief = _model(Brief, manifest.get("brief")) or Brief()
    posts = manifest.get("post_copy") or {}
    out: list[ClipInfo] = []
    for platform, clip in (manifest.get("clips") or {}).items():
        if not isinstance(clip, dict):
            continue
        video = directory / f"{platform}.mp4"
        made = datetime.fromtimestamp(video.stat().st_mtime) if video.exists() else None
        out.append(ClipInfo(
            clip_id=clip.get("clip_id") or clip_id(directory, platform),
            job=str(manifest.get("job") or directory.parent.parent.name),
            sku=str(manifest.get("sku") or directory.parent.name),
            variant=int(manifest.get("variant") or 0),
            platform=platform,
            title=clip.get("title") or (posts.get(platform) or {}).get("title", ""),
            factors=clip.get("factors") or clip_factors(script, brief, platform),
            made=made,
        ))
    return out


def load_catalog(out: Path, jobs: list[str] | None = None) -> tuple[list[ClipInfo], list[str]]:
    """Every clip under OUT (only JOBS' when given), and warnings about manifests that could not be read."""
    clips: list[ClipInfo] = []
    notes: list[str] = []
    for path in find_manifests(out, jobs):
        manifest = read_json(path)
        if not isinstance(manifest, dict):
            notes.append(f"{path}: not a readable manifest; its clips are left out (render the job again)")
            continue
        if jobs and str(manifest.get("job")) not in jobs:
            continue
        try:
            clips += clips_of_manifest(path, manifest)
        except (ValueError, TypeError, OSError) as exc:
            notes.append(f"{path}: {exc}; its clips are left out")
    return clips, notes


def _model(cls: Any, data: Any) -> Any:
    try:
        return cls.model_validate(data) if isinstance(data, dict) else None
    except ValidationError:
        return None
