"""The proof and offer beats' cards: spec rows that slide in one by one, and the price slam (pure).

The price slam stacks, in the middle of the frame: the original price struck through (原价 ¥199), the
到手价 tag, the sale price very large, stamped in when the voice says it (the edit finds the number in the
spoken line and times it from the word timings, or by its place among the line's characters), and the
offer text sliding up after it.
"""

from __future__ import annotations

from generator.edit.captions import time_phrases
from generator.edit.regions import Regions
from generator.edit.styles import Style
from generator.edit.textlayers import Frame, callout_look, enter, text_layer, with_alpha
from generator.formatting import money, price_text
from generator.models import Animation, Layer, LineTiming, Product

ROW_STAGGER = 0.3


def spoken_at(timings: list[LineTiming], needle: str, language: str) -> float | None:
    """When `needle` (e.g. the sale price '139') is spoken in these lines, or None when it is not."""
    for timing in timings:
        at = timing.text.find(needle)
        if at < 0:
            continue
        before, rest = timing.text[:at], timing.text[at:]
        start, _ = time_phrases(timing, [before, rest], language)[1] if before else (timing.start, timing.end)
        return start
    return None


def spec_rows(product: Product, fallback: list[str], frame: Frame, regions: Regions, style: Style, start: float,
              end: float) -> list[Layer]:
    zh = frame.language == "zh"
    rows = [(k, v) for k, v in product.specs.items()][:4] or [(text, "") for text in fallback[:4]]
    if not rows:
        return []
    px, py, pw, ph = regions.panel
    head_size = round(frame.short * 0.06)
    look = callout_look(style, frame)
    head = text_layer("title", "规格参数" if zh else "Specs", frame, (px, py, pw, ph), size=head_size, start=start,
                      end=end, anchor="top-center", z=15, animation=Animation(enter="fade", duration=0.2),
                      font=style.fonts.display, fill=style.colors.accent, shape="box", background=with_alpha(style.colors.ink, "C0"),
                      highlight_fill=style.colors.accent, padding=max(4, head_size // 4))
    layers = [head]
    y = head.box[1] + head.box[3] + round(frame.height * 0.012)
    size = round(frame.short * 0.058)
    row_h = int(size * 1.25 * 2 + size * 0.25) + 2 * int(look["padding"]) + round(frame.height * 0.01)  # type: ignore[call-overload]
    for i, (key, value) in enumerate(rows):
        text = f"{key}{'  ' if value else ''}{value}"
        spans = [(len(text) - len(value), len(text))] if value else []
        t = min(end - 0.3, start + 0.2 + ROW_STAGGER * i)
        row = text_layer("spec_row", text, frame, (px, y, pw, min(row_h, py + ph - y)), size=size, start=t, end=end,
                         anchor="top-center", spans=spans, z=16, max_lines=2,
                         animation=enter(style, frame, "slide_left", 0.25), **{**look, "tilt": 0.0})
        if row.bounds[1] + row.bounds[3] > py + ph:  # no room left in the panel for this row
            break
        layers.append(row)
        y = row.bounds[1] + row.bounds[3] + round(frame.height * 0.012)
    return layers


def price_slam(product: Product, timings: list[LineTiming], frame: Frame, regions: Regions, style: Style,
               start: float, end: float, slam: float | None = None) -> list[Layer]:
    """原价 struck through, 到手价, the sale price stamped in large, the offer text: centred on the stage."""
    zh = frame.language == "zh"
    sale, price, currency = product.sale_price, product.price, product.currency
    shown = sale if sale is not None else price
    parts: list[tuple[str, str, int]] = []  # (kind, text, size)
    if sale is not None and price is not None and price > sale:
        parts.append(("price_old", f"{'原价' if zh else 'Was'} {price_text(price, currency)}", round(frame.short * 0.058)))
    if sale is not None:
        parts.append(("price_tag", "到手价" if zh else "Now only", round(frame.short * 0.07)))
    if shown is not None:
        parts.append(("price", price_text(shown, currency), round(frame.short * 0.2)))
    if product.offer:
        parts.append(("offer", product.offer, round(frame.short * 0.058)))
    if not parts:
        return []
    if slam is None and shown is not None:
        slam = spoken_at(timings, money(shown), frame.language)
    slam = min(max(start + 0.35, slam if slam is not None else start + 0.6), max(start + 0.35, end - 0.8))
    for shrink in (1.0, 0.88, 0.77, 0.68, 0.6, 0.52, 0.45):  # the stack must fit its room: shrink until it does
        layers = _stack(parts, shrink, product, timings, frame, regions, style, start, end, slam)
        px, py, pw, ph = regions.stage
        if all(la.bounds[1] + la.bounds[3] <= py + ph for la in layers):
            break
    return layers


def _stack(parts: list[tuple[str, str, int]], shrink: float, product: Product, timings: list[LineTiming],
           frame: Frame, regions: Regions, style: Style, start: float, end: float, slam: float) -> list[Layer]:
    px, py, pw, ph = regions.stage  # the whole width: in horizontal frames the price card is the whole picture
    gap = round(frame.height * 0.015)
    sized = [(kind, text, max(8, round(size * shrink))) for kind, text, size in parts]
    # Horizontal frames are short: 原价 and 到手价 share one row, left and right of the centre.
    paired = not regions.vertical and [k for k, _, _ in sized[:2]] == ["price_old", "price_tag"]
    heights = [int(size * 1.55) + 2 * max(4, size // 4) for _, _, size in sized]
    total = sum(heights) - (min(heights[:2]) + gap if paired else 0) + gap * (len(sized) - 1)
    y = py + max(0, (ph - total) // 2)
    layers: list[Layer] = []
    for (kind, text, size), h in zip(sized, heights, strict=True):
        region = (px, y, pw, max(1, min(h, py + ph - y)))
        if paired and kind == "price_old":
            region = (px, y, pw // 2 - gap, region[3])
        elif paired and kind == "price_tag":
            region = (px + pw // 2 + gap, layers[0].bounds[1], pw // 2 - gap, max(region[3], layers[0].bounds[3]))
        if kind == "price_old":
            layer = text_layer(kind, text, frame, region, size=size, start=start + 0.1, end=end,
                               anchor="right" if paired else "top-center",
                               z=40, strike=True, animation=Animation(enter="fade", duration=0.2), font=style.fonts.body,
                               fill="#FFFFFF", shape="box", background=with_alpha(style.colors.ink, "A0"),
                               padding=max(4, size // 4))
        elif kind == "price_tag":
            layer = text_layer(kind, text, frame, region, size=size, start=slam - 0.25, end=end,
                               anchor="left" if paired else "top-center", z=41,
                               animation=enter(style, frame, "pop", 0.2), font=style.fonts.display,
                               shape="box", background=style.colors.primary, fill=style.colors.text,
                               padding=max(4, size // 4))
        elif kind == "price":
            layer = text_layer(kind, text, frame, region, size=size, start=slam, end=end, anchor="top-center", z=42,
                               max_lines=1, min_size=round(frame.short * 0.09 * shrink),
                               animation=Animation(enter="stamp", duration=0.28, curve="ease_out"),
                               font=style.fonts.display, fill=style.colors.accent, stroke=style.colors.ink,
                               stroke_width=max(2, size // 14), padding=max(4, size // 10))
        else:
            offer_at = spoken_at(timings, product.offer[:6], frame.language)
            t = max(slam + 0.45, offer_at - 0.1 if offer_at is not None else slam + 0.6)
            layer = text_layer(kind, text, frame, region, size=size, start=min(t, end - 0.4), end=end,
                               anchor="top-center", z=40, max_lines=2, spans=[],
                               animation=Animation(enter="fade", duration=0.25),
                               **{**callout_look(style, frame), "tilt": 0.0})
        layers.append(layer)
        y = max(la.bounds[1] + la.bounds[3] for la in layers) + gap
    return layers
