"""The offline engines heard through their output: hibari (English, neural) and espeak-ng (Mandarin), their word
timings, the one timing model against real speech, concurrent lines, and start-up without the model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from generator.models import Beat, Brief, Line, Product, Script
from generator.script.template_writer import TemplateWriter
from generator.voice.audio import read_mono
from generator.voice.espeak import VOICES, EspeakVoice
from generator.voice.hibari_voice import HibariVoice
from generator.voice.track import speak_script

ROOT = Path(__file__).resolve().parent.parent
STAND = Product(
    sku="EN-4004", title="Foldable Laptop Stand", brand="Lifto", category="electronics", price=199, sale_price=149,
    selling_points=["Six height levels for better posture", "Aluminium body folds flat to 0.8 cm",
                    "Vents keep the laptop cool"],
    specs={"Weight": "210 g", "Fits": "11-17 inch laptops"}, audience="remote workers and students",
    scenes=["home office", "coffee shop"], offer="Free carry pouch this week", language="en",
)
CREAM = Product(
    sku="HB-1001", title="保湿补水面霜", brand="山水间", category="美妆", price=129, sale_price=89,
    selling_points=["神经酰胺修护屏障", "质地轻薄不黏腻", "48小时持续保湿"], specs={"净含量": "50g", "适用肤质": "干性及混合肌"},
    audience="秋冬皮肤干燥的上班族", scenes=["办公室空调房"], offer="直播间下单送同款小样两支", language="zh",
)


def rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(audio.astype(np.float64) ** 2))) if audio.size else 0.0


def test_hibari_speaks_english_with_word_timings(tmp_path: Path) -> None:
    text = "Dry skin after winter? This cream fixes it overnight, and it's only 89 yuan."
    line = HibariVoice().speak(text, "en", tmp_path / "h.wav")
    audio, rate = read_mono(tmp_path / "h.wav")
    assert rate == 24000 and line.engine == "hibari" and line.voice == "heart"
    assert line.duration == pytest.approx(audio.size / rate, abs=0.01) and 3.0 < line.duration < 9.0
    assert [w for w, _, _ in line.words] == ["Dry", "skin", "after", "winter", "This", "cream", "fixes", "it",
                                             "overnight", "and", "it's", "only", "89", "yuan"]
    for (_, a, b), (_, c, _) in zip(line.words, line.words[1:], strict=False):
        assert a < b <= c, "word times overlap or go backwards"
    # Each word's span is voiced; the question mark's pause between "winter" and "This" is quiet.
    for word, a, b in line.words:
        assert rms(audio[int(a * rate): int(b * rate)]) > 0.01, f"{word} at {a}-{b} s is silent"
    gap = audio[int(line.words[3][2] * rate): int(line.words[4][1] * rate)]
    assert gap.size > 0.15 * rate and rms(gap) < 0.3 * rms(audio)
    # The same line always sounds the same (a seeded noise part), so reruns of a job match.
    again = HibariVoice().speak(text, "en", tmp_path / "h2.wav")
    assert np.array_equal(read_mono(Path(again.path))[0], audio)


def test_hibari_refuses_other_languages_clearly(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="speaks English only"):
        HibariVoice().speak("你好", "zh", tmp_path / "x.wav")


def test_mandarin_voice_reads_tones_not_english_digits(tmp_path: Path) -> None:
    """espeak-ng 1.51's `cmn` voice reads 你好 as "ni three hao three"; ours must read Mandarin syllables."""
    voice = VOICES["zh"][0]
    phonemes = subprocess.run(["espeak-ng", "-q", "-x", "-v", voice, "今天的天气很好，点下方小黄车。"],
                              capture_output=True, text=True, check=True).stdout
    assert "(en)" not in phonemes and "Tr'i:" not in phonemes, phonemes  # no switch to English, no "three"
    line = EspeakVoice().speak("这款面霜质地轻薄，到手价89元。", "zh", tmp_path / "z.wav")
    assert line.voice == voice and line.engine == "espeak"
    assert [w for w, _, _ in line.words] == ["这", "款", "面", "霜", "质", "地", "轻", "薄", "到", "手", "价", "89", "元"]
    audio, rate = read_mono(tmp_path / "z.wav")
    starts = [a for _, a, _ in line.words]
    assert starts == sorted(starts) and line.words[-1][2] <= audio.size / rate + 0.01


def test_word_times_land_on_the_track(tmp_path: Path) -> None:
    script = Script(sku="T", language="en", beats=[Beat(kind="hook", lines=[Line(text="Tap the cart below.")]),
                                                   Beat(kind="cta", lines=[Line(text="Only 149 yuan today.")])])
    track = speak_script(script, HibariVoice(), tmp_path)
    audio, rate = read_mono(Path(track.path))
    for timing in track.lines:
        assert timing.words and timing.start <= timing.words[0][1] < timing.words[-1][2] <= timing.end
        for word, a, b in timing.words:
            assert rms(audio[int(a * rate): int(b * rate)]) > 0.01, f"{word} is silent on the track"
    assert track.engine == "hibari" and track.voice == "heart"


@pytest.mark.parametrize(("product", "engine"), [(CREAM, EspeakVoice), (STAND, HibariVoice)],
                         ids=["zh-espeak", "en-hibari"])
def test_writer_prediction_matches_the_spoken_track(tmp_path: Path, product: Product, engine) -> None:
    """A script written for 30 s at the engine's measured rate, spoken for real: the wav's length is within
    10 % of what the writer's timing model predicted, and the script fits the 30 s."""
    voice = engine()
    writer = TemplateWriter(voice.chars_per_second)
    script = writer.write(product, Brief(duration=30), 1)
    predicted = writer.timing(product.language).script_seconds(script)
    track = speak_script(script, voice, tmp_path)
    audio, rate = read_mono(Path(track.path))
    spoken = audio.size / rate
    assert abs(spoken - predicted) <= 0.10 * predicted, f"spoken {spoken:.2f} s, predicted {predicted:.2f} s"
    assert 22 <= predicted <= 30 and spoken <= 33


def test_concurrent_lines_keep_order_and_timings(tmp_path: Path) -> None:
    script = TemplateWriter(2.8).write(STAND, Brief(duration=20), 2)
    one = speak_script(script, HibariVoice(), tmp_path / "serial", workers=1)
    many = speak_script(script, HibariVoice(), tmp_path / "parallel", workers=4)
    assert [t.model_dump() for t in many.lines] == [t.model_dump() for t in one.lines]
    assert [t.text for t in many.lines] == [line.text for line in script.lines()]
    assert np.array_equal(read_mono(Path(one.path))[0], read_mono(Path(many.path))[0])


def test_commands_that_do_not_speak_never_load_the_model() -> None:
    code = ("import sys, generator.cli, generator.pipeline\n"
            "from generator.settings import Settings\n"
            "from generator.voice.registry import get_voice\n"
            "for name in ('auto', 'hibari', 'espeak'): get_voice(name, Settings())\n"
            "heavy = [m for m in ('onnxruntime', 'onnx', 'hibari', 'openai') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
