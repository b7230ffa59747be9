"""The render step: one platform's clip, cover, subtitles and record, skipped when already up to date."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from generator import __version__
from generator.compliance.aigc import implicit_label, metadata_value
from generator.export import draft_current, export_draft
from generator.learn.factors import describe_clip
from generator.models import Brief, Clip, ComplianceReport, Product, Script, Timeline, VoiceTrack, stable_hash
from generator.output import clip_paths, qc_path, read_json, write_json_atomic, write_text_atomic
from generator.pipeline.engines import Engines
from generator.pipeline.layout import host_layout
from generator.platforms import Preset, get_preset


def variant_hash(product: Product, brief: Brief, variant: int, script: Script | None = None) -> str:
    """Everything that changes what a variant's script and voice are (platforms excluded). With `--learn`
    the chosen angle and hook count instead of the insights file's path (new insights, same choice: kept)."""
    # QC reads a clip, it does not change it; learn/explore count through the choice they made (below).
    knobs = brief.model_dump(exclude={"platforms", "variants", "learn", "explore", "qc", "export"})
    data = {"product": product.content_hash(), "brief": knobs, "variant": variant, "v": __version__}
    if script is not None and script.creative is not None:
        data["creative"] = [script.angle, script.hook_id]
    return stable_hash(data)


def clip_hash(product: Product, brief: Brief, variant: int, platform: str, script: Script | None = None) -> str:
    return stable_hash({"variant": variant_hash(product, brief, variant, script), "platform": platform})


def variant_style(product: Product, brief: Brief, variant: int) -> str:
    """The style pack a variant's clips are edited in (the brief's, or chosen by category and variant)."""
    from generator.edit.styles import style_name

    return style_name(product.category, variant, brief.style)


def refresh_record(path: Path, described: dict[str, Any]) -> None:
    """A clip kept from an earlier run still gets this run's id, title and factors in its record."""
    record = read_json(path)
    if isinstance(record, dict) and any(record.get(k) != v for k, v in described.items()):
        write_json_atomic(path, {**record, **described})


def finished_clip(paths: dict[str, Path], inputs_hash: str) -> Clip | None:
    """The clip already on disk from the same inputs, or None."""
    record = read_json(paths["record"])
    if not record or record.get("clip", {}).get("inputs_hash") != inputs_hash:
        return None
    if not all(paths[k].exists() for k in ("video", "cover", "srt", "vtt")):
        return None
    return Clip(**{**record["clip"], "skipped": True})


def render_platform(
    shown: Product, script: Script, voice: VoiceTrack, platform: str, brief: Brief, directory: Path,
    engines: Engines, *, report: ComplianceReport | None = None, force: bool = False,
    inputs_product: Product | None = None,
) -> Clip:
    """Render one platform's clip, cover and subtitles into DIRECTORY; skip when already up to date.

    SHOWN is what is drawn (the product after compliance review); INPUTS_PRODUCT, when given, is the sheet's
    original row, which is what the inputs hash is computed from.
    """
    from generator.video.cover import render_cover
    from generator.video.probe import summarize
    from generator.video.render import choose_encoder, render_video
    from generator.video.subtitles import to_srt, to_vtt

    paths = clip_paths(directory, platform)
    inputs_hash = clip_hash(inputs_product or shown, brief, script.variant, platform, script)
    described = describe_clip(directory, platform, script, brief, variant_style(shown, brief, script.variant))
    if not force:
        done = finished_clip(paths, inputs_hash)
        if done is not None:
            refresh_record(paths["record"], described)
            want_draft = brief.export != "none" and not draft_current(directory, platform, inputs_hash,
                                                                        brief.export == "jianying-zip")
            # A run stopped between a render and its read-back left no .qc.json: read the clip back now.
            want_qc = brief.qc == "on" and not qc_path(directory, platform).exists()
            if want_draft or want_qc:
                preset = get_preset(platform).scaled(brief.scale)
                timeline = clip_timeline(shown, script, voice, preset, brief, engines.host(voice, script, preset), report)
                if want_draft:
                    export_clip(timeline, shown, voice, preset, brief, directory, platform, inputs_hash)
                if want_qc:
                    read_back(timeline, shown, script, preset, brief, directory, platform, report, engines)
            return done

    preset = get_preset(platform).scaled(brief.scale)
    label = implicit_label(f"daihuo-{inputs_hash}", producer=engines.producer, propagator=engines.propagator)
    aigc_json = metadata_value(label)
    host = engines.host(voice, script, preset)
    timeline = clip_timeline(shown, script, voice, preset, brief, host, report)
    directory.mkdir(parents=True, exist_ok=True)
    qc_path(directory, platform).unlink(missing_ok=True)  # it spoke of the clip about to be replaced
    started = time.perf_counter()
    render_video(timeline, shown, preset, Path(voice.path), paths["video"], aigc_json=aigc_json, host=host,
                 settings=engines.render)
    # After the encode, not beside it: drawn beside it, the cover saved 0.1 s a clip and cost 95 MB of peak memory
    # with two clips rendering at once (measured), and a render process stays under 1 GB.
    render_cover(shown, script, preset, paths["cover"], aigc_json)
    write_text_atomic(paths["srt"], to_srt(voice.lines))
    write_text_atomic(paths["vtt"], to_vtt(voice.lines))
    probe = summarize(paths["video"])
    probe["encoder"] = choose_encoder(engines.render)
    clip = Clip(
        platform=platform, path=str(paths["video"]), cover=str(paths["cover"]), srt=str(paths["srt"]),
        vtt=str(paths["vtt"]), width=preset.width, height=preset.height, duration=probe["duration"],
        inputs_hash=inputs_hash, probe=probe,
    )
    write_json_atomic(paths["record"], {"clip": clip.model_dump(), "aigc": label, "label_text": preset.label,
                                        "host_engine": getattr(host, "engine", "none") if host else "none",
                                        "style": timeline.style, "render_seconds": round(time.perf_counter() - started, 3),
                                        **described})
    if brief.export != "none":  # the editor hand-off: <platform>.jianying/ (generator/export)
        export_clip(timeline, shown, voice, preset, brief, directory, platform, inputs_hash)
    if brief.qc == "on":
        read_back(timeline, shown, script, preset, brief, directory, platform, report, engines)
    return clip


def read_back(timeline: Timeline, shown: Product, script: Script, preset: Preset, brief: Brief, directory: Path,
              platform: str, report: ComplianceReport | None, engines: Engines) -> None:
    """QC of the finished clip: <platform>.qc.json (generator/compliance/qc.py). On the runner's background
    queue when it has one (read back while the next clip renders), else here."""
    from generator.compliance.qc_pipeline import qc_clip
    from generator.compliance.timeline_boxes import timeline_text_boxes

    clip = clip_paths(directory, platform)["video"]

    def check() -> None:
        try:
            qc_clip(clip, directory, platform, script=script, product=shown, preset=preset,
                    boxes=timeline_text_boxes(timeline), statements=report.disclosures if report else [],
                    scale=brief.scale)
        except Exception as exc:  # a QC that cannot run is a failed QC, never a silent pass
            write_qc_error(directory, platform, clip, exc)

    if engines.background is not None:
        engines.background(check)
    else:
        check()


def write_qc_error(directory: Path, platform: str, clip: Path, exc: BaseException) -> None:
    from generator.compliance.qc_models import QCCheck, QCReport
    from generator.errors import one_line

    report = QCReport(path=str(clip), checks=[QCCheck(id="qc_ran", ok=False, detail=f"QC could not run: "
                                                                                   f"{one_line(exc)}")])
    write_json_atomic(qc_path(directory, platform), {"report": report.model_dump(mode="json"), "inputs": None})


def clip_timeline(shown: Product, script: Script, voice: VoiceTrack, preset: Preset, brief: Brief, host: Any,
                  report: ComplianceReport | None) -> Timeline:
    """The clip's edit (deterministic: a skipped clip's draft is rebuilt from the same Timeline)."""
    from generator.edit import edit_clip

    return edit_clip(
        shown, script, voice, preset, style=brief.style, captions=brief.captions,
        disclosures=report.disclosures if report else [],
        host_layout=host_layout(preset) if host else "none", host_box=host.box if host else None,
    )


def export_clip(timeline: Timeline, shown: Product, voice: VoiceTrack, preset: Preset, brief: Brief,
                directory: Path, platform: str, inputs_hash: str) -> None:
    export_draft(timeline, directory, platform, photos=list(shown.images), voice=Path(voice.path),
                 label=preset.label, inputs_hash=inputs_hash, with_zip=brief.export == "jianying-zip")


def remove_partials(directory: Path, platform: str) -> None:
    """Temporary files a killed render left behind; the caller holds the step's lease, so they are dead."""
    if directory.is_dir():
        for path in directory.glob(f".{platform}.*"):
            if ".tmp" in path.name:
                if path.is_dir():  # a draft folder being written (generator/export)
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
