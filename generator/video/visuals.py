"""Backgrounds drawn once per scene with Pillow: product photos on a blurred backdrop, and branded cards.

Small product photos cover-cropped to a 9:16 frame are upscaled 4–5× and look soft, so a photo is fitted
inside the content box over a blurred, darkened copy of itself. Products without a usable photo get a
generated card (title, specs or offer) in a palette derived from the SKU, so a batch does not look uniform.
"""

from __future__ import annotations

import hashlib

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from generator.formatting import price_text
from generator.models import Product
from generator.platforms import Preset
from generator.video.text import draw_lines, fit_text

PALETTES = [
    ((255, 94, 77), (255, 170, 90)),
    ((72, 52, 212), (140, 110, 255)),
    ((0, 150, 136), (90, 210, 170)),
    ((233, 30, 99), (255, 128, 171)),
    ((25, 118, 210), (100, 181, 246)),
    ((245, 124, 0), (255, 202, 40)),
]


def palette(product: Product) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    digest = hashlib.sha256(product.sku.encode("utf-8")).digest()
    return PALETTES[digest[0] % len(PALETTES)]


def gradient(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    w, h = size
    column = Image.linear_gradient("L").resize((1, h))
    base = Image.new("RGB", (1, h), top)
    end = Image.new("RGB", (1, h), bottom)
    return Image.composite(end, base, column).resize((w, h))


def load_photo(path: str) -> Image.Image | None:
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            return im.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def photo_background(photo: Image.Image, canvas: tuple[int, int], content_box: tuple[int, int, int, int],
                     preset: Preset, margin: int) -> Image.Image:
    """The photo fitted inside the content box (upper part of vertical frames) over a blurred copy."""
    cw, ch = canvas
    backdrop = ImageOps.fit(photo, (max(1, cw // 8), max(1, ch // 8)), Image.Resampling.BILINEAR)
    backdrop = backdrop.filter(ImageFilter.GaussianBlur(3)).resize((cw, ch), Image.Resampling.BILINEAR)
    backdrop = ImageEnhance.Brightness(backdrop).enhance(0.55)
    x, y, w, h = content_box
    left, top, right, bottom = preset.safe_box()
    # Keep the product clear of the caption band (two caption lines) at the bottom of the safe zone.
    area_top = max(y, top)
    area_bottom = min(y + h, bottom - int(preset.short_side * 0.2))
    area_w = int(min(w, preset.width) * 0.86)
    area_h = max(1, area_bottom - area_top)
    fitted = ImageOps.contain(photo, (area_w, area_h), Image.Resampling.LANCZOS)
    px = margin + x + (w - fitted.width) // 2
    py = margin + area_top + (area_h - fitted.height) // 2
    shadow = Image.new("L", (fitted.width + 40, fitted.height + 40), 0)
    ImageDraw.Draw(shadow).rounded_rectangle((20, 20, fitted.width + 20, fitted.height + 20), 16, fill=160)
    shadow = shadow.filter(ImageFilter.GaussianBlur(14))
    backdrop.paste((0, 0, 0), (px - 20, py - 14), shadow)
    mask = Image.new("L", fitted.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, fitted.width - 1, fitted.height - 1), max(6, fitted.width // 40), fill=255)
    backdrop.paste(fitted, (px, py), mask)
    return backdrop


def card_background(kind: str, product: Product, language: str, canvas: tuple[int, int],
                    content_box: tuple[int, int, int, int], preset: Preset, margin: int) -> Image.Image:
    """A generated branded card: `title`, `specs` or `offer`."""
    cw, ch = canvas
    top_color, bottom_color = palette(product)
    img = gradient(canvas, top_color, bottom_color)
    draw = ImageDraw.Draw(img, "RGBA")
    # Soft decorative circles: motion reads better on a textured card than on a flat gradient.
    for i, (fx, fy, fr) in enumerate([(0.15, 0.2, 0.35), (0.9, 0.55, 0.45), (0.3, 0.95, 0.3)]):
        r = int(min(cw, ch) * fr)
        cx, cy = int(cw * fx), int(ch * fy)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(255, 255, 255, 28 + 8 * i))

    x, y, w, h = content_box
    left, top, right, bottom = preset.safe_box()
    area_left = margin + max(x, left)
    area_right = margin + min(x + w, right)
    area_top = margin + top + int(preset.short_side * 0.12)  # below the label and badge row
    area_bottom = margin + bottom - int(preset.height * 0.16)  # above the caption band
    max_w = int((area_right - area_left) * 0.9)
    blocks = _card_blocks(kind, product, language, preset)
    rendered = []
    for text, size, color, max_lines in blocks:
        lines, fitted = fit_text(text, language, size, max_w, max_lines, max(10, size // 2))
        rendered.append(draw_lines(lines, language, fitted, fill=color, stroke=(0, 0, 0, 90),
                                   stroke_width=max(1, fitted // 24)))
    total_h = sum(r.height for r in rendered) + int(preset.short_side * 0.02) * (len(rendered) - 1)
    cy = area_top + max(0, (area_bottom - area_top - total_h) // 2)
    for r in rendered:
        cx = area_left + (area_right - area_left - r.width) // 2
        img.paste(r, (cx, cy), r)
        cy += r.height + int(preset.short_side * 0.02)
    return img



def _card_blocks(kind: str, product: Product, language: str, preset: Preset) -> list[tuple[str, int, tuple, int]]:
    s = preset.short_side
    white = (255, 255, 255, 255)
    soft = (255, 255, 255, 220)
    zh = language == "zh"
    if kind == "specs" and product.specs:
        head = "规格参数" if zh else "Specs"
        sep = "：" if zh else ": "
        rows = [(f"{k}{sep}{v}", int(s * 0.055), white, 2) for k, v in list(product.specs.items())[:5]]
        return [(head, int(s * 0.075), soft, 1), *rows]
    if kind == "offer" and (product.sale_price is not None or product.price is not None or product.offer):
        blocks: list[tuple[str, int, tuple, int]] = []
        if product.sale_price is not None:
            blocks.append(("到手价" if zh else "Now", int(s * 0.06), soft, 1))
            blocks.append((price_text(product.sale_price, product.currency), int(s * 0.16), white, 1))
            if product.price is not None and product.price > product.sale_price:
                was = price_text(product.price, product.currency)
                blocks.append(((f"日常价 {was}" if zh else f"Was {was}"), int(s * 0.05), soft, 1))
        elif product.price is not None:
            blocks.append((price_text(product.price, product.currency), int(s * 0.16), white, 1))
        if product.offer:
            blocks.append((product.offer, int(s * 0.055), white, 3))
        return blocks
    blocks = []
    if product.brand:
        blocks.append((product.brand, int(s * 0.06), soft, 1))
    blocks.append((product.title, int(s * 0.1), white, 3))
    if product.selling_points:
        blocks.append((product.selling_points[0], int(s * 0.05), soft, 2))
    return blocks
