"""Draw the bundled default host (assets/hosts/default/) with Pillow vector shapes.

Run `python -m generator.host.draw_default` to regenerate the PNGs and host.yaml. Every layer is drawn on the
same canvas at 2x and downsampled with Lanczos, so edges are anti-aliased and all layers line up without
offsets. No downloaded art: everything here is ellipses, polygons and arcs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml
from PIL import Image, ImageDraw

from generator.settings import ASSETS_DIR

CANVAS = (600, 760)
SS = 2  # supersampling factor

SKIN = (248, 214, 190, 255)
SKIN_SHADE = (232, 188, 162, 255)
HAIR = (58, 42, 38, 255)
HAIR_LIGHT = (84, 62, 54, 255)
SHIRT = (38, 110, 140, 255)
SHIRT_SHADE = (30, 88, 114, 255)
COLLAR = (250, 250, 246, 255)
EYE = (40, 38, 48, 255)
BROW = (70, 52, 46, 255)
LIP = (176, 70, 70, 255)
MOUTH_IN = (110, 32, 40, 255)
TONGUE = (222, 112, 112, 255)
TEETH = (255, 255, 252, 255)
CHEEK = (246, 190, 178, 255)

EYES = ((245, 300), (355, 300))
MOUTH = (300, 405)


class _Pen:
    """An ImageDraw whose coordinates are given at canvas size and drawn at SS x."""

    def __init__(self) -> None:
        self.image = Image.new("RGBA", (CANVAS[0] * SS, CANVAS[1] * SS), (0, 0, 0, 0))
        self.draw = ImageDraw.Draw(self.image, "RGBA")

    @staticmethod
    def _s(box: tuple[float, ...]) -> list[float]:
        return [v * SS for v in box]

    def ellipse(self, box: tuple[float, float, float, float], fill: tuple[int, ...]) -> None:
        self.draw.ellipse(self._s(box), fill=fill)

    def polygon(self, points: list[tuple[float, float]], fill: tuple[int, ...]) -> None:
        self.draw.polygon([(x * SS, y * SS) for x, y in points], fill=fill)

    def rect(self, box: tuple[float, float, float, float], fill: tuple[int, ...], radius: float = 0) -> None:
        self.draw.rounded_rectangle(self._s(box), radius=radius * SS, fill=fill)

    def chord(self, box: tuple[float, float, float, float], start: float, end: float, fill: tuple[int, ...]) -> None:
        self.draw.chord(self._s(box), start, end, fill=fill)

    def pieslice(self, box: tuple[float, float, float, float], start: float, end: float,
                 fill: tuple[int, ...]) -> None:
        self.draw.pieslice(self._s(box), start, end, fill=fill)

    def arc(self, box: tuple[float, float, float, float], start: float, end: float, fill: tuple[int, ...],
            width: float) -> None:
        self.draw.arc(self._s(box), start, end, fill=fill, width=round(width * SS))

    def done(self) -> Image.Image:
        return self.image.resize(CANVAS, Image.Resampling.LANCZOS)


def _centered(cx: float, cy: float, rx: float, ry: float) -> tuple[float, float, float, float]:
    return (cx - rx, cy - ry, cx + rx, cy + ry)


def draw_hair_back(p: _Pen) -> None:
    # A shoulder-length bob behind the face; it moves with the head.
    p.ellipse((128, 78, 472, 470), HAIR)
    p.rect((128, 270, 472, 560), HAIR, radius=60)


def draw_body(p: _Pen) -> None:
    p.rect((262, 420, 338, 580), SKIN_SHADE, radius=20)          # neck
    p.ellipse((262, 420, 338, 500), SKIN)                         # chin shadow fades into neck
    p.pieslice((30, 545, 570, 1010), 180, 360, SHIRT)             # shoulders
    p.rect((30, 776, 570, 760 + 40), SHIRT)
    p.polygon([(300, 640), (210, 560), (390, 560)], SHIRT_SHADE)   # lapel shadow
    p.polygon([(300, 650), (236, 548), (272, 540)], COLLAR)        # collar, left
    p.polygon([(300, 650), (364, 548), (328, 540)], COLLAR)        # collar, right
    p.polygon([(300, 600), (276, 548), (324, 548)], SKIN_SHADE)    # V of the neck
    p.ellipse(_centered(300, 700, 7, 7), COLLAR)                   # a button
    p.ellipse(_centered(300, 745, 7, 7), COLLAR)


def draw_head(p: _Pen) -> None:
    p.ellipse(_centered(150, 300, 20, 32), SKIN_SHADE)             # ears
    p.ellipse(_centered(450, 300, 20, 32), SKIN_SHADE)
    p.ellipse((152, 120, 448, 470), SKIN)                          # face
    p.ellipse(_centered(225, 368, 26, 15), CHEEK)
    p.ellipse(_centered(375, 368, 26, 15), CHEEK)
    p.arc(_centered(300, 345, 12, 10), 20, 160, SKIN_SHADE, 5)     # nose
    p.arc(_centered(245, 268, 30, 14), 200, 340, BROW, 7)          # brows
    p.arc(_centered(355, 268, 30, 14), 200, 340, BROW, 7)
    # Hair on top: a dome with a side-swept fringe.
    p.chord((140, 82, 460, 330), 180, 360, HAIR)
    p.polygon([(146, 200), (300, 150), (454, 200), (454, 280), (420, 232), (300, 196), (190, 240), (146, 272)], HAIR)
    p.arc((190, 100, 410, 230), 210, 300, HAIR_LIGHT, 6)           # a highlight


def draw_eyes(p: _Pen, open_: bool) -> None:
    for cx, cy in EYES:
        if open_:
            p.ellipse(_centered(cx, cy, 16, 21), EYE)
            p.ellipse(_centered(cx + 5, cy - 8, 5, 5), TEETH)
        else:
            p.arc(_centered(cx, cy - 2, 17, 10), 10, 170, EYE, 5)


def draw_mouth(p: _Pen, shape: str) -> None:
    cx, cy = MOUTH
    if shape == "closed":
        p.arc(_centered(cx, cy - 12, 30, 16), 25, 155, LIP, 6)
    elif shape == "narrow":
        p.ellipse(_centered(cx, cy, 24, 10), LIP)
        p.ellipse(_centered(cx, cy, 19, 6), MOUTH_IN)
    elif shape == "open":
        p.ellipse(_centered(cx, cy + 4, 30, 28), LIP)
        p.ellipse(_centered(cx, cy + 4, 25, 23), MOUTH_IN)
        p.chord(_centered(cx, cy + 16, 18, 12), 0, 180, TONGUE)
        p.chord(_centered(cx, cy - 14, 20, 8), 180, 360, TEETH)
    elif shape == "round":
        p.ellipse(_centered(cx, cy + 2, 17, 19), LIP)
        p.ellipse(_centered(cx, cy + 2, 11, 13), MOUTH_IN)
    elif shape == "wide":
        p.ellipse(_centered(cx, cy, 40, 15), LIP)
        p.ellipse(_centered(cx, cy, 35, 11), MOUTH_IN)
        p.chord(_centered(cx, cy - 4, 30, 7), 180, 360, TEETH)
    else:
        raise ValueError(f"unknown mouth shape {shape!r}")


MOUTH_SHAPES = ("closed", "narrow", "open", "round", "wide")


def manifest() -> dict:
    return {
        "name": "default",
        "canvas": list(CANVAS),
        "layers": [
            {"name": "hair_back", "file": "hair_back.png", "moves": "head"},
            {"name": "body", "file": "body.png"},
            {"name": "head", "file": "head.png", "moves": "head"},
        ],
        "eyes": {"open": "eyes_open.png", "closed": "eyes_closed.png"},
        "mouths": {shape: f"mouth_{shape}.png" for shape in MOUTH_SHAPES},
        "anchors": {"mouth": list(MOUTH), "eyes": [300, EYES[0][1]], "neck": [300, 470]},
        "mouth_box": [255, 372, 90, 70],
        "scale": 1.0,
        "card": [250, 246, 240, 235],
    }


def build(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    drawings: dict[str, Callable[[_Pen], None]] = {
        "hair_back.png": draw_hair_back,
        "body.png": draw_body,
        "head.png": draw_head,
        "eyes_open.png": lambda p: draw_eyes(p, True),
        "eyes_closed.png": lambda p: draw_eyes(p, False),
    }
    for shape in MOUTH_SHAPES:
        drawings[f"mouth_{shape}.png"] = lambda p, s=shape: draw_mouth(p, s)
    written = []
    for name, draw in drawings.items():
        pen = _Pen()
        draw(pen)
        path = out_dir / name
        pen.done().save(path, optimize=True)
        written.append(path)
    header = "# The bundled default host, drawn by generator/host/draw_default.py (regenerate, do not edit).\n"
    (out_dir / "host.yaml").write_text(header + yaml.safe_dump(manifest(), sort_keys=False), encoding="utf-8")
    return written


if __name__ == "__main__":
    for path in build(ASSETS_DIR / "hosts" / "default"):
        print(path)
