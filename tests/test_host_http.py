"""Host engine `http` against the reference talking-head server on 127.0.0.1 (real HTTP, real decoding)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from generator.host import make_host
from generator.host.base import HttpHostConfig
from generator.host.http_engine import HostServerError, HttpHost
from generator.host.http_server import serve
from generator.host.sprite import SpriteHost
from generator.models import VoiceTrack
from tests.test_host_sprite import dark_pixels, rms_per_frame, script_for, synth_voice

FPS = 10
FRAME = (360, 640)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    srv, thread = serve(0)
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def voice(tmp_path_factory: pytest.TempPathFactory) -> VoiceTrack:
    return synth_voice(tmp_path_factory.mktemp("hv"), ["你好，欢迎光临", "今天讲保温杯"], pause_ms=1200)


def at(server: str, path: str) -> HttpHostConfig:
    """The http host engine pointed at one endpoint of the reference server (handed in, as the bootstrap does)."""
    return HttpHostConfig(url=server + path)


def mouth_open_matches_energy(host, voice: VoiceTrack) -> None:
    energy = rms_per_frame(voice.path, FPS)
    silent = energy < 1e-4
    silent &= np.convolve(silent, np.ones(5), "same") == 5
    loud = energy > 0.25 * np.percentile(energy[energy > 1e-4], 90)
    mouth = np.array([dark_pixels(host.rgba((i + 0.5) / FPS), host.mouth_box) for i in range(len(energy))])
    assert mouth[silent].max() <= 2
    assert (mouth[loud] > 5).mean() > 0.5


def test_http_zip_frames(server: str, voice: VoiceTrack) -> None:
    host = make_host("http", voice, script_for(), FRAME, "pip", FPS, http=at(server, "/render"))
    assert isinstance(host, HttpHost) and host.engine == "http"
    x, y, w, h = host.box
    frame = host.rgba(1.0)
    assert frame.shape == (h, w, 4) and frame.dtype == np.uint8
    assert host.frame_count == pytest.approx(voice.duration * FPS, abs=2)
    assert frame[..., 3].min() == 0 and frame[..., 3].max() == 255  # alpha came through
    mouth_open_matches_energy(host, voice)


def test_http_mp4_on_key_colour(server: str, voice: VoiceTrack) -> None:
    host = make_host("http", voice, script_for(), FRAME, "side", FPS, http=at(server, "/render-mp4"))
    assert isinstance(host, HttpHost)
    frame = host.rgba(0.5)
    alpha = frame[..., 3]
    # The key colour became transparent (the corner), the presenter opaque (the middle of the body).
    assert alpha[2, 2] == 0 and alpha[-5, frame.shape[1] // 2] == 255
    assert (frame[..., 1][alpha == 255] > 250).mean() < 0.05  # no green spill left on the host
    mouth_open_matches_energy(host, voice)


def test_http_failure_falls_back_to_sprite(server: str, voice: VoiceTrack, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        host = make_host("http", voice, script_for(), FRAME, "pip", FPS, http=at(server, "/fail"))
    assert isinstance(host, SpriteHost)
    assert "falling back to the sprite host" in caplog.text and "500" in caplog.text


def test_http_unreachable_and_unset(voice: VoiceTrack, tmp_path: Path) -> None:
    with pytest.raises(HostServerError, match="DAIHUO_HOST_URL"):
        HttpHost.fetch(None, voice, box=(0, 0, 100, 120), fps=FPS)
    with pytest.raises(HostServerError):
        HttpHost.fetch("http://127.0.0.1:9/render", voice, box=(0, 0, 100, 120), fps=FPS, timeout=2)
