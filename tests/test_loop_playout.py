"""Playlists and streaming over small synthetic segments (ffmpeg testsrc + sine, 2-4 s, 160x90)."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from generator.loop.media import MediaError, probe, remux_all
from generator.loop.models import SegmentSpec
from generator.loop.planner import plan_loop
from generator.loop.playlist import write_ffconcat, write_hls
from generator.loop.stream import locate, output_format, stream_loop


def make_segment(path: Path, seconds: float, tone: int) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x90:rate=15",
                    "-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=44100", "-t", str(seconds),
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    "-shortest", str(path)], check=True)


def make_loop(loop_dir: Path, seconds: float, window_min: float = 0.1, seed: int = 1):
    (loop_dir / "segments").mkdir(parents=True, exist_ok=True)
    specs = []
    for i, d in enumerate([2, 3, 4, 2, 3]):
        rel = f"segments/s{i}.mp4"
        make_segment(loop_dir / rel, d, 300 + 90 * i)
        specs.append(SegmentSpec(id=f"s{i}", kind="pitch" if i < 3 else "reminder", duration=d, path=rel,
                                 script_id=f"s{i}"))
    schedule = plan_loop(specs, seconds / 3600, window_min, seed)
    (loop_dir / "plan.json").write_text(schedule.model_dump_json(), encoding="utf-8")
    return schedule


@pytest.fixture(scope="module")
def loop_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("loop")
    make_loop(d, 30.5)
    return d


def decoded_seconds(args: list[str]) -> float:
    """Seconds actually decoded from an input (ffmpeg to null), from its -progress output."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-progress", "pipe:1", *args, "-f", "null", "-"],
                         capture_output=True, text=True, check=True).stdout
    times = [int(line.split("=")[1]) for line in out.splitlines()
             if line.startswith("out_time_us=") and line != "out_time_us=N/A"]
    return max(times) / 1e6


def test_ffconcat_plays_the_whole_schedule(loop_dir: Path) -> None:
    from generator.loop.models import Schedule

    schedule = Schedule.model_validate_json((loop_dir / "plan.json").read_text())
    playlist = write_ffconcat(schedule, loop_dir)
    text = playlist.read_text()
    assert text.count("file ") == len(schedule.entries) > len(schedule.segments)
    assert "outpoint" in text  # 30.5 s cannot be made of whole 2-4 s segments
    info = probe(playlist, "-f", "concat", "-safe", "0")
    assert float(info["format"]["duration"]) == pytest.approx(30.5, abs=1.0)
    assert {s["codec_type"] for s in info["streams"]} == {"video", "audio"}
    assert decoded_seconds(["-f", "concat", "-safe", "0", "-i", str(playlist)]) == pytest.approx(30.5, abs=1.0)
    # Nothing rendered twice: the folder holds the five unique files only.
    assert len(list((loop_dir / "segments").glob("*.mp4"))) == 5


def test_hls_references_unique_ts_files(loop_dir: Path) -> None:
    from generator.loop.models import Schedule

    schedule = Schedule.model_validate_json((loop_dir / "plan.json").read_text())
    m3u8 = write_hls(schedule, loop_dir)
    lines = m3u8.read_text().splitlines()
    uris = [x for x in lines if x and not x.startswith("#")]
    assert len(uris) == len(schedule.entries)
    assert len(set(uris)) <= len(schedule.segments) + 1       # the unique files (+ the cut last entry)
    assert lines.count("#EXT-X-DISCONTINUITY") == len(uris) - 1 and lines[-1] == "#EXT-X-ENDLIST"
    extinf = sum(float(x.split(":")[1].rstrip(",")) for x in lines if x.startswith("#EXTINF"))
    assert extinf == pytest.approx(30.5, abs=0.01)
    assert decoded_seconds(["-i", str(m3u8)]) == pytest.approx(30.5, abs=1.0)
    assert all(u.endswith(".ts") for u in uris)


def test_remux_in_batches_gives_the_same_files_and_a_bad_one_is_named(loop_dir: Path, tmp_path: Path) -> None:
    """Many mp4s per ffmpeg process (write_hls) give byte for byte the files of one process each; a broken
    segment in a batch is named, and the good ones of its batch are still made."""
    mp4s = sorted((loop_dir / "segments").glob("s*.mp4"))
    one, many = tmp_path / "one", tmp_path / "many"
    one.mkdir(), many.mkdir()
    remux_all([(m, one / f"{m.stem}.ts") for m in mp4s], batch=1)
    remux_all([(m, many / f"{m.stem}.ts") for m in mp4s] * 2, batch=3)  # repeats are remuxed once
    assert [f.read_bytes() for f in sorted(many.glob("*.ts"))] == [f.read_bytes() for f in sorted(one.glob("*.ts"))]
    assert len(list(many.glob("*.ts"))) == len(mp4s) and not list(many.glob("*.part.ts"))
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    bad = tmp_path / "bad"
    bad.mkdir()
    with pytest.raises(MediaError, match="broken.mp4"):
        remux_all([(mp4s[0], bad / "a.ts"), (broken, bad / "broken.ts"), (mp4s[1], bad / "b.ts")], batch=3)
    assert (bad / "a.ts").read_bytes() == (one / f"{mp4s[0].stem}.ts").read_bytes()


def test_locate_and_formats() -> None:
    specs = [SegmentSpec(id="a", duration=2), SegmentSpec(id="b", duration=3)]
    schedule = plan_loop(specs, 10 / 3600, 0, 1)
    assert locate(schedule, 0) == (0, 0)
    i, off = locate(schedule, 4.5)
    assert schedule.entries[i].start <= 4.5 < schedule.entries[i].start + schedule.entries[i].duration
    assert off == pytest.approx(4.5 - schedule.entries[i].start)
    assert output_format("rtmp://live.example/app/key") == "flv"
    assert output_format("udp://127.0.0.1:1234") == "mpegts"
    assert output_format("out.ts") == "mpegts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def receiver(url: str, out: Path, *input_args: str) -> subprocess.Popen:
    return subprocess.Popen(["ffmpeg", "-v", "error", "-y", *input_args, "-i", url, "-c", "copy", str(out)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def streams_of(path: Path) -> tuple[float, set[str]]:
    info = probe(path)
    return float(info["format"]["duration"]), {s["codec_type"] for s in info["streams"]}


def test_stream_to_local_rtmp_receiver(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    make_loop(loop, 6.0, window_min=0)
    port = free_port()
    url = f"rtmp://127.0.0.1:{port}/live/test"
    got = tmp_path / "got.flv"
    rx = receiver(url, got, "-listen", "1", "-f", "flv")
    time.sleep(0.7)
    report = stream_loop(loop, url, label="内容由AI生成", retries=2, backoff=0.5)
    rx.wait(timeout=20)
    assert report.finished and report.restarts == 0
    seconds, kinds = streams_of(got)
    assert kinds == {"video", "audio"}
    assert seconds == pytest.approx(6.0, abs=1.0)


def test_stream_resumes_after_a_dropped_connection(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    schedule = make_loop(loop, 12.0, window_min=0)
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    first, second = tmp_path / "a.ts", tmp_path / "b.ts"
    fast = ("-analyzeduration", "500000", "-probesize", "200000", "-f", "mpegts")  # start writing early
    rx1 = receiver(f"{url}?listen=1", first, *fast)
    time.sleep(0.5)
    logs: list[str] = []
    result = {}
    t = threading.Thread(target=lambda: result.update(r=stream_loop(loop, url, label="AI生成", retries=5,
                                                                    backoff=0.3, log=logs.append)))
    t.start()
    time.sleep(5)
    rx1.terminate()  # the ingest drops mid-stream
    rx1.wait(timeout=10)
    rx2 = receiver(f"{url}?listen=1", second, *fast)
    t.join(timeout=40)
    rx2.wait(timeout=20)
    report = result["r"]
    assert report.finished and report.restarts >= 1
    a, _ = streams_of(first)
    b, kinds = streams_of(second)
    assert kinds == {"video", "audio"}
    assert 1.5 < a < 8 and b < schedule.total - 1.5
    # What arrived before and after the drop adds up to the schedule: it resumed, not restarted.
    assert a + b == pytest.approx(schedule.total, abs=1.5)
    assert any("resum" in m or "from entry" in m for m in logs)
    assert json.loads((loop / "plan.json").read_text())["total"] == 12.0
