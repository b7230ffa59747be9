"""The platform cover (its own aspect ratio): the product, its name, the price and the AI label.

A cover is read in a grid of thumbnails, so it says what the product is (the title, big, under the photo)
rather than the spoken hook. Without a photo, the generated title card already carries the name.
"""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image

from generator.models import Product, Script
from generator.platforms import Preset
from generator.video.layers import draw
from generator.video.layout import badge_layer, label_font_size
from generator.video.text import draw_lines, fit_text
from generator.video.visuals import card_background, load_photo, photo_background

EXIF_IFD = 0x8769
USER_COMMENT = 0x9286


def render_cover(product: Product, script: Script, preset: Preset, out_path: Path, aigc_json: str) -> Path:
    cover = preset.model_copy(update={"width": preset.cover_width, "height": preset.cover_height})
    size = (cover.width, cover.height)
    left, top, right, bottom = cover.safe_box()
    language = script.language
    photo = load_photo(product.images[0]) if product.images else None
    if photo is None:
        img = card_background("title", product, language, size, (0, 0, *size), cover, 0).convert("RGBA")
    else:
        # The photo fills the upper part; the product's name sits under it, clear of the photo.
        title_size = int(cover.short_side * 0.085)
        lines, title_size = fit_text(product.title, language, title_size, (right - left) * 0.92, 2,
                                     int(cover.short_side * 0.05))
        title = draw_lines(lines, language, title_size, fill=(255, 230, 80, 255), stroke=(0, 0, 0, 255),
                           stroke_width=max(2, title_size // 12), box=(0, 0, 0, 110))
        title_top = bottom - title.height - int(cover.height * 0.03)
        photo_box = (0, 0, cover.width, max(1, title_top + int(cover.short_side * 0.2) - int(cover.height * 0.04)))
        img = photo_background(photo, size, photo_box, cover, 0).convert("RGBA")
        img.alpha_composite(title, ((cover.width - title.width) // 2, title_top))

    label = draw_lines([preset.label], language, label_font_size(cover), stroke=None, box=(0, 0, 0, 150),
                       padding=max(4, label_font_size(cover) // 5))
    img.alpha_composite(label, (left, top))
    badge = badge_layer(product, cover, language)
    if badge is not None:
        img.alpha_composite(draw(badge, language), badge.box[:2])

    exif = Image.Exif()
    # Implicit label for images: the AIGC JSON in EXIF UserComment (ASCII character-code prefix).
    exif.get_ifd(EXIF_IFD)[USER_COMMENT] = b"ASCII\x00\x00\x00" + aigc_json.encode("ascii")
    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
    img.convert("RGB").save(tmp, "JPEG", quality=88, exif=exif)
    os.replace(tmp, out_path)
    return out_path
