"""Compliance inside the pipeline: banned claims rewritten (fix) or the product stopped (block), with a report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from generator.compliance.review import review_text

ROOT = Path(__file__).resolve().parent.parent
SHEET = ROOT / "examples" / "banned_claims.csv"


def _make(tmp_path: Path, policy: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator.cli", "make", str(SHEET), "--platforms", "douyin", "--duration", "15",
         "--scale", "0.25", "--no-music", "--compliance", policy, "--out", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )


def test_fix_rewrites_banned_claims_and_reports_every_rewrite(tmp_path: Path) -> None:
    proc = _make(tmp_path, "fix")
    assert proc.returncode == 0, proc.stderr
    job = tmp_path / "banned_claims"
    for sku, category in (("BAD-01", "美妆"), ("BAD-02", "保健食品"), ("OK-03", "家居")):  # each row's own category
        srt = (job / sku / "v1" / "douyin.srt").read_text(encoding="utf-8")
        blocking = [f for line in srt.splitlines() for f in review_text(line, category=category) if f.severity == "block"]
        assert not blocking, f"{sku} captions still carry banned terms: {[f.term for f in blocking]}"
    import json

    manifest = json.loads((job / "BAD-01" / "v1" / "manifest.json").read_text(encoding="utf-8"))
    card_title = [r for r in manifest["compliance"]["rewrites"] if r["where"] == "card:title"]
    assert card_title and "最低价" not in card_title[0]["after"], "the title card would still show the banned claim"
    report = (job / "compliance.md").read_text(encoding="utf-8")
    assert "BAD-01" in report and "BAD-02" in report
    assert "最强" in report or "最好" in report, "the rewrites are not listed"


def test_block_stops_the_offending_products_with_the_reason(tmp_path: Path) -> None:
    proc = _make(tmp_path, "block")
    assert proc.returncode == 1
    assert "BAD-01" in proc.stderr and "blocked by compliance" in proc.stderr
    job = tmp_path / "banned_claims"
    assert not (job / "BAD-01" / "v1" / "douyin.mp4").exists()
    assert (job / "OK-03" / "v1" / "douyin.mp4").exists(), "a clean product must still render"


def test_health_food_clip_shows_the_required_statement(tmp_path: Path) -> None:
    """The statement health food must carry is read off the rendered frames (OCR), not off a report."""
    from generator.models import Brief
    from generator.pipeline import run_job
    from tests.helpers import frame_at, ocr

    sheet = tmp_path / "hf.csv"
    rows = SHEET.read_text(encoding="utf-8-sig").splitlines()
    sheet.write_text("\n".join([rows[0], next(r for r in rows if r.startswith("BAD-02"))]) + "\n", encoding="utf-8")
    job = run_job(sheet, Brief(platforms=["douyin"], duration=10, scale=0.5, music=False), tmp_path / "out", job="hf")
    (variant,) = job.variants
    assert variant.error is None, variant.error
    clip = Path(variant.clips[0].path)
    for t in (0.2, variant.clips[0].duration - 0.3):  # from the first frame to the last
        frame = frame_at(clip, t, tmp_path / f"f{t:.1f}.png")
        top = frame.crop((0, 0, frame.width, frame.height // 4))  # label and statements sit at the top
        assert "不能代替药物" in ocr(top), f"the health-food statement is not on screen at {t:.1f}s"
