"""A clip whose voice came from an OpenAI-compatible /v1/audio/speech server (real client, real local server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.models import Brief
from generator.pipeline import run_job
from generator.settings import Settings
from generator.video.probe import summarize
from generator.voice.track import speakable
from tests.openai_test_server import OpenAITestServer


@pytest.fixture
def speech_server():
    with OpenAITestServer() as server:
        yield server


def test_audio_speech_voice_is_used_in_the_rendered_clip(speech_server: OpenAITestServer, tmp_path: Path) -> None:
    sheet = tmp_path / "one.csv"
    sheet.write_text("商品编码,商品名称,卖点,到手价\nTTS-1,竹制收纳盒,可叠放省空间,29\n", encoding="utf-8")
    settings = Settings(openai_base_url=speech_server.base_url, openai_api_key="sk-test")
    job = run_job(sheet, Brief(platforms=["douyin"], duration=10, scale=0.25, voice="openai", music=False),
                  tmp_path / "out", settings=settings)
    (variant,) = job.variants
    assert variant.error is None, variant.error
    speech_calls = [r for r in speech_server.requests if r.path.endswith("/audio/speech")]
    said = [(r.body["input"], r.body.get("speed", 1.0)) for r in speech_calls]
    assert {speakable(t.text, "zh") for t in variant.voice.lines} <= {text for text, _ in said}, \
        "every line should be spoken by the server"
    # The duration fit times the lines, then asks again only for lines at a new speaking rate, never twice.
    assert len(said) == len(set(said)) and len(said) <= 2 * len(variant.voice.lines), said
    manifest = json.loads((Path(variant.directory) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["engines"]["voice"] == "openai"
    info = summarize(Path(variant.clips[0].path))
    assert abs(info["audio"]["duration"] - variant.voice.duration) < 0.1
