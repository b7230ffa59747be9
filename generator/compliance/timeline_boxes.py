"""The one adapter between the Timeline and QC: every piece of text the renderer draws, as TextBoxes.

QC (generator/compliance/qc.py) only knows TextBoxes: text, pixel box, time span, kind. The edit stage already
places every layer exactly (`Layer.box` is where its image rests), so text boxes are copied, not measured.
Shots become scene boxes with no text (cards carry no text of their own: their words are layers), so QC can
pick one quiet moment per distinct picture.
"""

from __future__ import annotations

from generator.compliance.qc_models import BoxKind, TextBox
from generator.models import Layer, Picture, Timeline

# Layer kind -> what QC calls it. Layers without words (logo, pointer arrow) are not read back.
_QC_KIND: dict[str, BoxKind] = {
    "label": "label", "disclosure": "disclosure", "badge": "badge", "caption": "caption",
    "hook": "title", "title": "title",
    "callout": "callout", "spec_row": "callout", "price_old": "callout", "price_tag": "callout", "price": "callout",
    "offer": "callout", "cta": "callout",
}


def timeline_text_boxes(timeline: Timeline) -> list[TextBox]:
    """Text layers and shots of `timeline`, in frame pixels."""
    boxes = [_layer_box(layer) for layer in timeline.layers if layer.kind in _QC_KIND and "".join(layer.text).strip()]
    for shot in timeline.shots:
        x, y, w, h = shot.picture.box or timeline.content_box
        kind: BoxKind = "card" if shot.picture.kind == "card" else "image"
        boxes.append(TextBox(text="", x=x, y=y, w=w, h=h, start=shot.start, end=shot.end, kind=kind,
                             source=_source(shot.picture)))
    return boxes


def _layer_box(layer: Layer) -> TextBox:
    x, y, w, h = layer.box
    return TextBox(text="\n".join(layer.text), x=x, y=y, w=w, h=h, start=layer.start, end=layer.end,
                   kind="struck" if layer.strike else _QC_KIND[layer.kind])


def _source(picture: Picture) -> str:
    """Equal pictures look alike: one name per distinct picture."""
    if picture.kind == "card":
        return f"card:{picture.card or 'plain'}:{picture.colors[0]}"
    return f"image:{picture.image}:" + ",".join(f"{v:.2f}" for v in picture.region)
