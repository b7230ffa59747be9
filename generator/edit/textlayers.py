"""Text layers fitted into a region: wrapped, measured, placed, and kept (with their animation) in the safe zone.

Every callout, caption, title and price line goes through `text_layer`: the text is wrapped by rendered width
to the region, shrunk until it fits, measured with the renderer's own `measure`, placed by an anchor inside
the region, and nudged so that `bounds` (every pixel its animation covers) stays inside the safe zone.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.edit.styles import Style
from generator.models import Animation, Box, Layer, LayerKind
from generator.video.layers import measure
from generator.video.motion import layer_bounds
from generator.video.text import fit_text


@dataclass(frozen=True)
class Frame:
    """What every layer builder needs to know about the frame."""

    width: int
    height: int
    language: str
    safe: tuple[int, int, int, int]

    @property
    def short(self) -> int:
        return min(self.width, self.height)


def map_span(text: str, lines: list[str], span: tuple[int, int]) -> tuple[int, int] | None:
    """A character span of `text` as a span of ''.join(lines) (wrapping drops the spaces at line breaks)."""
    joined = "".join(lines)
    where: list[int | None] = []
    j = 0
    for ch in text:
        if j < len(joined) and joined[j] == ch:
            where.append(j)
            j += 1
        else:
            where.append(None)
    inside = [w for w in where[span[0]:span[1]] if w is not None]
    return (inside[0], inside[-1] + 1) if inside else None


def text_layer(kind: LayerKind, text: str, frame: Frame, region: Box, *, size: int, start: float, end: float,
               anchor: str = "center", max_lines: int = 2, min_size: int | None = None, spans: list[tuple[int, int]] = (),  # type: ignore[assignment]
               z: int = 10, animation: Animation | None = None, fit_width: float = 0.94, **look: object) -> Layer:
    """A text layer for `text`, as large as `size` allows within the region's width and height, placed there."""
    min_size = min_size or max(8, int(size * 0.7))
    animation = animation or Animation()
    x, y, w, h = region
    family = str(look.get("font", "sans"))
    layer = Layer(kind=kind, start=round(start, 3), end=round(end, 3), box=(0, 0, 0, 0), bounds=(0, 0, 0, 0), z=z,
                  size=size, animation=animation, **look)  # type: ignore[arg-type]
    width_budget = w * fit_width
    for _ in range(8):
        pad_w = 2 * layer.padding + 2 * layer.stroke_width + _shape_extra(layer, size)
        lines, fitted = fit_text(text, frame.language, size, max(8.0, width_budget - pad_w), max_lines, min_size, family)
        highlight = [m for s in spans if (m := map_span(text, lines, s)) is not None]
        layer = layer.model_copy(update={"text": lines, "size": fitted, "highlight": highlight})
        lw, lh = measure(layer, frame.language)
        grown = layer_bounds((0, 0, lw, lh), animation)
        if (grown[2] <= w and grown[3] <= h) or fitted <= min_size:
            break
        size = max(min_size, int(fitted * 0.9))
    return place(layer, frame, region, anchor)


def _shape_extra(layer: Layer, size: int) -> int:
    line_h = int(size * layer.line_spacing * 2)
    return {"tag": int(line_h * 0.56), "ribbon": int(line_h * 0.6), "burst": int(size * 1.2)}.get(layer.shape, 0)


def place(layer: Layer, frame: Frame, region: Box, anchor: str) -> Layer:
    """The layer measured and anchored in `region`, then moved so its animated bounds stay in the safe zone."""
    w, h = measure(layer, frame.language)
    rx, ry, rw, rh = region
    if anchor == "top-center":
        x, y = rx + (rw - w) // 2, ry
    elif anchor == "bottom-center":
        x, y = rx + (rw - w) // 2, ry + rh - h
    elif anchor == "top-left":
        x, y = rx, ry
    elif anchor == "left":
        x, y = rx, ry + (rh - h) // 2
    elif anchor == "right":
        x, y = rx + rw - w, ry + (rh - h) // 2
    else:
        x, y = rx + (rw - w) // 2, ry + (rh - h) // 2
    box = (int(x), int(y), w, h)
    # Keep the animated bounds in the region where they fit (so neighbours never meet), always in the safe zone.
    bx, by, bw, bh = layer_bounds(box, layer.animation)
    dx, dy = _nudge((bx, by, bw, bh), (rx, ry, rx + rw, ry + rh))
    dx, dy = (dx if bw <= rw else 0), (dy if bh <= rh else 0)
    box = (box[0] + dx, box[1] + dy, w, h)
    sx, sy = _nudge(layer_bounds(box, layer.animation), frame.safe)
    box = (box[0] + sx, box[1] + sy, w, h)
    return layer.model_copy(update={"box": box, "bounds": layer_bounds(box, layer.animation)})


def _nudge(bounds: Box, safe: tuple[int, int, int, int]) -> tuple[int, int]:
    bx, by, bw, bh = bounds
    left, top, right, bottom = safe
    dx = left - bx if bx < left else (right - (bx + bw) if bx + bw > right else 0)
    dy = top - by if by < top else (bottom - (by + bh) if by + bh > bottom else 0)
    return dx, dy


def with_alpha(colour: str, alpha: str) -> str:
    """#RRGGBB(AA) with its alpha replaced by `alpha` (two hex digits)."""
    return colour[:7] + alpha


def callout_look(style: Style, frame: Frame) -> dict[str, object]:
    """Colours, shape and outline of a callout in this style."""
    size = round(frame.short * style.callout.size)
    outline = style.callout.outline
    return {
        "font": style.fonts.display, "shape": style.callout.shape, "background": style.colors.primary,
        "fill": style.colors.text, "highlight_fill": style.colors.accent,
        "stroke": style.colors.ink if outline else None, "stroke_width": max(1, size // 12) if outline else 0,
        "padding": max(4, size // 3), "tilt": style.callout.tilt,
    }


def enter(style: Style, frame: Frame, kind: str | None = None, duration: float | None = None) -> Animation:
    """The style's callout entrance (a slide travels 6 % of the short side)."""
    return Animation(enter=kind or style.callout.enter, duration=duration if duration is not None else style.callout.duration,  # type: ignore[arg-type]
                     curve=style.callout.curve, distance=int(frame.short * 0.06))
