"""Text to pixels: font chains per language, wrapping by rendered width, and RGBA text blocks (Pillow)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from generator.errors import DaihuoError
from generator.settings import ASSETS_DIR
from generator.video.cmap import covered_codepoints
from generator.yamlfile import load_yaml


class FontMissing(DaihuoError, RuntimeError):
    pass


@dataclass(frozen=True)
class Face:
    path: str
    index: int


@cache
def _config() -> dict:
    return load_yaml((ASSETS_DIR / "fonts.yaml").read_text(encoding="utf-8"))


@cache
def _find(face_key: str) -> Face:
    cfg = _config()
    spec = cfg["faces"][face_key]
    for d in cfg["search_dirs"]:
        for candidate in Path(d).rglob(spec["file"]):
            return Face(str(candidate), int(spec.get("index", 0)))
    raise FontMissing(f"font {spec['file']} not found in {cfg['search_dirs']}: run `make setup` (fonts-noto-cjk, fonts-noto-core)")


@cache
def _cmap(face: Face) -> frozenset[int]:
    return covered_codepoints(face.path, face.index)


@cache
def chain(language: str, family: str = "sans") -> tuple[Face, ...]:
    """Faces tried glyph by glyph for `language`; `family` names a chain under `families` in fonts.yaml."""
    cfg = _config()
    keys = cfg.get("families", {}).get(family, {}).get(language) or cfg["languages"].get(language, cfg["languages"]["en"])
    faces = []
    for key in keys:
        try:
            faces.append(_find(key))
        except FontMissing:
            continue
    if not faces:
        raise FontMissing(f"no caption font for language {language}: run `make setup`")
    return tuple(faces)


def preload_faces(language: str) -> None:
    """Read every face `language` may draw with (a few ms a face since generator/video/cmap.py), ahead of the first text."""
    for family in ("sans", *_config().get("families", {})):
        try:
            faces = chain(language, family)
        except FontMissing:
            continue
        for face in faces:
            _cmap(face)


@cache
def pil_font(face: Face, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(face.path, size=size, index=face.index)


def font_runs(text: str, faces: tuple[Face, ...]) -> list[tuple[str, Face]]:
    """Split text into runs, each drawn with the first face of the chain that has its glyphs."""
    runs: list[tuple[str, Face]] = []
    for ch in text:
        face = faces[0]
        if not unicodedata.category(ch).startswith("Z"):
            face = next((f for f in faces if ord(ch) in _cmap(f)), faces[0])
        if runs and runs[-1][1] == face:
            runs[-1] = (runs[-1][0] + ch, face)
        else:
            runs.append((ch, face))
    return runs


def text_width(text: str, language: str, size: int, family: str = "sans") -> float:
    faces = chain(language, family)
    return sum(pil_font(face, size).getlength(run) for run, face in font_runs(text, faces))


def _tokens(text: str) -> list[str]:
    """Break opportunities: between CJK/Thai characters, at spaces for Latin words; punctuation stays attached."""
    tokens: list[str] = []
    for ch in text:
        cjk = ord(ch) > 0x2E80 and not unicodedata.category(ch).startswith("P")
        if tokens and not cjk and ch != " " and not _is_cjk(tokens[-1][-1]) and tokens[-1][-1] != " ":
            tokens[-1] += ch
        elif tokens and unicodedata.category(ch).startswith("P"):
            tokens[-1] += ch  # never start a line with punctuation (禁则)
        else:
            tokens.append(ch)
    return tokens


def _is_cjk(ch: str) -> bool:
    return ord(ch) > 0x2E80


def wrap(text: str, language: str, size: int, max_width: float, family: str = "sans") -> list[str]:
    """Greedy wrap by rendered width; a token wider than the line is split by characters."""
    lines: list[str] = []
    current = ""
    for token in _tokens(text):
        candidate = current + token
        if text_width(candidate.strip(), language, size, family) <= max_width or not current.strip():
            if text_width(candidate.strip(), language, size, family) > max_width:
                # A single token too wide for the line: hard-split it.
                for ch in token:
                    if text_width((current + ch).strip(), language, size, family) > max_width and current.strip():
                        lines.append(current.strip())
                        current = ch
                    else:
                        current += ch
                continue
            current = candidate
        else:
            lines.append(current.strip())
            current = token.lstrip()
    if current.strip():
        lines.append(current.strip())
    return lines


def fit_text(text: str, language: str, size: int, max_width: float, max_lines: int, min_size: int,
             family: str = "sans") -> tuple[list[str], int]:
    """Largest size ≤ `size` at which `text` wraps into at most `max_lines` lines within `max_width`."""
    while True:
        lines = wrap(text, language, size, max_width, family)
        if len(lines) <= max_lines or size <= min_size:
            return balance(text, language, size, max_width, lines, family), size
        size = max(min_size, int(size * 0.9))


def balance(text: str, language: str, size: int, max_width: float, lines: list[str], family: str = "sans") -> list[str]:
    """Same number of lines, evened out: the narrowest width that still wraps into that many lines.

    Greedy wrapping leaves orphans (还在找靠谱的美 / 妆？); a short binary search on the width fixes that.
    """
    if len(lines) < 2:
        return lines
    lo, hi, best = max_width / len(lines) * 0.8, max_width, lines
    for _ in range(7):
        mid = (lo + hi) / 2
        trial = wrap(text, language, size, mid, family)
        if len(trial) <= len(lines):
            best, hi = trial, mid
        else:
            lo = mid
    return best


def draw_lines(
    lines: list[str], language: str, size: int, *, fill: tuple[int, int, int, int] = (255, 255, 255, 255),
    stroke: tuple[int, int, int, int] | None = (0, 0, 0, 255), stroke_width: int | None = None,
    box: tuple[int, int, int, int] | None = None, padding: int | None = None, align: str = "center",
    line_spacing: float = 1.25, family: str = "sans",
) -> Image.Image:
    """Render lines into a tight RGBA image (optionally on a rounded box), sized to fit every glyph."""
    faces = chain(language, family)
    stroke_w = stroke_width if stroke_width is not None else max(1, size // 14) if stroke else 0
    pad = padding if padding is not None else (size // 3 if box else stroke_w + 1)
    line_h = int(size * line_spacing)
    widths = [text_width(line, language, size, family) for line in lines]
    width = int(max(widths, default=0)) + 2 * pad + 2 * stroke_w
    height = line_h * len(lines) + 2 * pad + int(size * 0.25)
    img = Image.new("RGBA", (max(1, width), max(1, height)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    if box:
        draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=max(4, size // 3), fill=box)
    for i, (line, w) in enumerate(zip(lines, widths, strict=True)):
        x = pad + stroke_w + ((width - 2 * pad - 2 * stroke_w - w) / 2 if align == "center" else 0)
        y = pad + i * line_h
        for run, face in font_runs(line, faces):
            font = pil_font(face, size)
            draw.text((x, y), run, font=font, fill=fill, stroke_width=stroke_w, stroke_fill=stroke)
            x += font.getlength(run)
    return img
