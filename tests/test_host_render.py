"""A rendered clip with the default host: the mouth opens while the voice speaks and closes in the pauses."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from generator.bootstrap import build_engines
from generator.models import Brief
from generator.pipeline import run_job
from generator.platforms import get_preset
from generator.settings import Settings


def _frames(path: Path, times: list[float], tmp: Path) -> list[np.ndarray]:
    out = []
    for i, t in enumerate(times):
        png = tmp / f"f{i}.png"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", f"{t:.3f}", "-i", str(path), "-frames:v", "1", str(png)],
                       check=True)
        from PIL import Image

        out.append(np.asarray(Image.open(png).convert("RGB")).astype(np.float64))
    return out


def _dark(frame: np.ndarray, box: tuple[int, int, int, int]) -> int:
    x, y, w, h = box
    region = frame[y:y + h, x:x + w]
    luma = 0.299 * region[..., 0] + 0.587 * region[..., 1] + 0.114 * region[..., 2]
    return int((luma < 80).sum())


def test_rendered_host_mouth_follows_the_voice(tmp_path: Path) -> None:
    sheet = tmp_path / "host.csv"
    sheet.write_text("商品编码,商品名称,卖点,到手价\nHOST-1,保温杯,一杯热水保温十二小时；杯盖一键弹开,59\n", encoding="utf-8")
    brief = Brief(platforms=["douyin"], duration=15, scale=0.5, host="sprite", music=False)
    job = run_job(sheet, brief, tmp_path / "out")
    (variant,) = job.variants
    assert variant.error is None, variant.error
    clip = Path(variant.clips[0].path)
    # The same overlay the renderer used tells us where the mouth is in the frame.
    host = build_engines(Settings(), brief).host(variant.voice, variant.script, get_preset("douyin").scaled(0.5))
    hx, hy, _, _ = host.box
    mx, my, mw, mh = host.mouth_box
    mouth = (hx + mx, hy + my, mw, mh)

    lines = variant.voice.lines
    speaking = [line.start + f * (line.end - line.start) for line in lines for f in (0.3, 0.5, 0.7)]
    pauses = [0.1, lines[-1].end + 0.45]  # the lead-in and the tail are silent
    spoken = [_dark(f, mouth) for f in _frames(clip, speaking, tmp_path)]
    quiet = [_dark(f, mouth) for f in _frames(clip, pauses, tmp_path)]
    assert max(quiet) <= 2, f"mouth not closed in pauses: {quiet}"
    open_share = np.mean([d > 2 for d in spoken])
    assert open_share >= 0.6, f"mouth open in only {open_share:.0%} of speaking frames: {spoken}"
    assert len(set(spoken)) >= 3, "the mouth should move while speaking, not hold one shape"
