"""Voice track: espeak-ng lines placed on one timeline, ducked music, loudness at -16 LUFS."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from generator.models import Beat, Line, Script
from generator.voice.espeak import EspeakVoice
from generator.voice.loudness import measure
from generator.voice.track import speak_script, speakable
from tests.helpers import integrated_loudness

SCRIPT = Script(sku="T1", language="zh", beats=[
    Beat(kind="hook", lines=[Line(text="秋冬干燥，试试这款面霜。")]),
    Beat(kind="demo", lines=[Line(text="质地轻薄不黏腻。"), Line(text="四十八小时持续保湿。")]),
    Beat(kind="cta", lines=[Line(text="点小黄车看看吧。")]),
])


def _samples(path: str) -> tuple[np.ndarray, int]:
    with wave.open(path, "rb") as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, w.getnchannels())
        return data[:, 0].astype(np.float32) / 32768, w.getframerate()


@pytest.fixture(scope="module")
def track_with_music(tmp_path_factory: pytest.TempPathFactory):
    from generator.pipeline import MUSIC

    return speak_script(SCRIPT, EspeakVoice(), tmp_path_factory.mktemp("voice"), music=MUSIC)


def test_lines_are_timed_in_order_without_overlap(track_with_music) -> None:
    lines = track_with_music.lines
    assert [t.index for t in lines] == [0, 1, 2, 3]
    assert lines[0].start > 0
    for a, b in zip(lines, lines[1:], strict=False):
        assert a.start < a.end < b.start, "lines overlap or are out of order"
    assert lines[-1].end < track_with_music.duration
    assert [t.text for t in lines] == [line.text for line in SCRIPT.lines()]


def test_loudness_is_normalised(track_with_music) -> None:
    measured = integrated_loudness(Path(track_with_music.path))
    assert -17.0 <= measured <= -15.0, measured
    assert track_with_music.loudness_lufs == pytest.approx(measured, abs=0.5)
    _, true_peak = measure(Path(track_with_music.path))
    assert true_peak <= -1.0, f"true peak {true_peak} dBTP"


def test_music_fills_pauses_but_sits_under_speech(track_with_music) -> None:
    audio, rate = _samples(track_with_music.path)
    assert len(audio) / rate == pytest.approx(track_with_music.duration, abs=0.05)

    def rms(a: float, b: float) -> float:
        seg = audio[int(a * rate): int(b * rate)]
        return float(np.sqrt(np.mean(seg ** 2)))

    first, second = track_with_music.lines[0], track_with_music.lines[1]
    speech = rms(first.start, first.end)
    pause = rms(first.end + 0.15, second.start - 0.05)
    assert pause > 1e-3, "pauses are silent: the music bed is missing"
    assert speech > 3 * pause, "music is not ducked under the voice"


def test_no_music_means_silence_between_lines(tmp_path: Path) -> None:
    track = speak_script(SCRIPT, EspeakVoice(), tmp_path, music=None)
    audio, rate = _samples(track.path)
    a, b = track.lines[0].end + 0.1, track.lines[1].start - 0.05
    assert float(np.abs(audio[int(a * rate): int(b * rate)]).max()) < 0.02


def test_prices_and_hashtags_are_spoken_naturally() -> None:
    assert speakable("到手价 ¥89 #好物推荐", "zh") == "到手价 89元"
    assert speakable("Now ¥149.5", "en") == "Now 149.5 yuan"


def test_espeak_rate_is_measured() -> None:
    rate = EspeakVoice().chars_per_second("zh")
    assert 2.0 < rate < 8.0
