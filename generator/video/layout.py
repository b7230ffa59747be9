"""Frame geometry every clip and cover shares: the AIGC label, the price badge, disclosures, caption sizes.

The edit builds the rest of a clip's layers; these few are also drawn on covers (which are not Timelines),
so they live here, as Layer data with resolved boxes. The AIGC label sits in the top-left corner of the
safe zone for the whole clip, glyphs ≥ 5 % of the short side; the price badge sits top-right.
"""

from __future__ import annotations

from generator.compliance.aigc import MIN_LABEL_HEIGHT_RATIO
from generator.formatting import price_text
from generator.models import Animation, Layer, Product
from generator.platforms import Preset
from generator.video.layers import measure
from generator.video.text import fit_text


def label_font_size(preset: Preset) -> int:
    # CJK glyphs fill ~88 % of the em; 0.062 of the short side keeps the glyph height above the 5 % floor.
    return max(10, round(preset.short_side * max(0.062, MIN_LABEL_HEIGHT_RATIO / 0.85)))


def caption_font_size(preset: Preset) -> int:
    return max(10, round(preset.short_side * 0.058))


def caption_band_top(preset: Preset, lines: int = 2) -> int:
    """Top of the band that two caption lines (with their box) occupy at the bottom of the safe zone."""
    _, _, _, bottom = preset.safe_box()
    size = caption_font_size(preset)
    return bottom - round(preset.height * 0.02) - int(size * (1.25 * lines + 0.8))


def placed(layer: Layer, language: str, x: int, y: int, anchor: str = "top-left") -> Layer:
    """The layer with its box measured and placed at (x, y) by `anchor`; bounds from its animation."""
    from generator.video.motion import layer_bounds

    w, h = measure(layer, language)
    if anchor == "top-right":
        x -= w
    elif anchor == "top-center":
        x -= w // 2
    elif anchor == "bottom-center":
        x, y = x - w // 2, y - h
    elif anchor == "center":
        x, y = x - w // 2, y - h // 2
    box = (int(x), int(y), w, h)
    return layer.model_copy(update={"box": box, "bounds": layer_bounds(box, layer.animation)})


def label_layer(preset: Preset, language: str, duration: float) -> Layer:
    left, top, _, _ = preset.safe_box()
    size = label_font_size(preset)
    layer = Layer(kind="label", start=0.0, end=duration, box=(0, 0, 0, 0), bounds=(0, 0, 0, 0), z=100,
                  text=[preset.label], size=size, background="#00000096", shape="box", padding=max(4, size // 5))
    return placed(layer, language, left, top)


def disclosure_layer(disclosures: list[str], preset: Preset, language: str, duration: float, y: int) -> Layer:
    left, _, right, _ = preset.safe_box()
    # Statements the law wants shown "prominently" (本品不能代替药物) are as large as the AI label must be.
    size = max(10, round(preset.short_side * 0.05))
    text = "；".join(disclosures) if language == "zh" else "; ".join(disclosures)
    lines, size = fit_text(text, language, size, (right - left) * 0.7, 2, max(10, round(preset.short_side * 0.04)))
    layer = Layer(kind="disclosure", start=0.0, end=duration, box=(0, 0, 0, 0), bounds=(0, 0, 0, 0), z=90,
                  text=lines, size=size, background="#0000008C", shape="box", padding=max(3, size // 4), align="left")
    return placed(layer, language, left, y)


def badge_lines(product: Product, language: str) -> list[str]:
    if product.sale_price is not None:
        return ["到手价" if language == "zh" else "Now", price_text(product.sale_price, product.currency)]
    if product.price is not None:
        return [price_text(product.price, product.currency)]
    return []


def badge_layer(product: Product, preset: Preset, language: str = "zh", duration: float = 0.0, *,
                background: str = "#E62828EB", start: float = 0.0) -> Layer | None:
    """The price badge (到手价 ¥89) at the top-right of the safe zone, or None without a price."""
    lines = badge_lines(product, language)
    if not lines:
        return None
    _, top, right, _ = preset.safe_box()
    size = max(10, round(preset.short_side * 0.05))
    layer = Layer(kind="badge", start=start, end=duration, box=(0, 0, 0, 0), bounds=(0, 0, 0, 0), z=80, text=lines,
                  size=size, background=background, shape="box", padding=max(4, size // 3), line_spacing=1.15,
                  animation=Animation())
    return placed(layer, language, right, top, "top-right")
