"""What a job writes about itself: manifest.json per variant, report.json/.md and compliance.md per job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator import __version__
from generator.compliance.qc_pipeline import qc_summary
from generator.compliance.report import batch_report
from generator.learn.factors import creative_record, describe_clip
from generator.models import Brief, JobResult, Manifest, Product, VariantResult
from generator.output import clip_paths, read_json, write_json_atomic, write_text_atomic
from generator.pipeline.fallbacks import variant_fallbacks
from generator.pipeline.render import variant_hash, variant_style


def write_manifest(result: VariantResult, product: Product, brief: Brief, job: str) -> Path:
    """manifest.json for one variant: inputs hash, script, engines, line timings, compliance, AIGC, probes."""
    directory = Path(result.directory)
    clips: dict[str, dict[str, Any]] = {}
    host_engine = brief.host
    style = variant_style(product, brief, result.variant)
    for clip in result.clips:
        record = read_json(clip_paths(directory, clip.platform)["record"]) or {}
        clips[clip.platform] = {**clip.model_dump(exclude={"skipped"}), "aigc": record.get("aigc"),
                                "label_text": record.get("label_text"),
                                **describe_clip(directory, clip.platform, result.script, brief, style)}
        host_engine = record.get("host_engine", host_engine)
    script = result.script
    manifest = Manifest(
        generator=f"daihuo {__version__}", job=job, sku=product.sku, variant=result.variant,
        inputs_hash=variant_hash(product, brief, result.variant, result.script),
        source={"file": product.source, "row": product.row},
        product=product.model_dump(exclude={"source", "row"}), brief=brief,
        engines={
            "writer": script.writer if script else brief.writer,
            "voice": result.voice.engine if result.voice else brief.voice,
            "host": host_engine,
            "compliance": result.compliance.reviewer if result.compliance else "none",
            "encoder": next((c.probe.get("encoder") for c in result.clips if c.probe), None),
        },
        script=script, post_copy=dict(script.copy_by_platform) if script else {},
        voice=result.voice.model_dump(exclude={"lines"}) if result.voice else None,
        line_timings=result.voice.lines if result.voice else [],
        compliance=result.compliance, clips=clips, error=result.error,
        creative=creative_record(result.script, brief, style),
    )
    return write_json_atomic(directory / "manifest.json", manifest.model_dump(mode="json", by_alias=True))


def write_job_report(result: JobResult, brief: Brief) -> Path:
    """OUT/<job>/report.json and report.md: what was made, what failed and why (for merchants and scripts)."""
    root = Path(result.out_dir)
    fallbacks = {(v.sku, v.variant): variant_fallbacks(v) for v in result.variants}
    qc = {(v.sku, v.variant, c.platform): qc_summary(Path(v.directory), c.platform)
          for v in result.variants for c in v.clips}
    qc_failed = [(key, found) for key, found in qc.items() if found is not None and not found["ok"]]
    summary = {
        "job": result.job,
        "brief": brief.model_dump(),
        "ok": not result.failed,
        "fallbacks": sum(len(f) for f in fallbacks.values()),
        "qc_failed": len(qc_failed),
        "row_errors": [e.model_dump() | {"message": str(e)} for e in result.row_errors],
        "warnings": result.warnings,
        "variants": [
            {"sku": v.sku, "variant": v.variant, "directory": v.directory, "error": v.error,
             "clips": [{"platform": c.platform, "path": c.path, "skipped": c.skipped,
                        "qc": qc[(v.sku, v.variant, c.platform)]} for c in v.clips],
             "fallbacks": [f.as_dict() for f in fallbacks[(v.sku, v.variant)]],
             "compliance": (v.compliance.model_dump() if v.compliance else None)}
            for v in result.variants
        ],
    }
    write_json_atomic(root / "report.json", summary)
    lines = [f"# daihuo job {result.job}", ""]
    for v in result.variants:
        state = "✅" if not v.error else "❌"
        lines.append(f"- {state} {v.sku} v{v.variant}: {len(v.clips)} clip(s)" + (f" — {v.error}" if v.error else ""))
    if qc_failed:
        lines += ["", f"## QC failed ({len(qc_failed)})",
                  *[f"- {sku} v{n} {platform}: " + "; ".join(found["failures"]) for (sku, n, platform), found in qc_failed]]
    if summary["fallbacks"]:
        lines += ["", f"## Fallbacks ({summary['fallbacks']})",
                  *[f"- {f.line(sku, n)}" for (sku, n), found in fallbacks.items() for f in found]]
    if result.row_errors:
        lines += ["", "## Rows skipped", *[f"- {e}" for e in result.row_errors]]
    if result.warnings:
        lines += ["", "## Warnings", *[f"- {w}" for w in result.warnings]]
    write_text_atomic(root / "report.md", "\n".join(lines) + "\n")
    reviewed = [(v.sku, v.variant, v.compliance) for v in result.variants if v.compliance]
    write_text_atomic(root / "compliance.md", batch_report(reviewed))
    return root / "report.json"
