"""The edit: Script + VoiceTrack + Product + Preset + Style → Timeline (pure), and `edit_clip`, its I/O edge.

`plan_timeline` decides everything the clip shows and plays: the shots (cut on line and phrase boundaries,
each beat with its treatment), the layers (AIGC label, badge, disclosures, logo, captions, callouts, spec
rows, price slam, cart pointer, each with its resolved box) and the sound cues. The renderer draws it as is.
"""

from __future__ import annotations

from generator.edit.callouts import card_words, hook_title, point_callout, pointer, question
from generator.edit.captions import Phrase, caption_phrases, sheet_terms
from generator.edit.offer import price_slam, spec_rows, spoken_at
from generator.edit.regions import Regions, plan_regions
from generator.edit.saliency import PhotoInfo, analyse_photos
from generator.edit.shots import BeatSpan, beat_spans, plan_shots
from generator.edit.sounds import plan_sounds
from generator.edit.styles import Style, choose_style
from generator.edit.textlayers import Frame, place, text_layer
from generator.formatting import money
from generator.models import Animation, Box, Layer, Product, Script, Shot, Timeline, VoiceTrack, stable_hash
from generator.platforms import Preset
from generator.video.layers import measure
from generator.video.layout import badge_layer, disclosure_layer, label_layer


def edit_clip(product: Product, script: Script, voice: VoiceTrack, preset: Preset, *, style: str | None = None,
              captions: str = "verbatim", disclosures: list[str] = (), host_layout: str = "none",  # type: ignore[assignment]
              host_box: Box | None = None) -> Timeline:
    """Choose the style (forced, or by category and variant), look at the photos, plan the Timeline."""
    chosen = choose_style(product.category, script.variant, style)
    photos = analyse_photos(list(product.images), aspect=preset.width / preset.height)
    return plan_timeline(product, script, voice, preset, chosen, photos, captions=captions, disclosures=disclosures,
                         host_layout=host_layout, host_box=host_box)


def plan_timeline(product: Product, script: Script, voice: VoiceTrack, preset: Preset, style: Style,
                  photos: list[PhotoInfo], *, captions: str = "verbatim", disclosures: list[str] = (),  # type: ignore[assignment]
                  host_layout: str = "none", host_box: Box | None = None) -> Timeline:
    language = script.language
    duration = voice.duration
    frame = Frame(preset.width, preset.height, language, preset.safe_box())
    content = content_box(preset, host_layout, host_box)
    corner = corner_layers(product, preset, style, language, duration, disclosures)
    regions = plan_regions(
        preset, corner_bottom=max(la.bounds[1] + la.bounds[3] for la in corner),
        stage_top=max(la.bounds[1] + la.bounds[3] for la in corner if la.kind != "badge"),
        caption_size=round(frame.short * style.caption.size), callout_size=round(frame.short * style.callout.size),
        title_size=round(frame.short * style.hook.size), content_box=content,
        host_box=host_box if host_layout == "pip" else None)
    phrases = caption_phrases(script, voice.lines, language, captions, sheet_terms(product))
    spans = beat_spans(script, voice, duration)
    seed = stable_hash({"sku": product.sku, "variant": script.variant, "style": style.name, "platform": preset.key})
    slam = price_moment(product, voice, spans, language)
    shots = plan_shots(spans, voice, phrases, photos, style, regions, seed, slam)
    layers = [*_hide_during_offer(corner, spans), *caption_layers(phrases, frame, regions, style, duration),
              *beat_layers(product, script, voice, spans, shots, frame, regions, style, preset, slam)]
    return Timeline(width=preset.width, height=preset.height, fps=preset.fps, duration=duration, language=language,
                    style=style.name, safe_zone=preset.safe_box(), shots=shots, layers=layers,
                    sounds=plan_sounds(shots, layers, style, duration), content_box=content, host_layout=host_layout)


def content_box(preset: Preset, host_layout: str, host_box: Box | None) -> Box:
    """Where product pictures go: the whole frame, or beside the host in the side-by-side layout."""
    W, H = preset.width, preset.height
    if host_layout == "side" and host_box:
        hx, _, hw, _ = host_box
        if hx + hw / 2 < W / 2:
            return (hx + hw, 0, W - hx - hw, H)
        return (0, 0, hx, H)
    return (0, 0, W, H)


def corner_layers(product: Product, preset: Preset, style: Style, language: str, duration: float,
                  disclosures: list[str]) -> list[Layer]:
    """The AIGC label (top-left, whole clip), disclosures under it, the price badge top-right, the logo."""
    label = label_layer(preset, language, duration)
    layers = [label]
    left_bottom = label.box[1] + label.box[3]
    if disclosures:
        d = disclosure_layer(disclosures, preset, language, duration, left_bottom + max(2, label.size // 4))
        layers.append(d)
        left_bottom = d.box[1] + d.box[3]
    badge = badge_layer(product, preset, language, duration, background=style.colors.badge)
    right_bottom = preset.safe_box()[1]
    if badge and badge.box[0] - (label.box[0] + label.box[2]) < 3 * label.size:
        # Too close to the label's row (narrow frames, long labels): OCR checks read the two as one line and
        # lose the label, so the badge steps down below it.
        x, _, w, h = badge.box
        y = label.box[1] + label.box[3] + max(2, label.size // 4)
        badge = badge.model_copy(update={"box": (x, y, w, h), "bounds": (x, y, w, h)})
    if badge:
        layers.append(badge)
        right_bottom = badge.box[1] + badge.box[3]
    if style.logo:
        size = max(8, round(preset.short_side * style.logo.height))
        logo = Layer(kind="logo", start=0.0, end=duration, box=(0, 0, 0, 0), bounds=(0, 0, 0, 0), z=85, size=size,
                     shape="image", image=style.logo.file)
        left, _, right, _ = preset.safe_box()
        gap = max(2, size // 6)
        frame = Frame(preset.width, preset.height, language, preset.safe_box())
        w, h = measure(logo, language)
        x, y = (left, left_bottom + gap) if style.logo.corner == "top-left" else (right - w, right_bottom + gap)
        layers.append(place(logo, frame, (x, y, w, h), "top-left"))
    return layers


def _hide_during_offer(corner: list[Layer], spans: list[BeatSpan]) -> list[Layer]:
    """The price badge steps aside while the price slam shows the price big."""
    offer = next((s for s in spans if s.kind == "offer"), None)
    out: list[Layer] = []
    for layer in corner:
        if layer.kind != "badge" or offer is None:
            out.append(layer)
            continue
        if offer.start > layer.start + 0.1:
            out.append(layer.model_copy(update={"end": round(offer.start, 3)}))
        if offer.end < layer.end - 0.1:
            out.append(layer.model_copy(update={"start": round(offer.end, 3)}))
    return out


def caption_layers(phrases: list[Phrase], frame: Frame, regions: Regions, style: Style, duration: float) -> list[Layer]:
    """One caption layer per phrase, bottom of the safe zone, held until the next phrase when the gap is short."""
    size = max(caption_font_size_for(frame, style), 8)
    look = style.caption
    out: list[Layer] = []
    for i, phrase in enumerate(phrases):
        nxt = phrases[i + 1].start if i + 1 < len(phrases) else duration
        end = nxt if nxt - phrase.end < 0.6 else phrase.end + 0.25
        spans = [phrase.keyword] if phrase.keyword else []
        out.append(text_layer(
            "caption", phrase.text, frame, regions.caption, size=size, start=phrase.start, end=min(end, duration),
            anchor="bottom-center", spans=spans, z=50, max_lines=2,
            animation=Animation(enter=look.enter, duration=0.12 if look.enter != "none" else 0.0, curve="ease_out"),
            font=style.fonts.body, fill=style.colors.caption_text,
            highlight_fill=style.colors.caption_highlight or style.colors.accent,
            shape="box" if look.shape == "box" and style.colors.caption_box else "none",
            background=style.colors.caption_box if look.shape == "box" else None,
            stroke=style.colors.ink if look.outline else None, stroke_width=max(1, size // 12) if look.outline else 0,
            padding=max(4, size // 4)))
    return out


def caption_font_size_for(frame: Frame, style: Style) -> int:
    return round(frame.short * style.caption.size)


def price_moment(product: Product, voice: VoiceTrack, spans: list[BeatSpan], language: str) -> float | None:
    """When the offer beat says the price that the slam shows (None without an offer beat or a price)."""
    offer = next((s for s in spans if s.kind == "offer"), None)
    shown = product.sale_price if product.sale_price is not None else product.price
    if offer is None or shown is None:
        return None
    return spoken_at([voice.lines[i] for i in offer.lines], money(shown), language)


def beat_layers(product: Product, script: Script, voice: VoiceTrack, spans: list[BeatSpan], shots: list[Shot],
                frame: Frame, regions: Regions, style: Style, preset: Preset, slam: float | None) -> list[Layer]:
    lines = script.lines()
    layers: list[Layer] = []
    for span in spans:
        first = lines[span.lines[0]]
        timings = [voice.lines[i] for i in span.lines]
        if span.kind == "hook":
            layers.append(hook_title(first.shown, frame, regions, style, span.end, tuple(first.keywords)))
        elif span.kind == "pain" and first.caption and first.caption != first.text:
            layers.append(question(first.caption, frame, regions, style, span.start + 0.1, span.end))
        elif span.kind == "demo":
            for n, i in enumerate(span.lines):
                line, timing = lines[i], voice.lines[i]
                start = span.start + 0.1 if n == 0 else timing.start - 0.05
                end = voice.lines[span.lines[n + 1]].start - 0.1 if n + 1 < len(span.lines) else span.end
                layers.append(point_callout(line.shown, frame, regions, style, start, end, tuple(line.keywords)))
        elif span.kind == "proof":
            layers += spec_rows(product, [lines[i].shown for i in span.lines], frame, regions, style, span.start, span.end)
        elif span.kind == "offer":
            layers += price_slam(product, timings, frame, regions, style, span.start, span.end, slam)
        elif span.kind == "cta":
            layers += pointer(preset.cart, frame, regions, style, span.start + 0.15, span.end)
    for shot in shots:
        if shot.picture.kind == "card" and shot.picture.card in ("title", "scene", "cta"):
            layers += card_words(shot.picture.card, product, frame, regions, style, shot.start, shot.end)
    return layers

