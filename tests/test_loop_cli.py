"""`daihuo loop build` from the example sheet through the real pipeline (template writer, espeak, host, labels)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from generator.loop.media import duration

ROOT = Path(__file__).resolve().parent.parent


def test_loop_build_from_the_example_sheet(tmp_path: Path) -> None:
    out = tmp_path / "loop"
    proc = subprocess.run(
        [sys.executable, "-m", "generator.cli", "loop", "build", str(ROOT / "examples" / "products.csv"),
         "--hours", "0.2", "--window", "3", "--scale", "0.1", "--host", "sprite", "--platform", "kuaishou",
         "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert abs(sum(e["duration"] for e in plan["entries"]) - 720) <= 1
    assert plan["platforms"] == ["kuaishou"]
    segments = list((out / "segments").glob("*.mp4"))
    assert segments, "no unique segments rendered"
    concat = duration(out / "loop.ffconcat")
    assert abs(concat - 720) <= 1.5, concat
    # Segments come from the real pipeline: they carry the implicit AIGC label.
    tags = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format_tags", "-of", "json", str(segments[0])],
                          capture_output=True, text=True, check=True).stdout
    assert "AIGC" in tags
