"""Layer pixels: `measure` says how big a Layer's image is, `draw` draws it at exactly that size.

The edit measures every layer while it lays the frame out (so the Timeline states resolved boxes); the
renderer draws each layer once and animates it by scaling, fading and moving that one image. Text is drawn
run by run with the language's font chain; highlighted character spans (keywords, numbers) get their own
colour; shapes (pill, tag, burst, speech bubble, ribbon, underline) sit behind the text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageDraw, ImageOps

from generator.models import Layer
from generator.video.text import chain, font_runs, pil_font, text_width

RGBA = tuple[int, int, int, int]


def color(value: str | None, default: RGBA = (0, 0, 0, 0)) -> RGBA:
    """'#RRGGBB' or '#RRGGBBAA' to an RGBA tuple."""
    if not value:
        return default
    v = value.lstrip("#")
    if len(v) not in (6, 8):
        raise ValueError(f"colour '{value}' is not #RRGGBB or #RRGGBBAA")
    r, g, b = int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16)
    return r, g, b, int(v[6:8], 16) if len(v) == 8 else 255


@dataclass(frozen=True)
class _Frame:
    """Geometry of a text layer before any tilt: where the text block sits inside the image."""

    width: int
    height: int
    text_x: int
    text_y: int
    text_w: int
    line_h: int


def _text_size(layer: Layer, language: str) -> tuple[list[float], int, int]:
    widths = [text_width(line, language, layer.size, layer.font) for line in layer.text]
    line_h = int(layer.size * layer.line_spacing)
    return widths, line_h, line_h * len(layer.text) + int(layer.size * 0.25)


def _frame(layer: Layer, language: str) -> _Frame:
    widths, line_h, block_h = _text_size(layer, language)
    stroke = layer.stroke_width if layer.stroke else 0
    text_w = int(max(widths, default=0)) + 2 * stroke
    pad = layer.padding
    w, h = text_w + 2 * pad, block_h + 2 * pad
    tx, ty = pad, pad
    if layer.shape == "tag":  # a parallelogram: room for the slant on both sides
        slant = int(h * 0.28)
        w, tx = w + 2 * slant, tx + slant
    elif layer.shape == "ribbon":
        notch = int(h * 0.3)
        w, tx = w + 2 * notch, tx + notch
    elif layer.shape == "bubble":
        h += int(layer.size * 0.45)  # the tail under the bubble
    elif layer.shape == "underline":
        h += int(layer.size * 0.3)
    elif layer.shape == "burst":
        side = int(max(w, h) * 1.3)
        tx, ty = tx + (side - w) // 2, ty + (side - h) // 2
        w = h = side
    return _Frame(max(1, w), max(1, h), tx, ty, text_w, line_h)


def measure(layer: Layer, language: str) -> tuple[int, int]:
    """(width, height) of the layer's resting image."""
    if layer.shape == "arrow":
        w, h = layer.size, layer.size
    elif layer.shape == "image":
        w, h = _image_size(layer.image or "", layer.size)
    else:
        f = _frame(layer, language)
        w, h = f.width, f.height
    if layer.tilt:
        return _rotated_size(w, h, layer.tilt)
    return w, h


def draw(layer: Layer, language: str) -> Image.Image:
    """The layer's resting image, RGBA (straight alpha), exactly `measure(layer)` in size."""
    if layer.shape == "arrow":
        img = _arrow(layer)
    elif layer.shape == "image":
        img = _logo(layer)
    else:
        img = _text_layer(layer, language)
    if layer.tilt:
        img = img.rotate(layer.tilt, resample=Image.Resampling.BICUBIC, expand=True)
    return img


def _text_layer(layer: Layer, language: str) -> Image.Image:
    f = _frame(layer, language)
    img = Image.new("RGBA", (f.width, f.height), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    _shape(d, layer, f)
    faces = chain(language, layer.font)
    widths, _, _ = _text_size(layer, language)
    stroke = layer.stroke_width if layer.stroke else 0
    fill, hi = color(layer.fill), color(layer.highlight_fill)
    marked = _marked(layer)
    offset = 0
    for i, (line, w) in enumerate(zip(layer.text, widths, strict=True)):
        x = f.text_x + stroke + ((f.text_w - 2 * stroke - w) / 2 if layer.align == "center" else 0)
        y = f.text_y + i * f.line_h
        start_x = x
        for segment, highlighted in _segments(line, marked[offset:offset + len(line)]):
            for run, face in font_runs(segment, faces):
                font = pil_font(face, layer.size)
                d.text((x, y), run, font=font, fill=hi if highlighted else fill, stroke_width=stroke,
                       stroke_fill=color(layer.stroke, (0, 0, 0, 255)))
                x += font.getlength(run)
        if layer.strike:
            mid = y + int(layer.size * 0.62)
            thick = max(2, layer.size // 11)
            d.line((start_x - thick, mid, x + thick, mid), fill=color("#FF3B30"), width=thick)
        offset += len(line)
    return img


def _marked(layer: Layer) -> list[bool]:
    n = sum(len(line) for line in layer.text)
    marked = [False] * n
    for a, b in layer.highlight:
        for i in range(max(0, a), min(n, b)):
            marked[i] = True
    return marked


def _segments(line: str, marked: list[bool]) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for ch, m in zip(line, marked, strict=False):
        if out and out[-1][1] == m:
            out[-1] = (out[-1][0] + ch, m)
        else:
            out.append((ch, m))
    return out


def _shape(d: ImageDraw.ImageDraw, layer: Layer, f: _Frame) -> None:
    bg = color(layer.background)
    if layer.shape == "none" or bg[3] == 0 and layer.shape != "underline":
        return
    w, h = f.width, f.height
    r = max(4, layer.size // 3)
    if layer.shape == "box":
        d.rounded_rectangle((0, 0, w - 1, h - 1), radius=r, fill=bg)
    elif layer.shape == "pill":
        d.rounded_rectangle((0, 0, w - 1, h - 1), radius=h // 2, fill=bg)
    elif layer.shape == "tag":
        s = int(h * 0.28)
        d.polygon([(s * 2, 0), (w - 1, 0), (w - 1 - s * 2, h - 1), (0, h - 1)], fill=bg)
    elif layer.shape == "ribbon":
        n = int(h * 0.3)
        d.polygon([(0, 0), (w - 1, 0), (w - 1 - n, h // 2), (w - 1, h - 1), (0, h - 1), (n, h // 2)], fill=bg)
    elif layer.shape == "bubble":
        body = h - int(layer.size * 0.45)
        d.rounded_rectangle((0, 0, w - 1, body), radius=r, fill=bg)
        tx = int(w * 0.22)
        d.polygon([(tx, body - 2), (tx + int(layer.size * 0.7), body - 2), (tx + int(layer.size * 0.05), h - 1)], fill=bg)
    elif layer.shape == "underline":
        bar = max(3, int(layer.size * 0.16))
        accent = color(layer.highlight_fill)
        d.rectangle((f.text_x, h - bar - 1, w - f.text_x, h - 1), fill=accent)
        if bg[3]:
            d.rounded_rectangle((0, 0, w - 1, h - bar - 3), radius=r, fill=bg)
    elif layer.shape == "burst":
        cx, cy, outer = w / 2, h / 2, w / 2 - 1
        points = []
        for i in range(28):
            radius = outer if i % 2 == 0 else outer * 0.84
            a = math.pi * i / 14
            points.append((cx + radius * math.cos(a), cy + radius * math.sin(a)))
        d.polygon(points, fill=bg)


def _arrow(layer: Layer) -> Image.Image:
    """A thick arrow in a size×size square, pointing along `layer.pointing`, with a dark outline."""
    n = layer.size
    big = n * 2  # drawn at twice the size, then reduced: smooth edges
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    dx, dy = layer.pointing
    norm = math.hypot(dx, dy) or 1.0
    ux, uy = dx / norm, dy / norm
    px, py = -uy, ux
    c = big / 2
    length, shaft, head = big * 0.44, big * 0.12, big * 0.26

    def at(a: float, b: float) -> tuple[float, float]:
        return c + ux * a + px * b, c + uy * a + py * b

    points = [at(-length, -shaft), at(length - head * 1.3, -shaft), at(length - head * 1.3, -head),
              at(length, 0), at(length - head * 1.3, head), at(length - head * 1.3, shaft), at(-length, shaft)]
    d.polygon(points, fill=color(layer.fill), outline=color(layer.stroke, (0, 0, 0, 255)), width=max(2, big // 40))
    return img.resize((n, n), Image.Resampling.LANCZOS)


@cache
def _image_size(path: str, height: int) -> tuple[int, int]:
    try:
        with Image.open(path) as im:
            w, h = im.size
    except (OSError, ValueError):
        return height, height
    return max(1, round(w * height / max(1, h))), height


def _logo(layer: Layer) -> Image.Image:
    size = _image_size(layer.image or "", layer.size)
    try:
        with Image.open(layer.image or "") as im:
            return ImageOps.exif_transpose(im).convert("RGBA").resize(size, Image.Resampling.LANCZOS)
    except (OSError, ValueError):
        return Image.new("RGBA", size, (0, 0, 0, 0))


@cache
def _rotated_size(w: int, h: int, degrees: float) -> tuple[int, int]:
    return Image.new("L", (w, h)).rotate(degrees, expand=True).size
