"""Layout for every preset: captions wrapped inside the safe zone, the AIGC label at a corner and big enough."""

from __future__ import annotations

import numpy as np
import pytest

from generator.compliance.aigc import MIN_LABEL_HEIGHT_RATIO, is_explicit_label_text
from generator.models import Beat, Line, LineTiming, Product, Script, VoiceTrack
from generator.platforms import load_presets
from generator.video.layout import build_timeline
from generator.video.render import build_sprites, overlay_image, place
from generator.video.text import wrap

LONG = "这是一句非常非常长的字幕，用来检查换行是否按照显示宽度进行，并且绝对不会超出平台安全区域的边界范围"
PRODUCT = Product(sku="L1", title="测试商品", price=99, sale_price=59)
SCRIPT = Script(sku="L1", beats=[Beat(kind="hook", lines=[Line(text=LONG)]),
                                 Beat(kind="cta", lines=[Line(text="English caption that is long enough to wrap twice")])])
VOICE = VoiceTrack(path="x.wav", duration=6.0, engine="test", lines=[
    LineTiming(index=0, text=LONG, caption=LONG, start=0.3, end=3.0),
    LineTiming(index=1, text="e", caption="English caption that is long enough to wrap twice", start=3.3, end=5.5),
])


@pytest.mark.parametrize("key", sorted(load_presets()))
@pytest.mark.parametrize("scale", [1.0, 0.25])
def test_overlays_stay_inside_the_safe_zone(key: str, scale: float) -> None:
    preset = load_presets()[key].scaled(scale)
    timeline = build_timeline(PRODUCT, SCRIPT, VOICE, preset, disclosures=["本品不能代替药物"])
    left, top, right, bottom = preset.safe_box()
    for overlay in timeline.overlays:
        img = overlay_image(overlay, timeline.language)
        x, y = place(overlay, img, preset.width, preset.height)
        assert left - 1 <= x and x + img.width <= right + 1, f"{overlay.kind} leaves the safe zone horizontally"
        assert top - 1 <= y and y + img.height <= bottom + 1, f"{overlay.kind} leaves the safe zone vertically"


@pytest.mark.parametrize("key", sorted(load_presets()))
def test_aigc_label_geometry(key: str) -> None:
    preset = load_presets()[key]
    timeline = build_timeline(PRODUCT, SCRIPT, VOICE, preset)
    (label,) = [o for o in timeline.overlays if o.kind == "label"]
    assert is_explicit_label_text(label.lines[0])
    assert label.start == 0.0 and label.end == VOICE.duration
    # Glyph height of the rendered label text, measured from its pixels.
    img = np.asarray(overlay_image(label, "zh"))
    white = (img[:, :, :3].min(axis=2) > 200) & (img[:, :, 3] > 200)
    rows = np.flatnonzero(white.any(axis=1))
    glyph_height = rows[-1] - rows[0] + 1
    assert glyph_height >= MIN_LABEL_HEIGHT_RATIO * preset.short_side, (glyph_height, preset.short_side)
    # At a corner: the top-left of the safe zone, within a small margin of the frame edge.
    x, y = place(label, overlay_image(label, "zh"), preset.width, preset.height)
    assert x <= preset.width * 0.1 and y <= preset.height * 0.16


def test_captions_follow_line_timing() -> None:
    timeline = build_timeline(PRODUCT, SCRIPT, VOICE, load_presets()["douyin"])
    captions = [o for o in timeline.overlays if o.kind == "caption"]
    assert [(c.start, c.end) for c in captions] == [(0.3, 3.0), (3.3, 5.5)]
    assert "".join(captions[0].lines) == LONG, "wrapping lost or changed characters"
    assert len(captions[0].lines) >= 2


def test_wrap_respects_width_and_keeps_words() -> None:
    lines = wrap("Aluminium body folds flat to 0.8 cm for your bag", "en", 40, 400)
    assert len(lines) >= 2
    assert " ".join(lines) == "Aluminium body folds flat to 0.8 cm for your bag"
    lines = wrap("质地轻薄，不黏腻。四十八小时持续保湿", "zh", 40, 300)
    assert all(not line.startswith(("，", "。")) for line in lines), "a line starts with punctuation"


def test_label_is_drawn_last_so_nothing_covers_it() -> None:
    timeline = build_timeline(PRODUCT, SCRIPT, VOICE, load_presets()["douyin"])
    sprites = build_sprites(timeline)
    assert sprites[-1].start == 0.0 and sprites[-1].end == VOICE.duration
