"""The platform cover (its own aspect ratio): the product, a big hook line, price and the AI label."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image

from generator.models import Product, Script
from generator.video.layout import label_font_size
from generator.video.presets import Preset
from generator.video.text import draw_lines, fit_text
from generator.video.visuals import card_background, load_photo, photo_background

EXIF_IFD = 0x8769
USER_COMMENT = 0x9286


def render_cover(product: Product, script: Script, preset: Preset, out_path: Path, aigc_json: str) -> Path:
    cover = preset.model_copy(update={"width": preset.cover_width, "height": preset.cover_height})
    size = (cover.width, cover.height)
    box = (0, 0, cover.width, cover.height)
    photo = load_photo(product.images[0]) if product.images else None
    img = (photo_background(photo, size, box, cover, 0) if photo is not None
           else card_background("title", product, script.language, size, box, cover, 0)).convert("RGBA")

    left, top, right, bottom = cover.safe_box()
    language = script.language
    headline = script.hook.lines[0].shown if script.beats and script.hook.lines else product.title
    lines, fs = fit_text(headline, language, int(cover.short_side * 0.1), (right - left) * 0.92, 2,
                         int(cover.short_side * 0.05))
    text = draw_lines(lines, language, fs, fill=(255, 230, 80, 255), stroke=(0, 0, 0, 255),
                      stroke_width=max(2, fs // 12), box=(0, 0, 0, 120))
    img.alpha_composite(text, ((cover.width - text.width) // 2, max(top, bottom - text.height - int(cover.height * 0.04))))
    label = draw_lines([preset.label], language, label_font_size(cover), stroke=None, box=(0, 0, 0, 150),
                       padding=max(4, label_font_size(cover) // 5))
    img.alpha_composite(label, (left, top))

    exif = Image.Exif()
    # Implicit label for images: the AIGC JSON in EXIF UserComment (ASCII character-code prefix).
    exif.get_ifd(EXIF_IFD)[USER_COMMENT] = b"ASCII\x00\x00\x00" + aigc_json.encode("ascii")
    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
    img.convert("RGB").save(tmp, "JPEG", quality=88, exif=exif)
    os.replace(tmp, out_path)
    return out_path
