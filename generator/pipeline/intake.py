"""A job's intake: read the sheet, stage its images beside the outputs, and record the job and its plan.

Images are copied under OUT/.daihuo/inputs/<content hash>.<ext> so that any worker that mounts OUT can run
any step, and a resume needs nothing but the job id. Same bytes, same name: product hashes do not change.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

from generator.models import Brief, Product, SheetResult
from generator.pipeline.plan import job_plan
from generator.pipeline.store import STATE_DIR, JobStore
from generator.settings import SheetLimits


def load_sheet(sheet: Path, out_root: Path, limits: SheetLimits | None = None) -> SheetResult:
    from generator.sheets import read_sheet

    return read_sheet(sheet, image_cache=out_root / ".cache" / "images", limits=limits)


def with_brief_language(products: list[Product], brief: Brief) -> list[Product]:
    """`--lang` overrides each row's own 语言 column."""
    if not brief.language:
        return products
    return [p.model_copy(update={"language": brief.language}) for p in products]


def stage_images(products: list[Product], out_root: Path) -> list[Product]:
    inputs = out_root / STATE_DIR / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    staged: list[Product] = []
    for product in products:
        paths = []
        for image in product.images:
            src = Path(image)
            if src.resolve().is_relative_to(out_root.resolve()):
                paths.append(str(src.resolve()))
                continue
            digest = hashlib.sha256(src.read_bytes()).hexdigest()[:24]
            dst = inputs / f"{digest}{src.suffix.lower()}"
            if not dst.exists():
                tmp = dst.with_name(f".{dst.name}.tmp")
                shutil.copyfile(src, tmp)
                tmp.replace(dst)
            paths.append(str(dst.resolve()))
        staged.append(product.model_copy(update={"images": paths}))
    return staged


def create_job(store: JobStore, job: str, sheet: SheetResult, brief: Brief, *, mode: str, token: str = "",
               force: bool = False, tenant: str = "") -> dict[str, Any]:
    """Record JOB (resetting a job of the same id) with its products and every planned step, all queued."""
    products = with_brief_language(stage_images(sheet.products, store.out_root), brief)
    store.create_job(
        job, mode=mode, brief=brief.model_dump(), products=[p.model_dump() for p in products],
        row_errors=[e.model_dump() for e in sheet.errors], warnings=sheet.warnings,
        steps=[(s.sku, s.variant, s.step) for s in job_plan(products, brief)], token=token,
        options={"force": force}, tenant=tenant,
    )
    return store.job(job)
