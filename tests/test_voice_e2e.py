"""An English product through `daihuo make` with no voice named, offline: the neural voice speaks it, and the
clip keeps -16 LUFS and A/V sync."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from generator.video.probe import summarize
from tests.helpers import integrated_loudness

ROOT = Path(__file__).resolve().parent.parent
SHEET = """sku,title,brand,category,price,sale_price,selling_points,specs,audience,scenes,offer,images,language
EN-4004,Foldable Laptop Stand,Lifto,electronics,199,149,Six height levels for better posture; Aluminium body folds flat to 0.8 cm; Vents keep the laptop cool,Weight:210 g; Fits:11-17 inch laptops,remote workers and students,home office,Free carry pouch this week,images/stand.jpg,en
"""


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def speech_spans(path: Path) -> list[tuple[float, float]]:
    """Where the clip's audio is not silent, by ffmpeg's silencedetect (-35 dB, 0.15 s)."""
    err = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af",
                          "silencedetect=noise=-35dB:d=0.15", "-f", "null", "-"],
                         capture_output=True, text=True, check=True).stderr
    starts = [float(x) for x in re.findall(r"silence_start: (-?[\d.]+)", err)]
    ends = [float(x) for x in re.findall(r"silence_end: ([\d.]+)", err)]
    return list(zip([0.0, *ends], starts + [float("inf")], strict=False))


def test_english_clip_speaks_with_the_neural_voice_by_default(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    shutil.copy(ROOT / "examples" / "images" / "stand.jpg", tmp_path / "images" / "stand.jpg")
    sheet = tmp_path / "stand.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENAI_BASE_URL", "DAIHUO_TTS_BASE_URL", "DAIHUO_VOICE", "DAIHUO_VOICE_AUTO_ORDER")}
    env["DAIHUO_EDGE_PROXY"] = f"http://127.0.0.1:{closed_port()}"  # offline, whatever this machine can reach
    proc = subprocess.run([sys.executable, "-m", "generator.cli", "make", str(sheet), "--platforms", "douyin",
                           "--duration", "15", "--scale", "0.25", "--out", str(tmp_path / "out"), "--no-music"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    variant = tmp_path / "out" / "stand" / "EN-4004" / "v1"
    manifest = json.loads((variant / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["brief"]["voice"] == "auto"
    assert manifest["engines"]["voice"] == "hibari" and manifest["voice"]["voice"] == "heart"
    assert any(line["words"] for line in manifest["line_timings"]), "hibari's word timings are missing"

    clip = variant / "douyin.mp4"
    assert -17.0 <= integrated_loudness(clip) <= -15.0
    info = summarize(clip)
    assert abs(info["video"]["duration"] - info["audio"]["duration"]) <= 0.1, "A/V durations drift"
    # Sync inside the clip: every line's start in the manifest is where the clip's audio turns loud. 0.125 s:
    # the edit's sound effects (a whoosh on a cut just before a line) can blur the onset by a few frames;
    # captions within ~125 ms of the voice read as in sync (ITU-R BT.1359's detectability window).
    spans = speech_spans(clip)
    for line in manifest["line_timings"]:
        nearest = min(abs(start - line["start"]) for start, _ in spans)
        assert nearest <= 0.125, f"line {line['index']} is heard {nearest:.2f} s away from its timing"
