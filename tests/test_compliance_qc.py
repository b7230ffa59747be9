"""QC of rendered clips: every clip of a real (proxy-size) render gets a passing <platform>.qc.json, and a clip
doctored with ffmpeg (label cropped off, an unapproved word burned in, loudness lowered to -25 LUFS) fails on
exactly that, read back from the file by `daihuo verify`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.compliance.qc import safe_zone_check
from generator.compliance.qc_models import QCReport, TextBox
from generator.models import JobResult
from generator.platforms import get_preset
from tests.helpers import integrated_loudness

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
pytestmark = pytest.mark.skipif(not (shutil.which("tesseract") and Path(FONT).exists()),
                                reason="needs tesseract-ocr (chi_sim) and fonts-noto-cjk (make test installs them)")
ALL_CHECKS = {"container", "faststart", "av_sync", "CN-AI-M1.count", "CN-AI-M1.json", "CN-AI-M1.fields", "safe_zone",
              "CN-AI-V1", "CN-AI-V2", "CN-AI-V3", "CN-AI-V4", "burned_text", "unapproved_text", "statements",
              "loudness"}


def _report(path: Path) -> QCReport:
    return QCReport.model_validate(json.loads(path.read_text(encoding="utf-8"))["report"])


def test_every_clip_of_a_render_has_a_passing_qc_report(proxy_job: JobResult) -> None:
    clips = [(Path(v.directory), c) for v in proxy_job.variants for c in v.clips]
    assert len(clips) == 8
    for directory, clip in clips:
        report = _report(directory / f"{clip.platform}.qc.json")
        assert report.ok, f"{clip.path}: {report.failures()}"
        assert ALL_CHECKS <= {c.id for c in report.checks} <= ALL_CHECKS | {"styled_text"}
        assert report.width == clip.width and report.duration > 5
        assert -18 <= (report.loudness_lufs or 0) <= -14
        kinds = {r.kind for r in report.reads if r.ok}
        assert {"label", "caption", "badge"} <= kinds, kinds  # read back from the pixels, not assumed
        assert len(report.frames) <= 8
    summary = json.loads((Path(proxy_job.out_dir) / "report.json").read_text(encoding="utf-8"))
    assert summary["qc_failed"] == 0
    assert all(c["qc"]["ok"] for v in summary["variants"] for c in v["clips"])


@pytest.fixture(scope="module")
def doctored(proxy_job: JobResult, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One real clip (douyin, 9:16 proxy) and three copies spoiled with ffmpeg, each beside its .qc.json."""
    variant = next(v for v in proxy_job.variants if v.sku == "HB-1001")
    src = Path(variant.directory) / "douyin.mp4"
    inputs = json.loads(src.with_name("douyin.qc.json").read_text(encoding="utf-8"))["inputs"]
    work = tmp_path_factory.mktemp("doctored")
    w, h = get_preset("douyin").scaled(0.25).width, get_preset("douyin").scaled(0.25).height
    keep = ["-map", "0", "-map_metadata", "0", "-movflags", "+use_metadata_tags+faststart"]
    recipes = {
        "clean": ["-c", "copy"],
        # the top fifth (with the AI label) cropped off and the frame stretched back to size
        "cropped": ["-vf", f"crop=iw:ih*4/5:0:ih/5,scale={w}:{h}", "-c:a", "copy"],
        # a contact line burned in the middle of the frame, white with a dark edge like a caption
        "word": ["-vf", f"drawtext=fontfile={FONT}:text='加微信领红包':fontsize={w // 13}:fontcolor=white:borderw=2:"
                        "bordercolor=black:x=(w-tw)/2:y=h*0.42", "-c:a", "copy"],
        # the sound 9 dB down: about -25 LUFS
        "quiet": ["-c:v", "copy", "-af", "volume=-9dB", "-c:a", "aac"],
    }
    out: dict[str, Path] = {}
    for name, args in recipes.items():
        dst = work / f"{name}.mp4"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), *keep, *args, str(dst)], check=True, timeout=120)
        dst.with_name(f"{name}.qc.json").write_text(json.dumps({"inputs": inputs}), encoding="utf-8")
        out[name] = dst
    return out


def _verify(clip: Path) -> tuple[int, QCReport]:
    result = CliRunner().invoke(app, ["verify", "--json", str(clip)])
    return result.exit_code, QCReport.model_validate_json(result.stdout)


def _failed(report: QCReport) -> set[str]:
    return {c.id for c in report.checks if not c.ok and c.severity == "fail"}


def test_verify_passes_the_untouched_copy(doctored: dict[str, Path]) -> None:
    code, report = _verify(doctored["clean"])
    assert code == 0 and report.ok, report.failures()


def test_label_cropped_off_is_caught(doctored: dict[str, Path]) -> None:
    code, report = _verify(doctored["cropped"])
    assert code == 1
    assert {"CN-AI-V1", "CN-AI-V4"} <= _failed(report)


def test_unapproved_word_burned_in_is_caught(doctored: dict[str, Path]) -> None:
    code, report = _verify(doctored["word"])
    assert code == 1
    assert "unapproved_text" in _failed(report)
    assert any("微信" in u or "红包" in u for u in report.unapproved), report.unapproved
    assert not {"CN-AI-V1", "loudness"} & _failed(report)


def test_quiet_clip_is_caught_on_loudness_only(doctored: dict[str, Path]) -> None:
    assert -26.5 <= integrated_loudness(doctored["quiet"]) <= -23.5  # the doctoring did what it says
    code, report = _verify(doctored["quiet"])
    assert code == 1 and _failed(report) == {"loudness"}
    assert report.loudness_lufs is not None and report.loudness_lufs < -23


def test_verify_of_a_foreign_file_checks_the_labels_and_reports_the_rest(doctored: dict[str, Path],
                                                                         tmp_path: Path) -> None:
    """Without its .qc.json a file is checked for both labels (required) and described otherwise."""
    foreign = tmp_path / "foreign.mp4"
    shutil.copy(doctored["clean"], foreign)
    code, report = _verify(foreign)
    assert code == 0, report.failures()
    assert {c.id for c in report.checks if c.severity == "fail"} >= {"CN-AI-V1", "CN-AI-V2", "CN-AI-M1.count"}
    table = CliRunner().invoke(app, ["verify", "--platform", "douyin", "--scale", "0.25", str(foreign)])
    assert table.exit_code == 0 and "container" in table.stdout and "QC passed" in table.stdout


def test_a_box_outside_the_safe_zone_fails() -> None:
    preset = get_preset("douyin")
    left, top, right, bottom = preset.safe_box()
    inside = TextBox(text="字幕", x=left + 10, y=bottom - 100, w=300, h=80, start=0, end=1, kind="caption")
    below = inside.model_copy(update={"y": bottom - 40})  # 40 px past the bottom of the safe zone
    assert safe_zone_check([inside], preset, preset.width, preset.height).ok
    check = safe_zone_check([inside, below], preset, preset.width, preset.height)
    assert not check.ok and "caption '字幕'" in check.detail
