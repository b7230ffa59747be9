"""build_loop end to end with the self-contained caption-card renderer (espeak-ng + ffmpeg, tiny frames)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.loop.build import build_loop
from generator.loop.media import probe
from generator.loop.planner import check_schedule
from generator.loop.render import CardRenderer
from generator.loop.rules import blocking, check_platforms
from generator.models import Beat, Brief, Line, Product, Script

PRODUCTS = [
    Product(sku="CUP-1", title="保温杯", selling_points=["保温十二小时", "一键开盖", "五百毫升"],
            specs={"容量": "500毫升", "重量": "300克"}, offer="满99减10"),
    Product(sku="FAN-2", title="桌面风扇", selling_points=["三档风速", "静音设计", "USB供电"],
            specs={"尺寸": "15厘米"}),
]


def writer(product: Product, brief: Brief, variant: int, siblings: Sequence[Script]) -> Script:
    """Test data: a pitch per variant, each from a different turn of the selling points."""
    points = product.selling_points[variant % 3:] + product.selling_points[: variant % 3]
    lines = [f"第{variant}次给大家介绍{product.title}。", *[f"它{p}。" for p in points], "喜欢可以看看商品页。"]
    return Script(sku=product.sku, variant=variant, beats=[Beat(kind="hook", lines=[Line(text=t) for t in lines])])


def test_24h_loop_from_few_unique_segments(tmp_path: Path) -> None:
    renderer = CardRenderer((90, 160), fps=10)
    brief = Brief(platforms=["douyin"], scale=0.1)
    loop = tmp_path / "loop"
    schedule = build_loop(PRODUCTS, brief, writer=writer, renderer=renderer, loop_dir=loop, hours=24,
                          window_min=3, seed=3, start_hour=9)
    assert abs(schedule.scheduled_seconds - 86_400) <= 1
    assert check_schedule(schedule) == []
    assert schedule.unique_seconds <= 0.10 * 86_400
    files = list((loop / "segments").glob("*.mp4"))
    assert len(files) == len(schedule.segments)
    assert sum(float(probe(f)["format"]["duration"]) for f in files) <= 0.10 * 86_400
    kinds = {s.kind for s in schedule.segments.values()}
    assert {"pitch", "reminder", "qa", "greeting"} <= kinds
    assert [f.level for f in schedule.rules if f.platform == "douyin"] == ["forbid", "forbid"]
    text = (loop / "loop.ffconcat").read_text()
    assert text.count("file ") == len(schedule.entries)
    m3u8 = (loop / "loop.m3u8").read_text()
    assert m3u8.count("#EXTINF") == len(schedule.entries)
    # A rebuild renders nothing: every segment is cached by its content hash.
    before = {f: f.stat().st_mtime_ns for f in files}
    start = time.perf_counter()
    again = build_loop(PRODUCTS, brief, writer=writer, renderer=renderer, loop_dir=loop, hours=24,
                       window_min=3, seed=3, start_hour=9)
    assert again.entries == schedule.entries
    assert {f: f.stat().st_mtime_ns for f in files} == before
    assert time.perf_counter() - start < 20


def test_short_loop_plays_end_to_end(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    schedule = build_loop(PRODUCTS[:1], Brief(platforms=["tiktok"]), writer=writer,
                          renderer=CardRenderer((90, 160), fps=10, label="AI生成"), loop_dir=loop, hours=0.02,
                          window_min=0, seed=1)
    info = probe(loop / "loop.ffconcat", "-f", "concat", "-safe", "0")
    assert float(info["format"]["duration"]) == pytest.approx(72, abs=1)
    assert {s["codec_type"] for s in info["streams"]} == {"video", "audio"}
    assert schedule.entries[-1].outpoint is not None or schedule.scheduled_seconds == pytest.approx(72)


def test_rule_guard_levels() -> None:
    assert {f.level for f in check_platforms(["douyin"])} == {"forbid"}
    assert {f.level for f in check_platforms(["wechat_channels"])} == {"restrict"}
    assert blocking(check_platforms(["kuaishou"])) == []


@pytest.mark.parametrize("platform, code", [("douyin", 2), ("wechat_channels", 2)])
def test_strict_refuses(tmp_path: Path, platform: str, code: int) -> None:
    result = CliRunner().invoke(app, ["loop", "build", str(tmp_path / "none.csv"), "--out", str(tmp_path),
                                      "--platform", platform, "--strict"])
    assert result.exit_code == code
    assert "refused" in result.output


def test_bad_weights_and_missing_plan(tmp_path: Path) -> None:
    sheet = tmp_path / "s.csv"
    sheet.write_text("sku,title\nA,B\n")
    result = CliRunner().invoke(app, ["loop", "build", str(sheet), "--out", str(tmp_path), "--platform", "kuaishou",
                                      "--weights", "A=abc"])
    assert result.exit_code == 2 and "SKU=WEIGHT" in result.output
    result = CliRunner().invoke(app, ["loop", "stream", str(tmp_path), "--rtmp", "rtmp://127.0.0.1/x"])
    assert result.exit_code == 2 and "loop build" in result.output
