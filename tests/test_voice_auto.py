"""`--voice auto`: a real local /v1/audio/speech server is chosen when it answers; without one the offline voice
for each language speaks, quickly; a server that hangs cannot hold the job; labels say what really spoke."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from generator.models import Beat, Line, Script
from generator.settings import Settings
from generator.voice import probe
from generator.voice.auto import AutoVoice
from generator.voice.track import speak_script
from tests.openai_test_server import OpenAITestServer, error_reply

EN = Script(sku="A1", language="en", beats=[Beat(kind="hook", lines=[Line(text="Dry skin after winter?")]),
                                            Beat(kind="cta", lines=[Line(text="Tap the cart below.")])])
ZH = Script(sku="A2", language="zh", beats=[Beat(kind="hook", lines=[Line(text="秋冬干燥，试试这款面霜。")]),
                                            Beat(kind="cta", lines=[Line(text="点小黄车看看吧。")])])


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def auto_settings(**extra) -> Settings:
    # Edge goes through a closed local port: no traffic leaves the machine and the answer is "unreachable".
    base = {"edge_proxy": f"http://127.0.0.1:{closed_port()}", "voice_probe_timeout": 1.0, "tts_timeout": 3.0,
            "voice_auto_order": "openai,edge,offline",
            "OPENAI_BASE_URL": None, "tts_base_url": None}
    return Settings(**{**base, **extra})


@pytest.fixture(autouse=True)
def fresh_probes():
    probe.forget()
    yield
    probe.forget()


def test_auto_chooses_a_reachable_speech_server(tmp_path: Path) -> None:
    with OpenAITestServer() as server:
        voice = AutoVoice(auto_settings(tts_base_url=server.base_url, tts_api_key="sk-local"))
        track = speak_script(EN, voice, tmp_path)
        speech = [r for r in server.requests if r.path == "/v1/audio/speech"]
    assert voice.chosen == {"en": "openai"}
    assert [r.body["input"] for r in sorted(speech, key=lambda r: r.body["input"])] == [
        "Dry skin after winter?", "Tap the cart below."]
    assert track.engine == "openai" and track.voice == "tts-1/alloy"


def test_auto_without_a_server_speaks_offline_quickly(tmp_path: Path) -> None:
    voice = AutoVoice(auto_settings())
    started = time.monotonic()
    engine = voice.engine_for("en")
    assert time.monotonic() - started < 2.0, "choosing a voice offline must not wait"
    assert engine is voice.offline and voice.chosen == {"en": "offline"}
    en, zh = speak_script(EN, voice, tmp_path / "en"), speak_script(ZH, voice, tmp_path / "zh")
    assert (en.engine, en.voice) == ("hibari", "heart")
    assert (zh.engine, zh.voice) == ("espeak", "cmn-latn-pinyin")
    assert any("no speech server configured" in n and "edge:" in n for n in voice.notes), voice.notes


def test_auto_with_a_dead_server_falls_back_offline(tmp_path: Path) -> None:
    voice = AutoVoice(auto_settings(tts_base_url=f"http://127.0.0.1:{closed_port()}/v1"))
    started = time.monotonic()
    track = speak_script(EN, voice, tmp_path)
    assert track.engine == "hibari" and time.monotonic() - started < 15
    assert voice.chosen == {"en": "offline"}


def test_a_server_that_never_answers_cannot_hold_the_job() -> None:
    """It accepts the connection and then says nothing: the probe gives up after its timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
        voice = AutoVoice(auto_settings(tts_base_url=url, voice_probe_timeout=0.5))
        started = time.monotonic()
        assert voice.engine_for("zh") is voice.offline
        assert time.monotonic() - started < 1.5


def test_failure_mid_job_is_labelled_per_line(tmp_path: Path) -> None:
    with OpenAITestServer() as server:
        voice = AutoVoice(auto_settings(tts_base_url=server.base_url))
        voice.engine_for("en")  # the probe answers: the server is chosen
        server.queue(error_reply(503), error_reply(503))  # then speech fails (one try + the client's retry)
        track = speak_script(EN, voice, tmp_path, workers=1)
    assert track.engine == "hibari (fallback from openai: HTTP 503)" and track.voice == "heart"


def test_the_edge_probe_knocks_where_edge_tts_speaks() -> None:
    """The probe names edge-tts's host itself (importing edge_tts to read it slows every start); they must agree."""
    from edge_tts.constants import BASE_URL

    from generator.voice.auto import EDGE_HOST

    assert BASE_URL.split("/")[0] == EDGE_HOST
