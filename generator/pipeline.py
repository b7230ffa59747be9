"""The pipeline: sheet → scripts → compliance → voice → clips, in-process (the embedded default).

Each stage function here is also what a Celery task calls (workers/tasks.py), so they take and return
models and file paths, never media bytes, and they are idempotent: a clip already rendered from the same
inputs is found by its path and its recorded inputs hash, and is not rendered again.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator import __version__
from generator.compliance.aigc import implicit_label, metadata_value
from generator.compliance.review import review_script
from generator.errors import DaihuoError
from generator.models import (
    Brief,
    Clip,
    ComplianceReport,
    JobResult,
    Manifest,
    Product,
    Script,
    SheetResult,
    VariantResult,
    VoiceTrack,
    stable_hash,
)
from generator.output import (
    clip_paths,
    job_name,
    read_json,
    variant_dir,
    write_json_atomic,
    write_text_atomic,
)
from generator.platforms import Preset
from generator.settings import ASSETS_DIR, Settings, get_settings
from generator.video.render import HostOverlay

Progress = Callable[..., None]
MUSIC = ASSETS_DIR / "music" / "soft_loop.ogg"


class BlockedByCompliance(DaihuoError, RuntimeError):
    def __init__(self, message: str, report: ComplianceReport | None = None) -> None:
        super().__init__(message)
        self.report = report


# ---- stage functions (pure data in, data + files out) ------------------------------------------------


def load_sheet(sheet: Path, out_root: Path) -> SheetResult:
    from generator.sheets import read_sheet

    return read_sheet(sheet, image_cache=out_root / ".cache" / "images")


def variant_hash(product: Product, brief: Brief, variant: int) -> str:
    """Everything that changes what a variant's script and voice are (platforms excluded)."""
    knobs = brief.model_dump(exclude={"platforms", "variants"})
    return stable_hash({"product": product.content_hash(), "brief": knobs, "variant": variant, "v": __version__})


def clip_hash(product: Product, brief: Brief, variant: int, platform: str) -> str:
    return stable_hash({"variant": variant_hash(product, brief, variant), "platform": platform})


def write_scripts(product: Product, brief: Brief, writer: Any = None) -> list[Script]:
    """All variants of one product; pass one `writer` per job so its request cap, cache and hook memory span it."""
    from generator.script.registry import get_writer

    writer = writer or get_writer(brief.writer)
    scripts: list[Script] = []
    for n in range(1, brief.variants + 1):
        scripts.append(writer.write(product, brief, n, siblings=tuple(scripts)))
    return scripts


def review(script: Script, product: Product, brief: Brief) -> tuple[Script, ComplianceReport]:
    return review_script(script, product, brief.compliance)


def review_for_clip(script: Script, product: Product, brief: Brief) -> tuple[Script, ComplianceReport, Product]:
    """Review the script and the sheet text that cards and covers draw; raise when the policy blocks.

    Returns the script to speak, the report, and the product to draw (its on-screen text reviewed too).
    """
    from generator.compliance.review import blocking_reasons, review_display

    script, report = review(script, product, brief)
    shown = review_display(product, report)
    if report.blocked:
        reasons = "; ".join(blocking_reasons(report)) or "see compliance.md"
        raise BlockedByCompliance(f"blocked by compliance review ({brief.compliance}): {reasons}", report)
    return script, report, shown


def speak(script: Script, brief: Brief, directory: Path, engine: Any = None, *, speed: float = 1.0) -> VoiceTrack:
    from generator.voice.registry import get_voice
    from generator.voice.track import speak_script

    engine = engine or get_voice(brief.voice)
    return speak_script(script, engine, directory / "voice", music=MUSIC if brief.music else None, speed=speed)


def speak_fitted(script: Script, product: Product, brief: Brief, directory: Path, engine: Any = None,
                 ) -> tuple[Script, VoiceTrack]:
    """The voice step: speak `script`, then fit it to `brief.duration` (lines and rate, generator/script/fit.py)."""
    import tempfile

    from generator.script.fit import RememberedVoice, fit_duration, line_timer
    from generator.script.template_writer import extra_lines
    from generator.voice.registry import get_voice

    with tempfile.TemporaryDirectory(prefix="daihuo-said-") as said:
        voice = RememberedVoice(engine or get_voice(brief.voice), Path(said))
        return fit_duration(script, product, brief.duration,
                            lambda s, rate: speak(s, brief, directory, voice, speed=rate),
                            extras=extra_lines, measure=line_timer(voice, directory / "voice"))


def render_platform(
    product: Product, script: Script, voice: VoiceTrack, platform: str, brief: Brief, directory: Path,
    *, report: ComplianceReport | None = None, force: bool = False, settings: Settings | None = None,
    inputs_product: Product | None = None,
) -> Clip:
    """Render one platform's clip, cover and subtitles into `directory`; skip when already up to date.

    `product` is what is drawn (after compliance review); `inputs_product`, when given, is the sheet's
    original row, which is what the inputs hash is computed from.
    """
    from generator.edit import edit_clip
    from generator.platforms import get_preset
    from generator.video.cover import render_cover
    from generator.video.probe import summarize
    from generator.video.render import choose_encoder, render_video
    from generator.video.subtitles import to_srt, to_vtt

    settings = settings or get_settings()
    paths = clip_paths(directory, platform)
    inputs_hash = clip_hash(inputs_product or product, brief, script.variant, platform)
    if not force:
        done = finished_clip(paths, inputs_hash)
        if done is not None:
            return done

    preset = get_preset(platform).scaled(brief.scale)
    label = implicit_label(f"daihuo-{inputs_hash}", producer=settings.content_producer,
                           propagator=settings.content_propagator)
    aigc_json = metadata_value(label)
    host = clip_host(brief, voice, script, preset)
    timeline = edit_clip(
        product, script, voice, preset, style=brief.style, captions=brief.captions,
        disclosures=report.disclosures if report else [],
        host_layout=_host_layout(preset) if host else "none", host_box=host.box if host else None,
    )
    directory.mkdir(parents=True, exist_ok=True)
    render_video(timeline, product, preset, Path(voice.path), paths["video"], aigc_json=aigc_json, host=host,
                 settings=settings)
    render_cover(product, script, preset, paths["cover"], aigc_json)
    write_text_atomic(paths["srt"], to_srt(voice.lines))
    write_text_atomic(paths["vtt"], to_vtt(voice.lines))
    probe = summarize(paths["video"])
    probe["encoder"] = choose_encoder(settings)
    clip = Clip(
        platform=platform, path=str(paths["video"]), cover=str(paths["cover"]), srt=str(paths["srt"]),
        vtt=str(paths["vtt"]), width=preset.width, height=preset.height, duration=probe["duration"],
        inputs_hash=inputs_hash, probe=probe,
    )
    write_json_atomic(paths["record"], {"clip": clip.model_dump(), "aigc": label, "label_text": preset.label,
                                        "host_engine": getattr(host, "engine", "none") if host else "none",
                                        "style": timeline.style})
    return clip


def render_segment(product: Product, script: Script, brief: Brief, out_dir: Path, *, speed: float = 1.0) -> Clip:
    """One loop segment for `brief.platforms[0]`: compliance, voice at `speed` (±10 % variety), host, labels."""
    script, report, shown = review_for_clip(script, product, brief)
    voice = speak(script, brief, out_dir, speed=speed)
    return render_platform(shown, script, voice, brief.platforms[0], brief, out_dir, report=report, force=True,
                           inputs_product=product)


def finished_clip(paths: dict[str, Path], inputs_hash: str) -> Clip | None:
    record = read_json(paths["record"])
    if not record or record.get("clip", {}).get("inputs_hash") != inputs_hash:
        return None
    if not all(paths[k].exists() for k in ("video", "cover", "srt", "vtt")):
        return None
    return Clip(**{**record["clip"], "skipped": True})


def _host_layout(preset: Preset) -> str:
    """Picture-in-picture on vertical frames, side by side on horizontal ones."""
    return "pip" if preset.vertical else "side"


def clip_host(brief: Brief, voice: VoiceTrack, script: Script, preset: Preset) -> HostOverlay | None:
    if brief.host in ("", "none"):
        return None
    from generator.host import make_host
    from generator.video.layout import caption_band_top

    left, top, right, bottom = preset.safe_box()
    layout = _host_layout(preset)
    # A picture-in-picture host stands on the caption band, so captions never cover its face.
    safe = (left, top, right, caption_band_top(preset)) if layout == "pip" else (left, top, right, bottom)
    return make_host(brief.host, voice, script, (preset.width, preset.height), layout, preset.fps, safe=safe)


def write_manifest(result: VariantResult, product: Product, brief: Brief, job: str) -> Path:
    """manifest.json for one variant: inputs hash, script, engines, line timings, compliance, AIGC, probes."""
    directory = Path(result.directory)
    clips: dict[str, dict[str, Any]] = {}
    host_engine = brief.host
    for clip in result.clips:
        record = read_json(clip_paths(directory, clip.platform)["record"]) or {}
        clips[clip.platform] = {**clip.model_dump(exclude={"skipped"}), "aigc": record.get("aigc"),
                                "label_text": record.get("label_text")}
        host_engine = record.get("host_engine", host_engine)
    script = result.script
    manifest = Manifest(
        generator=f"daihuo {__version__}", job=job, sku=product.sku, variant=result.variant,
        inputs_hash=variant_hash(product, brief, result.variant),
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
    )
    return write_json_atomic(directory / "manifest.json", manifest.model_dump(mode="json", by_alias=True))


# ---- orchestration ---------------------------------------------------------------------------------------


def make_variant(
    product: Product, script: Script, brief: Brief, directory: Path, job: str, *, force: bool = False,
    progress: Progress | None = None, voice_engine: Any = None,
) -> VariantResult:
    """Compliance → voice → one clip per platform, for one script variant. Errors stay inside the result."""
    key = f"{product.sku} v{script.variant}"
    total = 2 + len(brief.platforms)
    result = VariantResult(sku=product.sku, variant=script.variant, directory=str(directory))
    tick = progress or (lambda *a, **k: None)
    try:
        try:
            script, report, shown = review_for_clip(script, product, brief)
        except BlockedByCompliance as blocked:
            result.script, result.compliance = script, blocked.report
            raise
        result.script, result.compliance = script, report
        tick(key, 1, total, "voice")
        script, result.voice = speak_fitted(script, shown, brief, directory, voice_engine)
        result.script = script
        for i, platform in enumerate(brief.platforms):
            tick(key, 2 + i, total, platform)
            result.clips.append(render_platform(shown, script, result.voice, platform, brief, directory,
                                                report=report, force=force, inputs_product=product))
        tick(key, total, total, "done")
    except Exception as exc:  # one product's failure must not sink the batch
        result.error = f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, BlockedByCompliance):
            result.error += "\n" + traceback.format_exc(limit=3)
        tick(key, total, total, "failed")
    write_manifest(result, product, brief, job)
    return result


def with_brief_language(products: list[Product], brief: Brief) -> list[Product]:
    """`--lang` overrides each row's own 语言 column."""
    if not brief.language:
        return products
    return [p.model_copy(update={"language": brief.language}) for p in products]


def run_products(
    products: list[Product], brief: Brief, out_root: Path, job: str, *, force: bool = False,
    progress: Progress | None = None,
) -> list[VariantResult]:
    from generator.script.registry import get_writer
    from generator.voice.registry import get_voice

    # One writer and one voice per job: request caps, caches, fallbacks and usage span the whole batch.
    writer, voice_engine = get_writer(brief.writer), get_voice(brief.voice)
    results: list[VariantResult] = []
    for product in products:
        try:
            scripts = write_scripts(product, brief, writer)
        except Exception as exc:
            results.append(VariantResult(sku=product.sku, variant=1, directory=str(variant_dir(out_root, job, product.sku, 1)),
                                         error=f"script writer failed: {type(exc).__name__}: {exc}"))
            continue
        for script in scripts:
            directory = variant_dir(out_root, job, product.sku, script.variant)
            results.append(make_variant(product, script, brief, directory, job, force=force, progress=progress,
                                        voice_engine=voice_engine))
    usage = getattr(writer, "usage", None)
    if usage:
        write_json_atomic(out_root / job / "usage.json", {"writer": brief.writer, "usage": usage})
    return results


def run_job(
    sheet: Path, brief: Brief, out_root: Path, *, job: str | None = None, force: bool = False,
    progress: Progress | None = None,
) -> JobResult:
    name = job_name(sheet, job)
    sheet_result = load_sheet(sheet, out_root)
    products = with_brief_language(sheet_result.products, brief)
    variants = run_products(products, brief, out_root, name, force=force, progress=progress)
    result = JobResult(job=name, out_dir=str(out_root / name), variants=variants,
                       row_errors=sheet_result.errors, warnings=sheet_result.warnings)
    write_job_report(result, brief)
    return result


def write_job_report(result: JobResult, brief: Brief) -> Path:
    """OUT/<job>/report.json and report.md: what was made, what failed and why (for merchants and scripts)."""
    root = Path(result.out_dir)
    summary = {
        "job": result.job,
        "brief": brief.model_dump(),
        "ok": not result.failed,
        "row_errors": [e.model_dump() | {"message": str(e)} for e in result.row_errors],
        "warnings": result.warnings,
        "variants": [
            {"sku": v.sku, "variant": v.variant, "directory": v.directory, "error": v.error,
             "clips": [{"platform": c.platform, "path": c.path, "skipped": c.skipped} for c in v.clips],
             "compliance": (v.compliance.model_dump() if v.compliance else None)}
            for v in result.variants
        ],
    }
    write_json_atomic(root / "report.json", summary)
    lines = [f"# daihuo job {result.job}", ""]
    for v in result.variants:
        state = "✅" if not v.error else "❌"
        lines.append(f"- {state} {v.sku} v{v.variant}: {len(v.clips)} clip(s)" + (f" — {v.error.splitlines()[0]}" if v.error else ""))
    if result.row_errors:
        lines += ["", "## Rows skipped", *[f"- {e}" for e in result.row_errors]]
    if result.warnings:
        lines += ["", "## Warnings", *[f"- {w}" for w in result.warnings]]
    write_text_atomic(root / "report.md", "\n".join(lines) + "\n")
    from generator.compliance.report import batch_report

    reviewed = [(v.sku, v.variant, v.compliance) for v in result.variants if v.compliance]
    write_text_atomic(root / "compliance.md", batch_report(reviewed))
    return root / "report.json"
