"""Hostile rows end to end: `daihuo make` on a sheet that carries the issue's examples, and what it wrote.

One proxy-size render (1/4 scale, 10 s, one platform) of four products whose SKUs collide once made into
folder names, with bidi marks, a cue injection, emoji, a dollar price, a 300-character title and images that
used to render white, black or not at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.hostile.builders import write_csv
from tests.hostile.test_hostile_output import cues_as_ffmpeg_reads_them

ROOT = Path(__file__).resolve().parents[2]
BIDI = "\u202e\u2066\u2069\u200f"
INJECTED_OFFER = "满99减10\n00:00:01,000 --> 00:00:09,000\n注入"


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile_sheet")
    Image.fromarray(np.full((300, 300), 16000, dtype=np.uint16)).save(folder / "grey16.png")
    cutout = np.zeros((300, 300, 4), dtype=np.uint8)
    cutout[75:225, 75:225] = (220, 30, 30, 255)
    Image.fromarray(cutout).save(folder / "cutout.png")
    Image.new("RGB", (20000, 1), "red").save(folder / "strip.png")
    rows = [
        ["sku", "title", "price", "sale_price", "selling_points", "offer", "images", "language"],
        ["AB 1", f"{BIDI[0]}保温杯{BIDI[1]}大容量{BIDI[2]}", "129", "99", "保温12小时；一键开盖", INJECTED_OFFER, "grey16.png", "zh"],
        ["AB_1", "Steel Bottle 😀🔥", "$39", "$29", "Keeps drinks cold for 24 hours", "", "cutout.png", "en"],
        ["AB-2.", "超长标题" * 75, "0", "", "轻巧", "", "", "zh"],
        ["AB-2", "细长图片", "-0", "", "结实", "", "strip.png", "zh"],
    ]
    sheet = write_csv(folder / "hostile.csv", rows)
    out = tmp_path_factory.mktemp("hostile_out")
    proc = subprocess.run([sys.executable, "-m", "generator.cli", "make", str(sheet), "--out", str(out),
                           "--scale", "0.25", "--duration", "10", "--no-music"],
                          capture_output=True, text=True, cwd=ROOT, timeout=600,
                          env={**os.environ, "DAIHUO_OUT": str(out)})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out / "hostile"


def _manifest(job: Path, sku_folder: Path) -> dict:
    return json.loads((sku_folder / "v1" / "manifest.json").read_text(encoding="utf-8"))


def _variants(job: Path) -> dict[str, Path]:
    report = json.loads((job / "report.json").read_text(encoding="utf-8"))
    return {v["sku"]: Path(v["directory"]) for v in report["variants"]}


def test_every_product_has_its_own_clip(job: Path) -> None:
    variants = _variants(job)
    assert sorted(variants) == ["AB 1", "AB-2", "AB-2.", "AB_1"]
    assert len(set(variants.values())) == 4  # was two folders: AB_1 and AB-2 each overwritten
    for sku, directory in variants.items():
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["sku"] == sku and (directory / "douyin.mp4").is_file()


def test_subtitles_hold_exactly_the_spoken_lines_without_bidi_marks(job: Path) -> None:
    for directory in _variants(job).values():
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        for suffix in ("srt", "vtt"):
            path = directory / f"douyin.{suffix}"
            assert len(cues_as_ffmpeg_reads_them(path)) == len(manifest["line_timings"]), path
            text = path.read_text(encoding="utf-8")
            assert not any(ch in text for ch in BIDI)
            # the injected "00:00:01,000 --> 00:00:09,000" stays text (with an arrow that starts no cue)
            assert sum("-->" in line for line in text.splitlines()) == len(manifest["line_timings"])


def test_dollar_prices_are_shown_and_spoken_in_dollars(job: Path) -> None:
    directory = _variants(job)["AB_1"]
    srt = (directory / "douyin.srt").read_text(encoding="utf-8")
    assert "$29" in srt and "¥" not in srt  # was ¥29
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    spoken = " ".join(t["text"] for t in manifest["line_timings"])
    assert "dollar" in spoken and "yuan" not in spoken


def test_zero_prices_are_not_shown(job: Path) -> None:
    for sku in ("AB-2.", "AB-2"):
        srt = (_variants(job)[sku] / "douyin.srt").read_text(encoding="utf-8")
        assert "¥0" not in srt and "¥-0" not in srt


def test_report_warns_about_what_intake_changed(job: Path) -> None:
    warnings = "\n".join(json.loads((job / "report.json").read_text(encoding="utf-8"))["warnings"])
    assert "strip.png" in warnings and "shortened" in warnings and "price" in warnings
