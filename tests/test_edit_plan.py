"""The edit stage's plan: shot rhythm and treatments per beat, pictures from every photo, captions timed to
the voice, callouts with their numbers lit, the price slam on the spoken price, the pointer toward the cart,
sound cues on cuts. Pure planning: no pixels are drawn here except to measure the hook's glyphs."""

from __future__ import annotations

import math
import re

import numpy as np

from generator.edit import load_styles, plan_timeline
from generator.edit.captions import caption_phrases, sheet_terms
from generator.edit.shots import MAX_SHOT
from generator.models import Timeline
from generator.platforms import get_preset
from generator.video.layers import draw
from tests.edit_samples import PRODUCT, photo, script, voice

CLEAN = load_styles()["clean"]


def _plan(platform: str = "douyin", photos: int = 1, style: str = "bold", words: bool = False,
          captions: str = "verbatim") -> Timeline:
    return plan_timeline(PRODUCT, script(), voice(words), get_preset(platform), load_styles()[style],
                         [photo(i) for i in range(photos)], captions=captions)


def test_shots_cut_fast_and_cover_the_clip() -> None:
    for style in load_styles():
        timeline = _plan(style=style)
        shots = timeline.shots
        assert shots[0].start == 0 and shots[-1].end == timeline.duration
        assert all(a.end == b.start for a, b in zip(shots, shots[1:], strict=False)), "gaps or overlaps between shots"
        assert shots[1].start <= 1.5, f"{style}: the first cut comes at {shots[1].start} s"
        assert max(s.end - s.start for s in shots) <= MAX_SHOT + 1e-6
        assert np.mean([s.end - s.start for s in shots]) <= 2.5
        assert shots[0].zoom and shots[0].zoom[0][1] > 1.05, "the hook punches in"


def test_each_beat_gets_its_treatment() -> None:
    timeline = _plan()
    by_beat: dict[str, list] = {}
    for shot in timeline.shots:
        by_beat.setdefault(shot.beat, []).append(shot)
    hook = by_beat["hook"][0].picture
    assert hook.kind == "photo" and hook.fit == "contain" and hook.region == (0.0, 0.0, 1.0, 1.0), "product from frame 0"
    assert all(s.picture.tint or s.picture.card == "scene" for s in by_beat["pain"]), "pain: a different framing"
    demo = [s.picture for s in by_beat["demo"]]
    assert len(set(demo)) == len(demo) and hook not in demo, "one new picture per selling point"
    assert by_beat["proof"][0].picture.card == "specs"
    assert any(s.picture.card == "offer" for s in by_beat["offer"])
    kinds = {la.kind for la in timeline.layers}
    assert {"hook", "callout", "spec_row", "price_old", "price_tag", "price", "offer", "pointer", "cta"} <= kinds
    assert len([t for t in timeline.shots if t.transition.kind != "cut"]) >= 3, "transitions besides hard cuts"


def test_consecutive_shots_always_change_the_picture() -> None:
    for platform in ("douyin", "wechat_channels", "xiaohongshu", "youtube_shorts"):
        for style in load_styles():
            for photos in (0, 1, 3):
                shots = _plan(platform, photos=photos, style=style).shots
                for a, b in zip(shots, shots[1:], strict=False):
                    assert a.picture != b.picture or b.zoom, f"{platform} {style} {photos}: same picture at {b.start}"


def test_every_photo_is_shown_and_one_photo_gives_detail_crops() -> None:
    three = _plan(photos=3)
    assert {s.picture.image for s in three.shots if s.picture.kind == "photo"} == {0, 1, 2}
    one = _plan(photos=1)
    regions = {s.picture.region for s in one.shots if s.picture.kind == "photo"}
    assert len(regions) >= 3, "a single photo is shown whole, tight and on its details"
    none = _plan(photos=0)
    assert all(s.picture.kind == "card" for s in none.shots)
    assert len({(s.picture.card, s.picture.colors, s.picture.pattern) for s in none.shots}) >= 5, "cards vary"


def test_hook_type_is_at_least_7_percent_of_the_short_side() -> None:
    for platform in ("douyin", "wechat_channels", "xiaohongshu"):
        timeline = _plan(platform, style="clean")
        (hook,) = [la for la in timeline.layers if la.kind == "hook"]
        short = min(timeline.width, timeline.height)
        img = np.asarray(draw(hook.model_copy(update={"text": hook.text[:1], "shape": "none", "stroke": None}), "zh"))
        rows = np.flatnonzero((img[:, :, 3] > 128).any(axis=1))
        assert rows[-1] - rows[0] + 1 >= 0.07 * short, f"{platform}: hook glyphs {rows[-1] - rows[0] + 1}px"
        assert hook.start == 0.0 and hook.end >= timeline.shots[1].start


def test_callouts_light_up_their_numbers() -> None:
    timeline = _plan()
    lit = {"".join(la.text)[a:b] for la in timeline.layers if la.kind in ("callout", "spec_row") for a, b in la.highlight}
    assert {"30秒", "15杯", "2000mAh", "350ml"} <= lit, lit


def test_price_slam_lands_when_the_price_is_said() -> None:
    timeline = _plan()
    layers = {la.kind: la for la in timeline.layers}
    offer_line = voice().lines[5]
    assert layers["price"].text == ["¥139"] and layers["price_tag"].text == ["到手价"]
    assert layers["price_old"].strike and "199" in layers["price_old"].text[0]
    text = offer_line.text
    share = text.index("139") / len(text)  # where the number sits in the spoken line
    expected = offer_line.start + share * (offer_line.end - offer_line.start)
    assert abs(layers["price"].start - expected) < 0.6, (layers["price"].start, expected)
    card = next(s for s in timeline.shots if s.picture.card == "offer")
    assert abs(card.start - layers["price"].start) < 0.15, "the cut to the price card is the slam"
    assert all(not (la.kind == "badge" and la.start < layers["price"].end and layers["price"].start < la.end)
               for la in timeline.layers), "the badge steps aside during the slam"


def test_pointer_points_at_where_the_platform_shows_the_cart() -> None:
    for platform in ("douyin", "wechat_channels", "xiaohongshu"):
        timeline = _plan(platform)
        preset = get_preset(platform)
        (arrow,) = [la for la in timeline.layers if la.kind == "pointer"]
        x, y, w, h = arrow.box
        to_cart = (preset.cart.x * preset.width - (x + w / 2), preset.cart.y * preset.height - (y + h / 2))
        dx, dy = arrow.pointing
        cos = (dx * to_cart[0] + dy * to_cart[1]) / (math.hypot(dx, dy) * math.hypot(*to_cart))
        assert cos > 0.99, f"{platform}: the arrow points {arrow.pointing}, the cart is at {to_cart}"
        assert arrow.animation.loop == "bounce"


def test_verbatim_captions_say_what_is_said_in_order() -> None:
    phrases = caption_phrases(script(), voice().lines, "zh", terms=sheet_terms(PRODUCT))
    for timing in voice().lines:
        mine = [p for p in phrases if p.line == timing.index]
        bare = re.sub(r"[，。！？：\s]", "", timing.text)
        assert re.sub(r"[，。！？：\s]", "", "".join(p.text for p in mine)) == bare, "words lost or changed"
        assert all(len(p.text) <= 14 for p in mine), [p.text for p in mine]
        assert mine[0].start == timing.start and mine[-1].end == timing.end
        assert all(a.end <= b.start + 1e-6 and a.start < a.end for a, b in zip(mine, mine[1:], strict=False))
    keyworded = [p for p in phrases if p.keyword]
    assert len(keyworded) >= len(phrases) * 0.7, "most phrases have a keyword lit"
    keywords = caption_phrases(script(), voice().lines, "zh", "keywords")
    assert [p.text for p in keywords] == [line.caption for line in voice().lines]


def test_word_timings_place_the_phrases() -> None:
    timed = voice(words=True)
    phrases = caption_phrases(script(), timed.lines, "zh")
    for p in phrases:
        words = timed.lines[p.line].words
        first = next(ch for ch in p.text if ch.isalnum())
        assert any(abs(p.start - s) < 1e-3 and w == first for w, s, _ in words), (p.text, p.start)


def test_sound_cues_sit_on_cuts_and_callouts() -> None:
    timeline = _plan()
    cues = timeline.sounds
    for shot in timeline.shots[1:]:
        assert any(abs(c.t - shot.start) <= 0.05 for c in cues), f"no sound on the cut at {shot.start}"
    price = next(la for la in timeline.layers if la.kind == "price")
    assert any(c.sound == "ding" and abs(c.t - price.start) < 0.01 for c in cues)
    assert sum(c.sound == "pop" for c in cues) >= 2


def test_the_plan_is_deterministic_and_style_shapes_it() -> None:
    assert _plan() == _plan()
    bold, premium = _plan(style="bold"), _plan(style="premium")
    assert {s.transition.kind for s in bold.shots} != {s.transition.kind for s in premium.shots}
    assert {la.font for la in premium.layers if la.kind == "hook"} == {"serif"}


def test_nothing_the_edit_writes_covers_a_picture_in_picture_host() -> None:
    """The host's box (as the host engines place it) is clear of every caption, callout, spec row, title and
    price layer where it rests, on every vertical platform and in every style (a pop may overshoot by a few
    pixels while it enters); only the corner row sits above it."""
    from generator.edit.regions import overlaps
    from generator.host.layout import host_box
    from generator.pipeline.layout import host_safe_box

    for platform in ("douyin", "kuaishou", "xiaohongshu", "tiktok"):
        preset = get_preset(platform)
        box = host_box((preset.width, preset.height), "pip", 1.25, host_safe_box(preset, "pip"))
        for style in load_styles():
            timeline = plan_timeline(PRODUCT, script(), voice(False), preset, load_styles()[style], [photo(0)],
                                     host_layout="pip", host_box=box)
            covering = [(la.kind, la.text[:1], la.box) for la in timeline.layers
                        if la.kind not in ("label", "badge", "disclosure", "logo") and overlaps(la.box, box)]
            assert not covering, f"{platform}/{style}: host at {box} covered by {covering[:3]}"
