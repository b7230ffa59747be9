"""Frame layout for every preset and style: every layer (animation included) inside the safe zone, captions
never over callouts, the AIGC label at a corner and big enough, drawn last."""

from __future__ import annotations

import numpy as np
import pytest

from generator.compliance.aigc import MIN_LABEL_HEIGHT_RATIO, is_explicit_label_text
from generator.edit import load_styles, plan_timeline
from generator.edit.regions import inside, overlaps
from generator.models import Layer, Timeline
from generator.platforms import load_presets
from generator.video.layers import draw, measure
from generator.video.text import wrap
from tests.edit_samples import PRODUCT, photo, script, voice

STYLES = sorted(load_styles())
CALLOUT_KINDS = {"hook", "callout", "title", "spec_row", "price_old", "price_tag", "price", "offer", "pointer", "cta"}


def _plan(key: str, scale: float = 1.0, style: str = "clean", photos: bool = True, disclosures: tuple = ()) -> Timeline:
    preset = load_presets()[key].scaled(scale)
    return plan_timeline(PRODUCT, script(), voice(), preset, load_styles()[style], [photo()] if photos else [],
                         disclosures=list(disclosures))


def _grown(layer: Layer) -> tuple[int, int, int, int]:
    x, y, w, h = layer.bounds
    return x, y, w, h


@pytest.mark.parametrize("key", sorted(load_presets()))
def test_every_layer_stays_inside_the_safe_zone(key: str) -> None:
    """All presets (full size and proxy), every style in turn, with and without photos and disclosures."""
    n = sorted(load_presets()).index(key)
    for scale, style, photos in ((1.0, STYLES[n % 4], True), (0.25, STYLES[(n + 1) % 4], False)):
        timeline = _plan(key, scale, style, photos, ("本品不能代替药物",))
        safe = timeline.safe_zone
        for layer in timeline.layers:
            x, y, w, h = layer.bounds
            grown = (x + 1, y + 1, w - 2, h - 2)  # a pixel of rounding either side
            assert inside(grown, safe), f"{key} {style} x{scale}: {layer.kind} {layer.text} {layer.bounds} outside {safe}"
            assert measure(layer, timeline.language) == layer.box[2:], f"{layer.kind}: box is not what is drawn"


@pytest.mark.parametrize("key", ["douyin", "wechat_channels", "xiaohongshu", "youtube_shorts"])
def test_captions_never_cover_callouts(key: str) -> None:
    for style in STYLES:
        timeline = _plan(key, 1.0, style)
        captions = [la for la in timeline.layers if la.kind == "caption"]
        others = [la for la in timeline.layers if la.kind in CALLOUT_KINDS]
        assert captions and others
        for c in captions:
            for o in others:
                if c.start < o.end and o.start < c.end:
                    assert not overlaps(c.bounds, o.bounds), f"{style}: caption {c.text} over {o.kind} {o.text}"


@pytest.mark.parametrize("key", sorted(load_presets()))
def test_aigc_label_geometry(key: str) -> None:
    timeline = _plan(key)
    (label,) = [la for la in timeline.layers if la.kind == "label"]
    assert is_explicit_label_text(label.text[0])
    assert label.start == 0.0 and label.end == timeline.duration
    # Glyph height of the rendered label text, measured from its pixels.
    img = np.asarray(draw(label, "zh"))
    white = (img[:, :, :3].min(axis=2) > 200) & (img[:, :, 3] > 200)
    rows = np.flatnonzero(white.any(axis=1))
    assert rows[-1] - rows[0] + 1 >= MIN_LABEL_HEIGHT_RATIO * min(timeline.width, timeline.height)
    x, y, _, _ = label.box
    assert x <= timeline.width * 0.1 and y <= timeline.height * 0.16
    # Drawn last: no layer is above it.
    assert label.z == max(la.z for la in timeline.layers)


def test_wrap_respects_width_and_keeps_words() -> None:
    lines = wrap("Aluminium body folds flat to 0.8 cm for your bag", "en", 40, 400)
    assert len(lines) >= 2
    assert " ".join(lines) == "Aluminium body folds flat to 0.8 cm for your bag"
    lines = wrap("质地轻薄，不黏腻。四十八小时持续保湿", "zh", 40, 300)
    assert all(not line.startswith(("，", "。")) for line in lines), "a line starts with punctuation"
