"""Callouts: the hook in big type, selling points with their numbers lit, the pain question, card words and
the pointer to the cart (pure: data in, Layers out).

Sizes are shares of the frame's short side. The hook's glyphs stay ≥ 7 % of it (font ≥ 8 %: CJK glyphs
fill about 88 % of the em). A selling point's numbers with their units (30秒, 48小时, 2000mAh) are
highlighted in the style's accent colour; without a number its keyword is.
"""

from __future__ import annotations

import math

from generator.edit.captions import NUMBER, keyword_span
from generator.edit.regions import Regions
from generator.edit.styles import Style
from generator.edit.textlayers import Frame, callout_look, enter, place, text_layer
from generator.models import Animation, Box, Layer, Product
from generator.platforms import CartSpot

HOOK_MIN = 0.08  # font size share of the short side that keeps CJK glyphs ≥ 7 %


def number_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in NUMBER.finditer(text) if any(ch.isdigit() for ch in m.group())]


def emphasis(text: str, language: str, hints: tuple[str, ...] = ()) -> list[tuple[int, int]]:
    """Spans to light up: every number with its unit, else the keyword."""
    spans = number_spans(text)
    if spans:
        return spans
    key = keyword_span(text, language, hints)
    return [key] if key else []


def hook_title(text: str, frame: Frame, regions: Regions, style: Style, end: float,
               hints: tuple[str, ...] = ()) -> Layer:
    size = max(round(frame.short * style.hook.size), math.ceil(frame.short * HOOK_MIN))
    look = style.hook
    outline = look.outline
    return text_layer(
        "hook", text, frame, regions.title, size=size, min_size=math.ceil(frame.short * HOOK_MIN), start=0.0,
        end=end, anchor="top-center", max_lines=3, spans=emphasis(text, frame.language, hints), z=30,
        animation=Animation(enter=look.enter, duration=0.3 if look.enter != "none" else 0.0,
                            curve="ease_out" if look.enter == "stamp" else style.callout.curve),
        font=style.fonts.display, shape=look.shape, background=look.background,
        fill=look.fill or style.colors.text, highlight_fill=style.colors.accent,
        stroke=style.colors.ink if outline else None, stroke_width=max(2, size // 11) if outline else 0,
        padding=max(6, size // 4), line_spacing=1.18,
    )


def point_callout(text: str, frame: Frame, regions: Regions, style: Style, start: float, end: float,
                  hints: tuple[str, ...] = (), kind: str = "callout") -> Layer:
    size = round(frame.short * style.callout.size)
    return text_layer(kind, text, frame, regions.callout, size=size, start=start, end=end,  # type: ignore[arg-type]
                      anchor="bottom-center", spans=emphasis(text, frame.language, hints), z=20,
                      animation=enter(style, frame), **callout_look(style, frame))


def question(text: str, frame: Frame, regions: Regions, style: Style, start: float, end: float) -> Layer:
    """The pain beat's question (怕买错？), big, where the hook title was."""
    size = round(frame.short * style.callout.size * 1.2)
    return text_layer("callout", text, frame, regions.title, size=size, start=start, end=end, anchor="top-center",
                      spans=emphasis(text, frame.language), z=20, animation=enter(style, frame, "pop", 0.25),
                      **callout_look(style, frame))


def card_words(card: str, product: Product, frame: Frame, regions: Regions, style: Style, start: float,
               end: float) -> list[Layer]:
    """The words a title, scene or call-to-action card carries (its picture is only the background)."""
    px, _, pw, _ = regions.panel
    top = regions.title[1] + regions.title[3]
    area = (px, top, pw, max(1, regions.callout[1] - top))
    zh = frame.language == "zh"
    if card == "scene":
        head = product.audience or product.category or product.title
        tail = (" · " if not zh else "｜").join(product.scenes[:3])
    elif card in ("title", "cta"):
        head, tail = product.title, product.brand
    else:
        return []
    look = {"font": style.fonts.display, "fill": "#FFFFFF", "stroke": style.colors.ink, "highlight_fill": style.colors.accent}
    big = round(frame.short * (0.1 if card != "scene" else 0.078))
    layers = [text_layer("title", head, frame, area, size=big, start=start, end=end, max_lines=3, z=12,
                         animation=Animation(enter="fade", duration=0.25), stroke_width=max(2, big // 9),
                         padding=4, **look)]
    if tail:
        small = round(frame.short * 0.058)
        hx, hy, hw, hh = layers[0].box
        below = (px, hy + hh, pw, max(1, area[1] + area[3] - (hy + hh)))
        layers.append(text_layer("title", tail, frame, below, size=small, start=start + 0.15, end=end,
                                 anchor="top-center", z=12, animation=Animation(enter="fade", duration=0.25),
                                 stroke_width=max(2, small // 8), padding=4, **look))
    return layers


def pointer(cart: CartSpot, frame: Frame, regions: Regions, style: Style, start: float, end: float) -> list[Layer]:
    """An arrow bouncing toward where the platform shows the cart or link, and what to tap, beside it."""
    W, H = frame.width, frame.height
    tx, ty = cart.x * W, cart.y * H
    rx, ry, rw, rh = regions.callout
    s = max(16, round(frame.short * 0.2))
    amp = max(2, round(frame.short * 0.02))
    inset = s // 2 + amp + 2
    cx = min(max(tx, rx + inset), rx + rw - inset)
    cy = min(max(ty, ry + inset), ry + rh - inset)
    dx, dy = tx - cx, ty - cy
    if math.hypot(dx, dy) < 1:
        dx, dy = 0.0, 1.0
    anim = Animation(enter="pop", duration=0.25, curve="back_out", loop="bounce", period=0.6, amplitude=amp,
                     direction=(dx, dy))
    arrow = Layer(kind="pointer", start=round(start, 3), end=round(end, 3), box=(0, 0, 0, 0), bounds=(0, 0, 0, 0),
                  z=25, size=s, shape="arrow", fill=style.colors.accent, stroke=style.colors.ink, pointing=(dx, dy),
                  animation=anim)
    arrow = place(arrow, frame, (int(cx - s / 2), int(cy - s / 2), s, s), "center")
    ax, _, aw, _ = arrow.box
    gap = max(4, s // 6)
    label_region: Box = (ax + aw + gap, ry, rx + rw - (ax + aw + gap), rh) if cx < rx + rw / 2 \
        else (rx, ry, ax - gap - rx, rh)
    if label_region[2] < frame.short * 0.2:
        label_region = (rx, ry, rw, max(1, arrow.box[1] - ry - gap)) if cy > ry + rh / 2 else regions.callout
    words = cart.zh if frame.language == "zh" else cart.en
    size = round(frame.short * style.callout.size)
    label = text_layer("cta", words, frame, label_region, size=size, start=start + 0.1, end=end, anchor="center",
                       z=24, spans=[], animation=enter(style, frame), **callout_look(style, frame))
    return [arrow, label]
