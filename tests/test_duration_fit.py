"""The voice step honours the brief's length: the real espeak voice track lands within ±10 % of 15 s and 60 s
(30 s is measured on the rendered clips in test_edit_render.py), by dropping or adding lines and a speaking
rate within ±8 %."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.bootstrap import build_engines
from generator.models import Brief
from generator.pipeline import write_scripts
from generator.pipeline.steps import review, speak_fitted
from generator.script.template_writer import extra_lines
from generator.settings import Settings
from generator.sheets import read_sheet

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def products() -> dict:
    return {p.sku: p for p in read_sheet(ROOT / "examples" / "products.csv").products}


@pytest.mark.parametrize(("sku", "seconds"), [("HB-3003", 15), ("EN-4004", 60)])
def test_voice_track_lands_on_the_brief(products: dict, sku: str, seconds: int, tmp_path: Path) -> None:
    product = products[sku]
    brief = Brief(duration=seconds, music=False)
    engines = build_engines(Settings(voice="espeak"), brief)
    script = write_scripts(product, brief, engines.writer)[0]
    spoken = speak_fitted(review(script, product, brief, engines), brief, tmp_path, engines)
    fitted, voice = spoken.script, spoken.voice
    assert abs(voice.duration - seconds) <= 0.1 * seconds, f"{sku}: {voice.duration:.1f} s for {seconds} s"
    assert len(voice.lines) == len(fitted.lines()), "the voice speaks exactly the fitted script"
    assert [t.text for t in voice.lines] == [line.text for line in fitted.lines()]
    rate = float(re.search(r"rate ×([\d.]+)", fitted.notes[-1]).group(1))
    assert 0.92 <= rate <= 1.08, fitted.notes[-1]
    kinds = [b.kind for b in fitted.beats]
    assert kinds[0] == "hook" and kinds[-1] == "cta" and "offer" in kinds, "the spine stays"
    if seconds == 60:  # lengthened with the sheet's own facts, never invented ones
        said = fitted.narration()
        assert all(p.rstrip(".") in said for p in product.selling_points)


def test_extra_lines_only_say_what_the_sheet_says(products: dict) -> None:
    product = products["HB-2002"]
    brief = Brief(duration=15)
    script = write_scripts(product, brief, build_engines(Settings(), brief).writer)[0]
    sheet_text = " ".join([*product.selling_points, *product.specs.values(), *product.scenes, product.audience,
                           product.offer, product.title, product.brand, str(int(product.sale_price or 0))])
    for _, line in extra_lines(product, script):
        facts = re.findall(r"\d+(?:\.\d+)?", line.text)
        assert all(f in sheet_text for f in facts), f"{line.text} states a number the sheet does not"
