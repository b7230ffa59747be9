"""AIGC labels: the metadata field written and read back, and the on-screen label found by OCR.

Clips are real (ffmpeg lavfi colour source + drawtext with a CJK font), small (540x960, 3 s) for speed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.compliance.aigc import (
    METADATA_KEY,
    LabelError,
    implicit_label,
    label_problems,
    metadata_value,
    read_format_tags,
    write_implicit_label,
)
from generator.compliance.verify import check_implicit, verify_clip

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
W, H = 540, 960

pytestmark = pytest.mark.skipif(
    not (shutil.which("ffmpeg") and shutil.which("tesseract") and Path(FONT).exists()),
    reason="needs ffmpeg, tesseract-ocr (chi_sim) and fonts-noto-cjk (make test installs them)",
)


def _clip(path: Path, text: str | None = None, fontsize: int = 36, enable: str = "1", where: str = "top") -> Path:
    vf = "null"
    if text:
        y = "24" if where == "top" else "h-th-40"
        vf = (f"drawtext=fontfile={FONT}:text='{text}':fontsize={fontsize}:fontcolor=white:x=w-tw-24:y={y}"
              f":box=1:boxcolor=black@0.55:boxborderw=8:enable='{enable}'")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c=0x3a6ea5:s={W}x{H}:d=3:r=10",
                    "-vf", vf, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)],
                   check=True, timeout=60)
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("aigc")
    labelled = _clip(d / "raw_labelled.mp4", "内容由AI生成", fontsize=int(0.066 * W))
    write_implicit_label(labelled, d / "labelled.mp4", implicit_label("job-A1-v1"))
    return {
        "labelled": d / "labelled.mp4",
        "unlabelled": _clip(d / "unlabelled.mp4"),
        "short": _clip(d / "short.mp4", "AI生成", fontsize=int(0.066 * W), enable="lt(t,1)", where="bottom"),
        "tiny": _clip(d / "tiny.mp4", "内容由AI生成", fontsize=int(0.035 * W)),
    }


def test_labelled_clip_passes_both_labels(clips: dict[str, Path]) -> None:
    report = verify_clip(clips["labelled"])
    assert report.ok, report.model_dump_json(indent=1)
    assert report.implicit.keys == ["AIGC"] and report.implicit.value["ProduceID"] == "job-A1-v1"
    assert "AI" in report.explicit.text and "生成" in report.explicit.text
    assert report.explicit.height_ratio >= 0.05
    assert report.explicit.position == "top-right"
    assert [f.t for f in report.explicit.frames if f.found] == [0.1, 1.0, 1.9]


def test_unlabelled_clip_fails_both_labels(clips: dict[str, Path]) -> None:
    report = verify_clip(clips["unlabelled"])
    assert not report.ok and not report.implicit.ok and not report.explicit.ok
    assert {c.id for c in report.explicit.checks if not c.ok} >= {"CN-AI-V1", "CN-AI-V4"}


def test_label_shown_for_one_second_fails_duration(clips: dict[str, Path]) -> None:
    explicit = verify_clip(clips["short"]).explicit
    checks = {c.id: c.ok for c in explicit.checks}
    assert checks["CN-AI-V1"] and not checks["CN-AI-V4"], explicit.model_dump_json(indent=1)
    assert explicit.position.startswith("bottom")


def test_small_label_fails_height(clips: dict[str, Path]) -> None:
    explicit = verify_clip(clips["tiny"]).explicit
    assert not explicit.ok
    assert not {c.id: c.ok for c in explicit.checks}["CN-AI-V2"]


def test_cli_verify_exit_codes_and_json(clips: dict[str, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(app, ["verify", "--json", str(clips["labelled"])])
    assert good.exit_code == 0, good.output
    assert json.loads(good.stdout)["ok"] is True
    bad = runner.invoke(app, ["verify", str(clips["unlabelled"])])
    assert bad.exit_code == 1 and "FAIL" in bad.stdout
    assert runner.invoke(app, ["verify", str(tmp_path / "missing.mp4")]).exit_code == 2


def test_relabelling_keeps_exactly_one_field(clips: dict[str, Path], tmp_path: Path) -> None:
    src = tmp_path / "two.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(clips["labelled"]), "-map", "0", "-c", "copy",
                    "-map_metadata", "0", "-metadata", "aigc_old=stale", "-movflags", "+use_metadata_tags",
                    str(src)], check=True, timeout=60)
    assert sorted(k for k in read_format_tags(src) if "aigc" in k.lower()) == ["AIGC", "aigc_old"]
    assert not check_implicit(read_format_tags(src)).ok  # two fields break CN-AI-M1
    write_implicit_label(src, src, {"Label": "1", "ContentProducer": "shop", "ProduceID": "p-2"})  # in place
    tags = read_format_tags(src)
    assert [k for k in tags if "aigc" in k.lower()] == ["AIGC"]
    assert json.loads(tags["AIGC"])["AIGC"]["ProduceID"] == "p-2"
    assert check_implicit(tags).ok


def test_write_refuses_an_invalid_label(tmp_path: Path, clips: dict[str, Path]) -> None:
    with pytest.raises(LabelError, match="Label"):
        write_implicit_label(clips["unlabelled"], tmp_path / "x.mp4", {"AIGC": {"Label": 1, "ContentProducer": "a",
                                                                                 "ProduceID": "b"}})
    assert not (tmp_path / "x.mp4").exists()


@pytest.mark.parametrize("tags,ok", [
    ({"AIGC": metadata_value(implicit_label("id1"))}, True),                                  # wrapped
    ({"aigc": json.dumps({"Label": "2", "ContentProducer": "p", "ProduceID": "i"})}, True),   # inner, any case
    ({"com.example.AIGC": '{"Label":"1","ContentProducer":"p","ProduceID":"i"}'}, True),
    ({}, False),
    ({"AIGC": "not json"}, False),
    ({"AIGC": '{"Label":1,"ContentProducer":"p","ProduceID":"i"}'}, False),                   # Label not a string
    ({"AIGC": '{"Label":"4","ContentProducer":"p","ProduceID":"i"}'}, False),
    ({"AIGC": '{"Label":"1","ContentProducer":"p","ProduceID":""}'}, False),
    ({"AIGC": metadata_value(implicit_label("a")), "AIGC_2": metadata_value(implicit_label("b"))}, False),
])
def test_implicit_rule_cn_ai_m1(tags: dict[str, str], ok: bool) -> None:
    assert check_implicit(tags).ok is ok


def test_label_problems_accepts_wrapped_and_inner() -> None:
    assert label_problems(implicit_label("x")) == []
    assert label_problems(implicit_label("x")[METADATA_KEY]) == []
    assert label_problems([1]) == ["the label is not a JSON object"]
