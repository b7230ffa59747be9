"""The one adapter between today's Timeline and QC: every piece of text the renderer draws, as TextBoxes.

QC (generator/compliance/qc.py) only knows TextBoxes: text, pixel box, time span, kind. When the Timeline
changes (the edit stage is being rewritten), `timeline_text_boxes` is the only function to update.

Overlay boxes are exact: each overlay is drawn the way the renderer draws it (generator.video.render's
`overlay_image` and `place`) and its pixel box measured. Scene boxes cover the content area of a scene: the
branded card of a `card:*` scene carries the texts drawn on it (title, specs, offer); a photo scene carries none.
The card's exact glyph positions move with the pan, so QC treats card text as approved text anywhere in the
frame, not as a box to compare.
"""

from __future__ import annotations

from generator.compliance.qc_models import TextBox
from generator.formatting import money
from generator.models import Product, Timeline
from generator.platforms import Preset


def timeline_text_boxes(timeline: Timeline, product: Product, preset: Preset) -> list[TextBox]:
    """Overlays (label, badge, disclosure, captions) and scenes of `timeline`, in frame pixels."""
    from generator.video.render import overlay_image, place

    boxes: list[TextBox] = []
    for overlay in timeline.overlays:
        img = overlay_image(overlay, timeline.language)
        x, y = place(overlay, img, timeline.width, timeline.height)
        boxes.append(TextBox(text="\n".join(overlay.lines), x=x, y=y, w=img.width, h=img.height,
                             start=overlay.start, end=overlay.end, kind=overlay.kind))
    cx, cy, cw, ch = timeline.content_box
    for scene in timeline.scenes:
        kind, _, arg = scene.visual.partition(":")
        if kind == "image" and product.images:
            boxes.append(TextBox(text="", x=cx, y=cy, w=cw, h=ch, start=scene.start, end=scene.end, kind="image",
                                 source=scene.visual))
        else:
            card = arg if kind == "card" else "title"
            boxes.append(TextBox(text="\n".join(card_texts(card, product, timeline.language)), x=cx, y=cy, w=cw,
                                 h=ch, start=scene.start, end=scene.end, kind="card", source=f"card:{card}"))
    return boxes


def card_texts(card: str, product: Product, language: str) -> list[str]:
    """The texts a branded card shows (mirrors generator.video.visuals' card blocks, without layout)."""
    zh = language == "zh"
    if card == "specs" and product.specs:
        sep = "：" if zh else ": "
        return ["规格参数" if zh else "Specs", *(f"{k}{sep}{v}" for k, v in list(product.specs.items())[:5])]
    if card == "offer" and (product.sale_price is not None or product.price is not None or product.offer):
        texts: list[str] = []
        if product.sale_price is not None:
            texts += ["到手价" if zh else "Now", f"¥{money(product.sale_price)}"]
            if product.price is not None and product.price > product.sale_price:
                texts.append(f"日常价 ¥{money(product.price)}" if zh else f"Was ¥{money(product.price)}")
        elif product.price is not None:
            texts.append(f"¥{money(product.price)}")
        if product.offer:
            texts.append(product.offer)
        return texts
    texts = [product.brand] if product.brand else []
    texts.append(product.title)
    if product.selling_points:
        texts.append(product.selling_points[0])
    return texts
