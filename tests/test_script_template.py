"""The offline template writer: structure, languages, duration budget, grounding, variants, post copy."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import pytest

from generator.models import BEAT_ORDER, Brief, Product
from generator.platforms import get_preset, load_presets
from generator.script.template_writer import TemplateWriter
from generator.voice.espeak import EspeakVoice
from generator.voice.track import speak_script

CREAM = Product(
    sku="HB-1001", title="保湿补水面霜", brand="山水集", category="美妆", price=129, sale_price=89,
    selling_points=["含神经酰胺修护屏障", "质地轻薄不黏腻", "48小时持续保湿"],
    specs={"容量": "50g", "适用肤质": "干性及混合性"}, audience="秋冬皮肤干燥的上班族",
    scenes=["早晚护肤", "空调房"], offer="直播间下单送同款小样两支", images=["/nonexistent/cream.jpg"],
)
STAND = Product(
    sku="EN-4004", title="Foldable Laptop Stand", brand="Lifto", category="electronics", price=199, sale_price=149,
    selling_points=["Six height levels for better posture", "Aluminium body folds flat to 0.8 cm"],
    specs={"Weight": "210 g"}, audience="remote workers", scenes=["home office"], offer="Free carry pouch", language="en",
)
RATE = 4.0  # a fixed speaking rate keeps these tests independent of espeak


@pytest.mark.parametrize("product", [CREAM, STAND])
def test_beats_follow_the_selling_arc(product: Product) -> None:
    script = TemplateWriter(chars_per_second=RATE).write(product, Brief(platforms=["douyin"]), 1)
    kinds = [b.kind for b in script.beats]
    assert kinds[0] == "hook" and kinds[-1] == "cta"
    assert "demo" in kinds and "offer" in kinds
    assert [k for k in BEAT_ORDER if k in kinds] == list(dict.fromkeys(kinds)), "beats out of 痛点→演示→证明→福利→行动 order"
    assert script.language == product.language
    for line in script.lines():
        assert line.text.strip() and line.shown.strip()


def test_english_script_is_english() -> None:
    script = TemplateWriter(chars_per_second=3.0).write(STAND, Brief(), 1)
    assert not re.search(r"[\u4e00-\u9fff]", script.narration())


@pytest.mark.parametrize(("product", "duration"), [
    (CREAM, 15), (CREAM, 30), (STAND, 30),
    # Measured from the real voice, a 60 s brief gives ~36 s of speech: the edit stage (issue #12) fits the
    # script to the measured voice. Strict, so this flips to a failure when it is fixed and the marker must go.
    pytest.param(CREAM, 60, marks=pytest.mark.xfail(strict=True, reason="the writer alone runs short at 60 s; the voice step fits it (test_duration_fit.py)")),
])
def test_spoken_script_fits_the_duration(product: Product, duration: int, tmp_path: Path) -> None:
    """Written at the real voice's rate, then really spoken: the voice track (measured from the wav, pauses and
    all) fits the clip and fills most of it."""
    voice = EspeakVoice()
    script = TemplateWriter(voice.chars_per_second).write(product, Brief(duration=duration), 1)
    track = speak_script(script, voice, tmp_path, music=None)
    with wave.open(track.path, "rb") as wav:
        spoken = wav.getnframes() / wav.getframerate()
    assert spoken <= duration * 1.1, f"{spoken:.1f}s of voice for a {duration}s clip"
    assert spoken >= duration * 0.6, f"only {spoken:.1f}s of voice for a {duration}s clip"


def test_never_states_numbers_that_are_not_in_the_sheet() -> None:
    sheet_text = CREAM.model_dump_json()
    for variant in range(1, 6):
        script = TemplateWriter(chars_per_second=RATE).write(CREAM, Brief(duration=60), variant)
        for number in re.findall(r"\d+(?:\.\d+)?", script.narration()):
            assert number in sheet_text, f"variant {variant} invented the number {number}"


def test_variants_differ() -> None:
    writer = TemplateWriter(chars_per_second=RATE)
    scripts = [writer.write(CREAM, Brief(), v) for v in range(1, 4)]
    hooks = {s.hook.lines[0].text for s in scripts}
    assert len(hooks) == 3
    assert len({s.angle for s in scripts}) == 3
    assert len({s.narration() for s in scripts}) == 3


def test_same_inputs_same_script() -> None:
    a = TemplateWriter(chars_per_second=RATE).write(CREAM, Brief(), 2)
    b = TemplateWriter(chars_per_second=RATE).write(CREAM, Brief(), 2)
    assert a == b


@pytest.mark.parametrize("platform", sorted(load_presets()))
def test_post_copy_within_platform_limits(platform: str) -> None:
    script = TemplateWriter(chars_per_second=RATE).write(CREAM, Brief(platforms=[platform]), 1)
    copy = script.copy_by_platform[platform]
    preset = get_preset(platform)
    assert 0 < len(copy.title) <= preset.title_chars
    assert len(copy.description) <= preset.description_chars
    assert 0 < len(copy.hashtags) <= preset.hashtags
    assert all(tag.startswith("#") and " " not in tag for tag in copy.hashtags)


def test_product_without_price_or_images_still_gets_a_script() -> None:
    bare = Product(sku="X1", title="竹制收纳盒", selling_points=["可叠放"])
    script = TemplateWriter(chars_per_second=RATE).write(bare, Brief(), 1)
    assert all(b.visual.startswith("card:") for b in script.beats)
    assert "offer" not in [b.kind for b in script.beats]


@pytest.mark.parametrize("product", [CREAM, STAND])
def test_three_template_variants_are_pairwise_distinct(product: Product) -> None:
    """MCN batches: variants of one product stay below 0.5 character-3-gram similarity."""
    from generator.script.similarity import pairwise

    writer = TemplateWriter(chars_per_second=3.7)
    scripts = [writer.write(product, Brief(duration=30), v) for v in range(1, 4)]
    assert all(similarity < 0.5 for _, _, similarity in pairwise(scripts)), pairwise(scripts)
