"""End to end: the example sheet through `run_job` and `daihuo make` into checked clips."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from generator.compliance.aigc import is_explicit_label_text
from generator.compliance.verify import verify_clip
from generator.models import Brief, JobResult
from generator.pipeline import run_job
from generator.video.probe import summarize
from tests.helpers import frame_at, integrated_loudness, ocr
from tests.pixels import ocr_layer

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_SIZES = {"douyin": (270, 480), "wechat_channels": (480, 270)}


def _clips(job: JobResult):
    return [c for v in job.variants for c in v.clips]


def test_every_example_product_renders(proxy_job: JobResult) -> None:
    assert not proxy_job.row_errors and not proxy_job.failed, [v.error for v in proxy_job.variants]
    assert len(proxy_job.variants) == 4
    assert len(_clips(proxy_job)) == 8


def test_clip_streams_sizes_and_sync(proxy_job: JobResult) -> None:
    for clip in _clips(proxy_job):
        info = summarize(Path(clip.path))
        assert (info["video"]["width"], info["video"]["height"]) == EXPECTED_SIZES[clip.platform]
        assert info["video"]["codec"] == "h264" and info["video"]["profile"] == "High"
        assert info["video"]["pix_fmt"] == "yuv420p" and info["video"]["fps"] == "30/1"
        assert info["audio"]["codec"] == "aac" and info["audio"]["sample_rate"] == 48000
        assert abs(info["video"]["duration"] - info["audio"]["duration"]) <= 0.1, "A/V durations drift"
        assert info["faststart"], "moov atom is not at the front"
        assert 8 <= info["duration"] <= 20, "a 15 s brief should give a clip of about 15 s"


def test_loudness_of_rendered_clip(proxy_job: JobResult) -> None:
    clip = _clips(proxy_job)[0]
    assert -17.0 <= integrated_loudness(Path(clip.path)) <= -15.0


def test_implicit_aigc_label_in_metadata(proxy_job: JobResult) -> None:
    for clip in _clips(proxy_job):
        tag = summarize(Path(clip.path))["aigc_tag"]
        fields = json.loads(tag)["AIGC"]
        assert fields["Label"] == "1"
        for key in ("ContentProducer", "ProduceID", "ReservedCode1", "ContentPropagator", "PropagateID", "ReservedCode2"):
            assert isinstance(fields[key], str)
        assert fields["ContentProducer"] and fields["ProduceID"]


def test_sidecars_and_manifest(proxy_job: JobResult) -> None:
    variant = proxy_job.variants[0]
    directory = Path(variant.directory)
    assert directory.relative_to(Path(proxy_job.out_dir)).parts == (variant.sku, "v1")
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sku"] == variant.sku and manifest["inputs_hash"]
    assert manifest["engines"]["writer"] == "template" and manifest["engines"]["voice"] == "espeak"
    assert manifest["script"]["beats"] and manifest["line_timings"]
    for platform in ("douyin", "wechat_channels"):
        entry = manifest["clips"][platform]
        assert entry["aigc"]["AIGC"]["Label"] == "1" and entry["probe"]["faststart"]
        assert Path(entry["cover"]).exists()
        srt = (directory / f"{platform}.srt").read_text(encoding="utf-8")
        vtt = (directory / f"{platform}.vtt").read_text(encoding="utf-8")
        assert srt.startswith("1\n00:00:") and vtt.startswith("WEBVTT")
        assert manifest["line_timings"][0]["caption"] in srt
    assert not list(directory.glob("*.tmp*")), "temporary files left behind"
    report = json.loads((Path(proxy_job.out_dir) / "report.json").read_text(encoding="utf-8"))
    assert report["ok"] is True


def test_cover_has_platform_ratio_and_label(proxy_job: JobResult) -> None:
    from PIL import Image

    for clip in _clips(proxy_job):
        with Image.open(clip.cover) as im:
            ratio = im.width / im.height
            expected = {"douyin": 3 / 4, "wechat_channels": 4 / 3}[clip.platform]
            assert ratio == pytest.approx(expected, rel=0.02)
            assert b"AIGC" in im.getexif().get_ifd(0x8769).get(0x9286, b"")


def test_rerun_skips_finished_clips(proxy_job: JobResult) -> None:
    brief = Brief(platforms=["douyin", "wechat_channels"], duration=15, scale=0.25)
    mtimes = {c.path: Path(c.path).stat().st_mtime_ns for c in _clips(proxy_job)}
    again = run_job(ROOT / "examples" / "products.csv", brief, Path(proxy_job.out_dir).parent, job="proxy")
    assert all(c.skipped for c in _clips(again))
    assert {c.path: Path(c.path).stat().st_mtime_ns for c in _clips(again)} == mtimes


def test_ocr_finds_caption_and_label(tmp_path: Path) -> None:
    """Half-size render of one product; tesseract (chi_sim) reads the caption and the AI label off a frame."""
    sheet = tmp_path / "one.csv"
    sheet.write_text("商品编码,商品名称,卖点,到手价\nOCR-1,保湿面霜,质地轻薄不黏腻,89\n", encoding="utf-8")
    job = run_job(sheet, Brief(platforms=["douyin"], duration=15, scale=0.5, music=False), tmp_path / "out")
    (variant,) = job.variants
    assert variant.error is None, variant.error
    timing = next(t for t in variant.voice.lines if "质地轻薄" in t.caption)
    t = (timing.start + timing.end) / 2
    frame = frame_at(Path(variant.clips[0].path), t, tmp_path / "f.png")
    w, h = frame.size
    # Captions are verbatim phrases with a keyword in the style's accent colour: read the caption where the
    # Timeline put it, keyed by its own colours (the selling point's callout just above it says the same words).
    timeline = _replan(Path(variant.directory))
    (caption,) = [la for la in timeline.layers if la.kind == "caption" and la.start <= t < la.end]
    readings = ocr_layer(frame, caption).split("|")
    # Tesseract misreads a dense glyph now and then (薄→溥); most of the caption must come back.
    assert max(SequenceMatcher(None, "".join(caption.text), r).ratio() for r in readings) >= 0.6, readings
    assert "".join(caption.text).startswith(timing.text.rstrip("。")[:4]), "the caption is what is said"
    first = frame_at(Path(variant.clips[0].path), 0.0, tmp_path / "f0.png")
    label_text = ocr(first.crop((0, 0, int(w * 0.6), int(h * 0.16))))
    # In a sans-serif face a capital I and a lower-case l are the same glyph; tesseract often picks l.
    assert is_explicit_label_text(label_text.replace("Al", "AI")), label_text
    # And the clip passes `daihuo verify`: both labels, geometry and timing.
    report = verify_clip(Path(variant.clips[0].path))
    assert report.ok, report.model_dump()


def _replan(directory: Path):  # noqa: ANN202
    """The clip's Timeline, planned again from its manifest (the edit is deterministic)."""
    from generator.edit import edit_clip
    from generator.models import Product, Script, VoiceTrack
    from generator.platforms import get_preset

    m = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    voice = VoiceTrack.model_validate({**m["voice"], "lines": m["line_timings"]})
    return edit_clip(Product.model_validate(m["product"]), Script.model_validate(m["script"]), voice,
                     get_preset("douyin").scaled(m["brief"]["scale"]))


def test_bad_rows_are_reported_and_good_rows_still_render(tmp_path: Path) -> None:
    sheet = tmp_path / "mixed.csv"
    sheet.write_text(
        "商品编码,商品名称,到手价,卖点\n"
        "OK-1,竹制收纳盒,29,可叠放\n"
        ",没有编码的商品,19,卖点\n"
        "BAD-2,价格写错,abc,卖点\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "generator.cli", "make", str(sheet), "--platforms", "douyin", "--duration", "10",
         "--scale", "0.25", "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    assert "row 3" in proc.stderr and "row 4" in proc.stderr
    assert (out / "mixed" / "OK-1" / "v1" / "douyin.mp4").exists()


def test_unusable_sheet_is_a_clear_error(tmp_path: Path) -> None:
    sheet = tmp_path / "bad.csv"
    sheet.write_text("foo,bar\n1,2\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "generator.cli", "make", str(sheet), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1
    assert "sheet error" in proc.stderr and "商品编码" in proc.stderr and "Traceback" not in proc.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    sheet = ROOT / "examples" / "products.csv"
    bad_platform = subprocess.run([sys.executable, "-m", "generator.cli", "make", str(sheet), "--platforms", "myspace"],
                                  capture_output=True, text=True, cwd=ROOT)
    assert bad_platform.returncode == 2 and "myspace" in bad_platform.stderr
    missing = subprocess.run([sys.executable, "-m", "generator.cli", "make", str(tmp_path / "nope.csv")],
                             capture_output=True, text=True, cwd=ROOT)
    assert missing.returncode == 2


def test_help_documents_every_verb() -> None:
    proc = subprocess.run([sys.executable, "-m", "generator.cli", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0
    for verb in ("make", "platforms"):
        assert verb in proc.stdout


@pytest.mark.slow
def test_full_resolution_clip(tmp_path: Path) -> None:
    """One real 1080x1920 clip end to end (the proxy tests cover the rest)."""
    sheet = tmp_path / "full.csv"
    shutil.copy(ROOT / "examples" / "images" / "cream.jpg", tmp_path / "cream.jpg")
    sheet.write_text("商品编码,商品名称,卖点,原价,到手价,主图\nFULL-1,保湿面霜,质地轻薄不黏腻；48小时持续保湿,129,89,cream.jpg\n",
                     encoding="utf-8")
    job = run_job(sheet, Brief(platforms=["douyin"], duration=15), tmp_path / "out")
    (clip,) = _clips(job)
    info = summarize(Path(clip.path))
    assert (info["video"]["width"], info["video"]["height"]) == (1080, 1920)
    assert abs(info["video"]["duration"] - info["audio"]["duration"]) <= 0.1
    assert info["faststart"] and json.loads(info["aigc_tag"])["AIGC"]["Label"] == "1"
    assert -17.0 <= integrated_loudness(Path(clip.path)) <= -15.0
