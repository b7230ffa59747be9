"""`daihuo loop build` over the example sheet: 24 h with the default 60-min window, and segments that come
from the real pipeline (template writer, espeak, host, labels)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from generator.loop.media import duration
from generator.loop.models import Schedule
from generator.loop.planner import check_schedule
from generator.models import Brief
from generator.pipeline import render_segment, write_scripts
from generator.sheets import read_sheet

ROOT = Path(__file__).resolve().parent.parent
SHEET = ROOT / "examples" / "products.csv"


def test_24h_loop_over_the_example_sheet(tmp_path: Path) -> None:
    """Real scripts and interstitials, caption-card segments (fast): the plan's rules hold for a whole day."""
    out = tmp_path / "loop"
    proc = subprocess.run(
        [sys.executable, "-m", "generator.cli", "loop", "build", str(SHEET), "--hours", "24", "--renderer", "card",
         "--scale", "0.1", "--platform", "kuaishou", "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    schedule = Schedule.model_validate_json((out / "plan.json").read_text(encoding="utf-8"))
    assert schedule.window_min == 60
    assert abs(schedule.scheduled_seconds - 86_400) <= 1
    assert check_schedule(schedule) == [], "a segment repeats inside the window or a script plays back to back"
    assert schedule.unique_seconds <= 0.10 * 86_400, f"{schedule.unique_seconds:.0f}s of unique video"
    assert {s.kind for s in schedule.segments.values()} >= {"pitch", "reminder", "greeting"}
    assert abs(duration(out / "loop.ffconcat") - 86_400) <= 2, "the playlist does not play the whole day"
    on_disk = sum(f.stat().st_size for f in (out / "segments").glob("*.mp4"))
    assert on_disk < 200e6


def test_loop_segment_from_the_pipeline_carries_host_and_labels(tmp_path: Path) -> None:
    product = read_sheet(SHEET).products[0]
    brief = Brief(platforms=["douyin"], duration=15, scale=0.25, host="sprite", music=False)
    (script,) = write_scripts(product, brief)
    clip = render_segment(product, script, brief, tmp_path, speed=1.1)
    record = json.loads((tmp_path / "douyin.json").read_text(encoding="utf-8"))
    assert record["host_engine"] != "none" and record["aigc"]["AIGC"]["Label"] == "1"
    assert abs(duration(clip.path) - clip.duration) < 0.1
