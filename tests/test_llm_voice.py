"""Network voice engines: `openai` (/v1/audio/speech through the real client and a real local server) and
`edge` (only its fallback can be tested offline), both falling back to espeak-ng."""

from __future__ import annotations

import socket
import struct
import wave
from pathlib import Path

import pytest

from generator.models import Beat, Line, Script
from generator.settings import Settings
from generator.voice.edge_tts_voice import EdgeVoice, rate_arg
from generator.voice.openai_tts import OpenAIVoice, write_wav
from tests.openai_test_server import OpenAITestServer, Reply, error_reply, speech_wav


@pytest.fixture
def server():
    with OpenAITestServer() as s:
        yield s


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"  # nothing listens there once the socket is closed


def voice_settings(base_url: str, **extra) -> Settings:
    return Settings(OPENAI_BASE_URL=base_url, OPENAI_API_KEY="sk-test", tts_timeout=3.0, **extra)


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def test_openai_voice_speaks_through_audio_speech(server, tmp_path):
    voice = OpenAIVoice(voice_settings(server.base_url, tts_model="kokoro", tts_voice="zf_xiaoxiao"))
    line = voice.speak("This cream feels light on the skin.", "en", tmp_path / "l0.wav", speed=1.1)

    assert voice.engine == "openai"
    assert line.duration == pytest.approx(wav_seconds(tmp_path / "l0.wav"), abs=0.01) and line.duration > 0.5
    (req,) = server.requests
    assert req.path == "/v1/audio/speech"
    assert req.body == {"model": "kokoro", "voice": "zf_xiaoxiao", "input": "This cream feels light on the skin.",
                        "response_format": "wav", "speed": 1.1}


def test_streamed_wav_with_placeholder_size_is_repaired(server, tmp_path):
    good = speech_wav("hello there")
    # Streaming servers write 0xFFFFFFFF as the RIFF and data sizes: wave reports nonsense frame counts.
    data_at = good.index(b"data")
    streamed = b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + good[8:data_at + 4] + struct.pack("<I", 0xFFFFFFFF) \
        + good[data_at + 8:]
    server.queue(Reply(body=streamed, content_type="audio/wav"))
    line = OpenAIVoice(voice_settings(server.base_url)).speak("hello there", "en", tmp_path / "s.wav")
    expected = write_wav(good, tmp_path / "ref.wav")
    assert line.duration == pytest.approx(expected, abs=0.05)
    assert wav_seconds(tmp_path / "s.wav") == pytest.approx(expected, abs=0.05)


def test_openai_voice_falls_back_to_espeak_and_stays_there(server, tmp_path):
    server.queue(error_reply(503), error_reply(503))
    voice = OpenAIVoice(voice_settings(server.base_url))
    first = voice.speak("这款面霜质地轻薄。", "zh", tmp_path / "a.wav")
    assert voice.engine == "espeak (fallback from openai: HTTP 503)"
    assert first.duration > 0.3 and wav_seconds(tmp_path / "a.wav") == pytest.approx(first.duration, abs=0.01)
    asked = len(server.requests)
    assert asked == 2  # one try plus the client's one retry
    voice.speak("点下方购物车。", "zh", tmp_path / "b.wav")
    assert len(server.requests) == asked  # the rest of the job does not wait on a dead endpoint
    assert voice.notes and "the offline voice spoke the rest of the job" in voice.notes[0]


def test_openai_voice_unreachable_falls_back(tmp_path):
    voice = OpenAIVoice(voice_settings(closed_port_url()))
    line = voice.speak("Tap the cart below.", "en", tmp_path / "c.wav")
    assert voice.engine == "hibari (fallback from openai: connection error)"  # English's offline voice
    assert line.engine == voice.engine and line.voice == "heart"
    assert line.duration > 0.3


def test_openai_voice_in_a_voice_track(server, tmp_path):
    from generator.voice.track import speak_script

    script = Script(sku="T-1", language="en", beats=[
        Beat(kind="hook", lines=[Line(text="Dry skin after winter?")], visual="card:title"),
        Beat(kind="cta", lines=[Line(text="Tap the cart below.")], visual="card:title"),
    ])
    track = speak_script(script, OpenAIVoice(voice_settings(server.base_url)), tmp_path / "voice")
    assert len(server.requests) == 2 and all(r.path == "/v1/audio/speech" for r in server.requests)
    assert [t.text for t in track.lines] == ["Dry skin after winter?", "Tap the cart below."]
    assert track.lines[1].start > track.lines[0].end > track.lines[0].start
    assert wav_seconds(Path(track.path)) == pytest.approx(track.duration, abs=0.1)


def test_edge_voice_unreachable_falls_back_to_espeak(tmp_path):
    # The proxy is a closed local port: the attempt fails at once and no traffic leaves the machine.
    voice = EdgeVoice(Settings(edge_proxy=closed_port_url().removesuffix("/v1"), tts_timeout=3.0))
    line = voice.speak("Xin chào các bạn.", "vi", tmp_path / "e.wav")
    assert voice.engine.startswith("espeak (fallback from edge:")
    assert line.duration > 0.3 and (tmp_path / "e.wav").exists()
    assert voice.voice_for("th") == "th-TH-PremwadeeNeural"


def test_edge_rate_argument():
    assert rate_arg(1.0) == "+0%" and rate_arg(1.15) == "+15%" and rate_arg(0.9) == "-10%"
