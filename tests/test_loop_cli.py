"""`daihuo loop build` over the example sheet: 24 h with the default 60-min window, and segments that come
from the real pipeline (template writer, espeak, host, labels)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from generator.bootstrap import build_engines
from generator.loop.build import build_loop
from generator.loop.media import duration
from generator.loop.planner import check_schedule
from generator.models import Brief
from generator.pipeline import render_segment, write_scripts
from generator.script.template_writer import TemplateWriter
from generator.settings import Settings
from generator.sheets import read_sheet
from generator.voice.espeak import EspeakVoice, text_units

ROOT = Path(__file__).resolve().parent.parent
SHEET = ROOT / "examples" / "products.csv"


class ToneRenderer:
    """A stand-in for video only: a tiny clip as long as the voice track would be (espeak's measured rate,
    the track's pauses, lead-in and tail), to the nearest quarter second.

    Everything that decides whether a day can be planned is real here: the sheet, the template writer's
    variants, the interstitials and their dayparts, the planner, the durations (probed from the files); the
    pixels are tested elsewhere. Segments of the same length share one encode (a file copy), so a day's ~240
    segments cost a few dozen ffmpeg runs.
    """

    name = "tone"
    STEP = 0.25

    def __init__(self, cache: Path) -> None:
        self.cache = cache

    def __call__(self, product, script, brief, out_path: Path, *, speed: float) -> Path:
        lines = script.lines()
        rate = EspeakVoice().chars_per_second(script.language) * speed
        seconds = sum(text_units(line.text, script.language) for line in lines) / rate + 0.3 * len(lines) + 1.15
        seconds = max(self.STEP, round(seconds / self.STEP) * self.STEP)
        tone = self.cache / f"{seconds:.2f}.mp4"
        if not tone.exists():
            self.cache.mkdir(parents=True, exist_ok=True)
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=gray:s=32x32:r=5",
                            "-f", "lavfi", "-i", "sine=f=440:r=8000", "-t", f"{seconds:.2f}", "-c:v", "libx264",
                            "-preset", "ultrafast", "-c:a", "aac", "-b:a", "16k", str(tone)], check=True)
        shutil.copyfile(tone, out_path)
        return out_path


def test_24h_loop_over_the_example_sheet(tmp_path: Path) -> None:
    """24 h with the default 60-min window over the four example products: every rule holds for a whole day."""
    products = read_sheet(SHEET).products
    brief = Brief(platforms=["kuaishou"], scale=0.1)
    writer = TemplateWriter()
    schedule = build_loop(products, brief, writer=lambda p, b, n, sib: writer.write(p, b, n, siblings=sib),
                          renderer=ToneRenderer(tmp_path / "tones"), loop_dir=tmp_path / "loop", hours=24, seed=7, start_hour=2.3)
    assert schedule.window_min == 60
    assert abs(schedule.scheduled_seconds - 86_400) <= 1
    assert check_schedule(schedule) == [], "a segment repeats inside the window or a script plays back to back"
    assert schedule.unique_seconds <= 0.10 * 86_400, f"{schedule.unique_seconds:.0f}s of unique video"
    assert {s.kind for s in schedule.segments.values()} >= {"pitch", "reminder", "greeting"}
    assert {s.sku for s in schedule.segments.values()} == {p.sku for p in products}
    assert abs(duration(tmp_path / "loop" / "loop.ffconcat") - 86_400) <= 2, "the playlist does not play the day"


def test_loop_segment_from_the_pipeline_carries_host_and_labels(tmp_path: Path) -> None:
    product = read_sheet(SHEET).products[0]
    brief = Brief(platforms=["douyin"], duration=15, scale=0.25, host="sprite", music=False)
    engines = build_engines(Settings(), brief)
    (script,) = write_scripts(product, brief, engines.writer)
    clip = render_segment(product, script, brief, tmp_path, engines, speed=1.1)
    record = json.loads((tmp_path / "douyin.json").read_text(encoding="utf-8"))
    assert record["host_engine"] != "none" and record["aigc"]["AIGC"]["Label"] == "1"
    assert abs(duration(clip.path) - clip.duration) < 0.1
