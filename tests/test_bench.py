"""The benchmark harness runs end to end on a tiny case and writes its JSON schema (not a timed test);
the encoder choice falls back to libx264 when NVENC is not there."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bench.fixture import stretch
from bench.run import host_importable, main
from generator.models import Beat, Line, LineTiming, Script, VoiceTrack
from generator.platforms import get_preset
from generator.settings import Settings, get_settings
from generator.video.render import choose_encoder, encoder_params, nvenc_available

CASE_KEYS = {"name", "size", "duration_s", "wall_s", "floor_s", "ratio", "cpu_ratio", "realtime_factor",
             "peak_rss_mb", "cpu_percent", "stages", "encoder", "runs"}
STAGES = {"script", "voice", "layout", "prepare", "frames", "encode_wait", "render"}


def test_quick_bench_writes_the_schema(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    assert main(["--quick", "--scale", "0.125", "--cases", "vertical,vertical_host", "--out", str(out),
                 "--work", str(tmp_path / "work")]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert set(report) >= {"cases", "throughput", "machine", "summary"}
    vertical, host = report["cases"]
    assert set(vertical) >= CASE_KEYS and set(vertical["stages"]) >= STAGES
    assert vertical["size"] == "136x240" and vertical["duration_s"] == 5.0
    assert vertical["ratio"] == pytest.approx(vertical["wall_s"] / vertical["floor_s"], rel=0.01)
    assert vertical["floor_s"] > 0 and vertical["peak_rss_mb"] > 0 and vertical["cpu_percent"] > 0
    assert vertical["encoder"] == choose_encoder(get_settings()) == report["machine"]["encoder"]
    # The clip it timed is the clip it claims: 5 s at 30 fps, at the case's size.
    probe = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
         "stream=width,height,nb_read_frames", "-of", "json", vertical["output"]],
        capture_output=True, text=True, check=True).stdout)["streams"][0]
    assert (probe["width"], probe["height"], int(probe["nb_read_frames"])) == (136, 240, 150)
    if host_importable():
        assert "skipped" not in host and "host" in host["stages"]
    else:
        assert host["name"] == "vertical_host" and "no generator.host" in host["skipped"]
    for n in (1, 2):
        run = report["throughput"][f"processes_{n}"]
        assert run["clips"] == n and run["clips_per_hour"] > 0
    assert report["summary"]["vertical_ratio"] == vertical["ratio"]


def test_unknown_case_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--cases", "nope", "--out", str(tmp_path / "r.json")])
    assert exc.value.code == 2


def test_stretch_repeats_the_script_to_the_exact_duration() -> None:
    script = Script(sku="S", beats=[Beat(kind="hook", lines=[Line(text="a"), Line(text="b")]),
                                    Beat(kind="cta", lines=[Line(text="c")])])
    voice = VoiceTrack(path="v.wav", duration=4.0, engine="test", lines=[
        LineTiming(index=0, text="a", caption="a", start=0.2, end=1.0),
        LineTiming(index=1, text="b", caption="b", start=1.2, end=2.0),
        LineTiming(index=2, text="c", caption="c", start=2.4, end=3.5),
    ])
    long_script, long_voice = stretch(script, voice, 10.0)
    assert long_voice.duration == 10.0
    # Two whole repetitions (0–4 s, 4–8 s), then the hook's first line again (8.2–9.0 s; its second line
    # would end at the cut), then silence to 10 s.
    assert [(b.kind, len(b.lines)) for b in long_script.beats] == [("hook", 2), ("cta", 1), ("hook", 2),
                                                                   ("cta", 1), ("hook", 1)]
    assert [t.start for t in long_voice.lines] == [0.2, 1.2, 2.4, 4.2, 5.2, 6.4, 8.2]
    assert [t.index for t in long_voice.lines] == list(range(7))
    short_script, short_voice = stretch(script, voice, 1.5)
    assert [len(b.lines) for b in short_script.beats] == [1] and short_voice.duration == 1.5


def test_auto_encoder_falls_back_to_libx264_without_nvenc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Without an ffmpeg on PATH nothing can use NVENC: the probe must say so rather than fail.
    monkeypatch.setenv("PATH", str(tmp_path))
    nvenc_available.cache_clear()
    try:
        assert nvenc_available() is False
        assert choose_encoder(Settings(encoder="auto")) == "libx264"
    finally:
        nvenc_available.cache_clear()


def test_real_probe_and_explicit_choice() -> None:
    nvenc_available.cache_clear()
    has_gpu = nvenc_available()  # the real probe: a tiny h264_nvenc encode on this machine
    assert choose_encoder(Settings(encoder="auto")) == ("h264_nvenc" if has_gpu else "libx264")
    assert choose_encoder(Settings(encoder="libx264")) == "libx264"


def test_encoder_settings_hold_the_quality_floor() -> None:
    preset = get_preset("douyin")
    x264_preset, params = encoder_params("libx264", preset, Settings(), "{}")
    assert x264_preset == "veryfast" and params[params.index("-crf") + 1] == "23"
    assert params[params.index("-g") + 1] == "60" and "-sc_threshold" in params
    nv_preset, nv = encoder_params("h264_nvenc", preset, Settings(), "{}")
    assert nv_preset == "p5" and nv[nv.index("-cq") + 1] == "23" and nv[nv.index("-g") + 1] == "60"
    assert "-colorspace" in params and "-colorspace" in nv
