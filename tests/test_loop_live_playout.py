"""The live play-out and the room's scheduling over small synthetic segments (solid colours + tones), pushed to
a real local ffmpeg receiver: exact joins, reconnects, fills when rendering is behind, answers at a boundary."""

from __future__ import annotations

import itertools
import json
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bench.receiver import Receiver, black_spans, joins, packet_times
from generator.loop.answers import Answerer
from generator.loop.build import build_loop, render_source
from generator.loop.comments import Inbox
from generator.loop.live import LiveConfig, LiveRoom, opening_sources
from generator.loop.playout import Playout, SliceError, StreamFormat
from generator.loop.render import subtitles_path
from generator.models import Beat, Brief, Line, Product, Script
from tests.helpers import frame_at

FMT = StreamFormat(160, 96, 15, 48000, "300k")


def clip(path: Path, colour: str, seconds: float, *, size: str = "160x96", fps: int = 15, tone: int | None = 440,
         cue: float | None = None) -> Path:
    args = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c={colour}:s={size}:r={fps}"]
    if tone:
        args += ["-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=44100"]
    args += ["-t", f"{seconds}", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    args += ["-c:a", "aac", "-shortest"] if tone else []
    subprocess.run([*args, str(path)], check=True)
    if cue is not None:  # one cut point between two "spoken lines", as the pipeline's subtitles give
        subtitles_path(path).write_text(f"1\n00:00:00,000 --> 00:00:0{cue - 0.1:.3f}\na\n\n2\n00:00:0{cue + 0.1:.3f}"
                                        f" --> 00:00:0{seconds - 0.2:.3f}\nb\n".replace(".", ","), encoding="utf-8")
    return path


def rgb_at(path: Path, t: float, tmp: Path) -> tuple[int, int, int]:
    img = frame_at(path, t, tmp / f"f{t:.2f}.png")
    return tuple(int(v) for v in np.asarray(img).reshape(-1, 3).mean(axis=0))  # type: ignore[return-value]


def dominant(rgb: tuple[int, int, int]) -> str:
    names = {"red": (255, 0, 0), "blue": (0, 0, 255), "green": (0, 128, 0), "white": (255, 255, 255),
             "yellow": (255, 255, 0)}
    return min(names, key=lambda n: sum((a - b) ** 2 for a, b in zip(rgb, names[n], strict=True)))


def mean_volume(path: Path, start: float, seconds: float) -> float:
    err = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-ss", str(start), "-t", str(seconds), "-i", str(path),
                          "-vn", "-af", "volumedetect", "-f", "null", "-"], capture_output=True, text=True).stderr
    return float(err.split("mean_volume:")[1].split("dB")[0])


def test_slices_join_exactly(tmp_path: Path) -> None:
    a = clip(tmp_path / "a.mp4", "red", 3.0)
    b = clip(tmp_path / "b.mp4", "blue", 4.0, size="320x180", fps=25, tone=660)   # other size and rate: scaled
    c = clip(tmp_path / "c.mp4", "green", 2.0, tone=None)                          # no audio track: silence
    rx = Receiver(tmp_path / "got.flv")
    playout = Playout(rx.url, FMT, workdir=tmp_path)
    marked: list[float] = []
    playout.mark(3.0, marked.append)
    try:
        for path, start, end in [(a, 0, 1.2), (b, 0, 2), (a, 1.2, 3.0), (c, 0, 2), (b, 2, 4.6)]:  # b: past its end
            playout.play(path, start, end)
    finally:
        playout.close()
    rx.wait(20)
    video, audio = packet_times(rx.out, "v"), packet_times(rx.out, "a")
    assert len(video) == 144, "every slice gives exactly its frames: 18 + 30 + 27 + 30 + 39"
    assert joins(video, 1 / 15) == [] and joins(audio, 1024 / 48000) == []
    assert abs(audio[-1] - video[-1]) < 0.1
    expected = [(0.6, "red"), (2.2, "blue"), (3.9, "red"), (5.6, "green"), (7.2, "blue"), (9.4, "blue")]
    assert [dominant(rgb_at(rx.out, t, tmp_path)) for t, _ in expected] == [c for _, c in expected]
    assert mean_volume(rx.out, 5.2, 1.4) < -80, "the clip without sound is silence, not the last tone"
    assert mean_volume(rx.out, 1.6, 0.8) > -40
    assert black_spans(rx.out) == []
    assert marked and playout.on_air_at is not None
    assert 2.0 < marked[0] - playout.on_air_at < 4.5, "the mark fires when stream time 3.0 is encoded"


def test_reconnects_and_skips_a_broken_file(tmp_path: Path) -> None:
    a = clip(tmp_path / "a.mp4", "red", 3.0)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 5000)
    rx = Receiver(tmp_path / "one.ts", rtmp=False)
    logs: list[str] = []
    playout = Playout(rx.url, FMT, workdir=tmp_path, backoff=0.3, log=logs.append)
    try:
        playout.play(a, 0, 3)
        with pytest.raises(SliceError, match="broken.mp4"):
            playout.play(broken, 0, 2)
        playout.play(a, 0, 2)
        rx.stop()                                     # the ingest goes away mid-stream ...
        second: list[Receiver] = []
        threading.Timer(1.0, lambda: second.append(Receiver(tmp_path / "two.ts", rtmp=False, port=rx.port))).start()
        for _ in range(3):                            # ... and comes back on the same address
            playout.play(a, 0, 3)
    finally:
        playout.close()
    second[0].wait(20)
    assert playout.restarts >= 1 and any("reconnecting" in m for m in logs)
    assert len(packet_times(rx.out, "v")) > 0             # before the drop
    # After it: the stream goes on (what was in flight when the ingest dropped is lost, as in any live push).
    got = packet_times(second[0].out, "v")
    assert len(got) >= 6 * 15 and joins(got, 1 / 15) == []


class ColourRenderer:
    """A stand-in for the pipeline: a solid-colour clip with a tone, a cut point in the middle (as subtitles
    would give), `delay` seconds of 'rendering' after the first `fast` clips."""

    def __init__(self, colour: str, seconds: float, *, delay: float = 0.0, fast: int = 0) -> None:
        self.name, self.colour, self.seconds, self.delay, self.fast = f"colour-{colour}", colour, seconds, delay, fast
        self.calls = 0

    def __call__(self, product: Product, script: Script, brief: Brief, out_path: Path, *, speed: float) -> Path:
        self.calls += 1
        if self.calls > self.fast:
            time.sleep(self.delay)
        return clip(out_path, self.colour, self.seconds, cue=self.seconds / 2)


def writer(product: Product, brief: Brief, variant: int, siblings: Sequence[Script]) -> Script:
    return Script(sku=product.sku, variant=variant,
                  beats=[Beat(kind="hook", lines=[Line(text=f"第{variant}次介绍{product.title}。"), Line(text="看看吧。")])])


def test_room_fills_when_rendering_is_behind_and_answers_at_a_boundary(tmp_path: Path) -> None:
    products = [Product(sku="COF-1", title="手工挂耳咖啡", specs={"烘焙度": "中度"}),
                Product(sku="CUP-2", title="保温杯", specs={"容量": "500毫升"})]
    rx = Receiver(tmp_path / "got.flv")
    inbox = Inbox()
    brief = Brief(platforms=["kuaishou"], scale=0.1)
    room = LiveRoom(products, brief, writer=writer, renderer=ColourRenderer("blue", 3.0, delay=5.0, fast=2),
                    answer_brief=brief, answer_renderer=ColourRenderer("yellow", 2.0),
                    playout=Playout(rx.url, FMT, workdir=tmp_path), loop_dir=tmp_path / "loop",
                    # max_share 1: the room wants 24 s of unique material, and gets 3 s every 5 s.
                    config=LiveConfig(hours=24 / 3600, window_min=0.5, seed=1, start_hour=10, max_share=1.0),
                    inbox=inbox, answerer=Answerer(products))
    runner = threading.Thread(target=room.run)
    runner.start()
    assert rx.wait_first_frame(60) is not None
    time.sleep(4)
    posted = time.time()
    inbox.add("comment", {"user": "小王", "text": "这个咖啡是什么烘焙度？"}, "test")
    runner.join(timeout=90)
    rx.wait(20)
    plays = [json.loads(x) for x in (tmp_path / "loop/live/playout.jsonl").read_text().splitlines()]
    answers = [json.loads(x) for x in (tmp_path / "loop/live/answers.jsonl").read_text().splitlines()]
    reasons = [p["reason"] for p in plays if p.get("event") == "play"]
    assert "fill" in reasons, "renders take 5 s for 3 s of video: cached segments must fill"
    assert "answer" in reasons and room.report.answers == 1
    on_air = next(a for a in answers if a["event"] == "on_air")
    assert on_air["latency_s"] < 10
    answer_at = next(p["stream"] for p in plays if p.get("reason") == "answer")
    # On the receiver: the answer's own picture at its stream time, within seconds of the comment.
    assert dominant(rgb_at(rx.out, answer_at + 1.0, tmp_path)) == "yellow"
    assert rx.stream_time_at(posted) <= answer_at <= rx.stream_time_at(posted) + 10
    video = packet_times(rx.out, "v")
    assert joins(video, 1 / 15) == [] and abs(video[-1] - 24) < 0.5
    assert black_spans(rx.out) == []


def test_live_room_reuses_the_loop_build_cache(tmp_path: Path) -> None:
    """`loop build` and then `loop stream` of the same sheet and options: the room renders nothing again but its
    opening greeting (the segments' content hashes are the same)."""
    products = [Product(sku="COF-1", title="手工挂耳咖啡"), Product(sku="CUP-2", title="保温杯")]
    brief = Brief(platforms=["kuaishou"], scale=0.1)
    built = ColourRenderer("blue", 3.0)
    build_loop(products, brief, writer=writer, renderer=built, loop_dir=tmp_path, hours=0.05, window_min=0.2, seed=1,
               start_hour=10)
    assert built.calls >= 4
    again = ColourRenderer("blue", 3.0)
    config = LiveConfig(hours=0.05, window_min=0.2, seed=1, start_hour=10)
    opening, *rest = itertools.islice(opening_sources(products, brief, writer, config), built.calls + 1)
    assert opening.kind == "greeting"
    specs = [render_source(source, brief, again, tmp_path) for source in rest]
    assert again.calls == 0 and len({s.id for s in specs}) == len(list((tmp_path / "segments").glob("*.mp4")))
