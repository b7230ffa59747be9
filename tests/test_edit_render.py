"""Issue 12's bar, measured on the real output: the example sheet at 30 s on douyin (zh and en), at proxy scale.

From the pixels: the picture first changes within 1.5 s, shots average ≤ 2.5 s and last ≤ 4 s, no frame is
still for more than 1.5 s, and the clip lasts 30 s ± 10 %. OCR reads the price slam (到手价 and the sale price)
and a callout; the sound effects are found in the audio on the cuts; every clip passes `daihuo verify` and the
usual checks (codecs, faststart, loudness, safe zones).
"""

from __future__ import annotations

import json
from difflib import SequenceMatcher
from functools import cache
from pathlib import Path

import pytest

from generator.compliance.verify import verify_clip
from generator.edit import edit_clip
from generator.edit.regions import inside
from generator.models import Brief, JobResult, Product, Script, Timeline, VoiceTrack
from generator.pipeline import run_job
from generator.platforms import get_preset
from generator.video.probe import summarize
from tests.helpers import frame_at, integrated_loudness
from tests.pixels import ocr_layer, shot_stats, sound_onsets

ROOT = Path(__file__).resolve().parent.parent
SCALE = 0.3
TARGET = 30
clip_shots = cache(shot_stats)  # two tests measure the same clips' cuts: each clip is decoded once


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> JobResult:
    out = tmp_path_factory.mktemp("edit_out")
    job = run_job(ROOT / "examples" / "products.csv", Brief(platforms=["douyin"], duration=TARGET, scale=SCALE), out,
                  job="edit")
    assert not job.failed, [v.error for v in job.variants]
    return job


def _timeline(directory: Path) -> tuple[Timeline, Product]:
    """The clip's Timeline, planned again from its manifest (the edit is deterministic)."""
    m = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    script = Script.model_validate(m["script"])
    voice = VoiceTrack.model_validate({**m["voice"], "lines": m["line_timings"]})
    product = Product.model_validate(m["product"])
    return edit_clip(product, script, voice, get_preset("douyin").scaled(SCALE)), product


def test_rhythm_and_length_measured_from_the_pixels(clips: JobResult) -> None:
    languages = set()
    for variant in clips.variants:
        clip = Path(variant.clips[0].path)
        stats = clip_shots(clip)
        name = f"{variant.sku} ({variant.script.language})"
        languages.add(variant.script.language)
        assert stats.first_change <= 1.5, f"{name}: first change at {stats.first_change} s"
        assert stats.mean_shot <= 2.5, f"{name}: mean shot {stats.mean_shot:.2f} s, cuts {stats.cuts}"
        assert stats.longest_shot <= 4.0, f"{name}: longest shot {stats.longest_shot:.2f} s, cuts {stats.cuts}"
        assert stats.longest_still <= 1.5, f"{name}: a still run of {stats.longest_still:.2f} s"
        assert abs(stats.duration - TARGET) <= 0.1 * TARGET, f"{name}: {stats.duration:.1f} s for a {TARGET} s brief"
    assert languages == {"zh", "en"}


def test_ocr_reads_the_price_slam_and_a_callout(clips: JobResult, tmp_path: Path) -> None:
    variant = next(v for v in clips.variants if v.sku == "HB-2002")
    directory = Path(variant.directory)
    timeline, product = _timeline(directory)
    layers = {la.kind: la for la in timeline.layers}
    clip = Path(variant.clips[0].path)
    slam = frame_at(clip, layers["price"].start + 0.6, tmp_path / "slam.png")
    assert "到手价" in ocr_layer(slam, layers["price_tag"])
    assert "139" in ocr_layer(slam, layers["price"]), "the sale price, large"
    callout = next(la for la in timeline.layers if la.kind == "callout" and "30秒" in "".join(la.text))
    readings = ocr_layer(frame_at(clip, callout.start + 0.6, tmp_path / "callout.png"), callout).split("|")
    best = max(readings, key=lambda r: SequenceMatcher(None, "一键榨汁30秒出杯", r).find_longest_match().size)
    assert SequenceMatcher(None, "一键榨汁30秒出杯", best).find_longest_match().size >= 5 and "30" in best, readings


def test_sound_effects_start_on_the_cuts(clips: JobResult) -> None:
    for variant in clips.variants:
        clip = Path(variant.clips[0].path)
        cuts = clip_shots(clip).cuts
        onsets = sound_onsets(clip, Path(variant.voice.path))
        on_cut = [c for c in cuts if any(abs(o - c) <= 0.1 for o in onsets)]
        assert len(on_cut) >= 0.9 * len(cuts), f"{variant.sku}: cuts {cuts}, onsets {onsets}"
        # And the effects are not everywhere: mid-shot moments rarely have one.
        mids = [(a + b) / 2 for a, b in zip([0.0, *cuts], [*cuts, 30.0], strict=False)]
        stray = [m for m in mids if any(abs(o - m) <= 0.1 for o in onsets)]
        assert len(stray) <= 0.35 * len(mids), f"{variant.sku}: effects at mid-shot {stray}"


def test_every_clip_passes_verify_and_the_usual_checks(clips: JobResult) -> None:
    for variant in clips.variants:
        clip = Path(variant.clips[0].path)
        report = verify_clip(clip)
        assert report.ok, report.model_dump()
        info = summarize(clip)
        assert info["video"]["codec"] == "h264" and info["video"]["pix_fmt"] == "yuv420p" and info["faststart"]
        assert info["audio"]["codec"] == "aac" and abs(info["video"]["duration"] - info["audio"]["duration"]) <= 0.1
        assert -17.0 <= integrated_loudness(clip) <= -15.0
        timeline, _ = _timeline(Path(variant.directory))
        record = json.loads(Path(variant.directory, "douyin.json").read_text(encoding="utf-8"))
        assert record["style"] == timeline.style
        for layer in timeline.layers:
            x, y, w, h = layer.bounds
            assert inside((x + 1, y + 1, w - 2, h - 2), timeline.safe_zone), f"{variant.sku}: {layer.kind} {layer.text}"
    styles = {json.loads(Path(v.directory, "douyin.json").read_text(encoding="utf-8"))["style"] for v in clips.variants}
    assert len(styles) >= 3, f"the example sheet's categories pick different looks: {styles}"
