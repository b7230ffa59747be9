"""Layout: where everything goes and when, as pure data (a Timeline). No pixels are drawn here.

Scenes follow the script's beats (each beat shows its visual while its lines are spoken). Captions are
timed line by line from the voice track and wrapped by rendered width inside the platform's safe zone.
The AIGC label sits in the top-left corner of the safe zone for the whole clip, glyphs ≥ 5 % of the short
side; the price badge sits top-right; category disclosures sit under the label.
"""

from __future__ import annotations

from generator.compliance.aigc import MIN_LABEL_HEIGHT_RATIO
from generator.formatting import price_text
from generator.models import Overlay, Product, Scene, Script, Timeline, VoiceTrack
from generator.platforms import Preset
from generator.video.text import fit_text

CROSSFADE = 0.25


def label_font_size(preset: Preset) -> int:
    # CJK glyphs fill ~88 % of the em; 0.062 of the short side keeps the glyph height above the 5 % floor.
    return max(10, round(preset.short_side * max(0.062, MIN_LABEL_HEIGHT_RATIO / 0.85)))


def caption_font_size(preset: Preset) -> int:
    return max(10, round(preset.short_side * 0.058))


def caption_band_top(preset: Preset, lines: int = 2) -> int:
    """Top of the band that two caption lines (with their box) occupy at the bottom of the safe zone."""
    _, _, _, bottom = preset.safe_box()
    size = caption_font_size(preset)
    return bottom - round(preset.height * 0.02) - int(size * (1.25 * lines + 0.8))


def scenes_from_script(script: Script, voice: VoiceTrack) -> list[Scene]:
    """One scene per beat, from its first line's start to the next beat's first line (cuts land in pauses)."""
    starts: list[float] = []
    index = 0
    for beat in script.beats:
        starts.append(voice.lines[index].start if index < len(voice.lines) else voice.duration)
        index += len(beat.lines)
    starts[0] = 0.0
    scenes: list[Scene] = []
    directions = [(1.0, 0.3), (-1.0, 0.2), (0.4, 1.0), (-0.3, -1.0)]
    for i, beat in enumerate(script.beats):
        # Cut a little before the next beat's first word, inside the pause.
        end = voice.duration if i == len(script.beats) - 1 else max(starts[i] + 0.5, starts[i + 1] - 0.15)
        scenes.append(Scene(start=round(starts[i], 3), end=round(end, 3), visual=beat.visual, pan=directions[i % 4]))
    for a, b in zip(scenes, scenes[1:], strict=False):
        b.start = a.end
    return scenes


def build_timeline(
    product: Product, script: Script, voice: VoiceTrack, preset: Preset, *, disclosures: list[str] = (),  # type: ignore[assignment]
    host_layout: str = "none", host_box: tuple[int, int, int, int] | None = None,
) -> Timeline:
    W, H = preset.width, preset.height
    left, top, right, bottom = preset.safe_box()
    language = script.language
    duration = voice.duration
    overlays: list[Overlay] = []

    # AIGC label: top-left corner of the safe zone, on for the whole clip from the first frame.
    label_size = label_font_size(preset)
    overlays.append(Overlay(kind="label", lines=[preset.label], size=label_size, start=0.0, end=duration,
                            anchor="top-left", x=left, y=top, max_width=right - left))

    # Price badge: top-right, when the sheet has a price.
    badge = build_badge(product, preset, language, duration)
    if badge:
        overlays.append(badge)

    # Category disclosures (e.g. 本品不能代替药物) under the label, the whole clip.
    if disclosures:
        size = max(10, round(preset.short_side * 0.034))
        y = top + int(label_size * 1.25) + label_size // 2 + size // 2
        text = "；".join(disclosures) if language == "zh" else "; ".join(disclosures)
        lines, size = fit_text(text, language, size, (right - left) * 0.6, 2, max(10, size * 3 // 4))
        overlays.append(Overlay(kind="disclosure", lines=lines, size=size, start=0.0, end=duration,
                                anchor="top-left", x=left, y=y, max_width=right - left))

    # Captions: bottom of the safe zone, centred on it (on the product side when a host stands beside it),
    # timed to each line.
    cap_size = caption_font_size(preset)
    content_box = _content_box(preset, host_layout, host_box)
    cap_left, cap_right = left, right
    if host_layout == "side":
        cap_left, cap_right = max(left, content_box[0]), min(right, content_box[0] + content_box[2])
    cap_width = int((cap_right - cap_left) * 0.94)
    for timing in voice.lines:
        lines, size = fit_text(timing.caption, language, cap_size, cap_width, 2, max(10, int(cap_size * 0.7)))
        if len(lines) > 2:
            lines, size = fit_text(timing.caption, language, size, cap_width, 3, size)
        overlays.append(Overlay(kind="caption", lines=lines, size=size, start=timing.start, end=timing.end,
                                anchor="bottom-center", x=(cap_left + cap_right) // 2, y=bottom - round(H * 0.02),
                                max_width=cap_width))

    return Timeline(width=W, height=H, fps=preset.fps, duration=duration, language=language,
                    scenes=scenes_from_script(script, voice), overlays=overlays, content_box=content_box,
                    host_layout=host_layout)



def build_badge(product: Product, preset: Preset, language: str = "zh", duration: float = 0.0) -> Overlay | None:
    """The price badge (到手价 ¥89) at the top-right of the safe zone, or None without a price."""
    lines = _badge_lines(product, language)
    if not lines:
        return None
    left, top, right, _ = preset.safe_box()
    return Overlay(kind="badge", lines=lines, size=max(10, round(preset.short_side * 0.05)), start=0.0,
                   end=duration, anchor="top-right", x=right, y=top, max_width=int((right - left) * 0.42))


def _badge_lines(product: Product, language: str) -> list[str]:
    if product.sale_price is not None:
        head = "到手价" if language == "zh" else "Now"
        return [head, price_text(product.sale_price, product.currency)]
    if product.price is not None:
        return [price_text(product.price, product.currency)]
    return []


def _content_box(preset: Preset, host_layout: str, host_box: tuple[int, int, int, int] | None) -> tuple[int, int, int, int]:
    """Where product photos are fitted: the whole frame, or beside the host in the side-by-side layout."""
    W, H = preset.width, preset.height
    if host_layout == "side" and host_box:
        hx, _, hw, _ = host_box
        if hx + hw / 2 < W / 2:  # host on the left: product to its right
            x0 = hx + hw
            return (x0, 0, W - x0, H)
        return (0, 0, hx, H)
    return (0, 0, W, H)
