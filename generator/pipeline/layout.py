"""Where the host stands in a frame: picture-in-picture on vertical frames, side by side on horizontal ones."""

from __future__ import annotations

from generator.models import Box
from generator.platforms import Preset


def host_layout(preset: Preset) -> str:
    return "pip" if preset.vertical else "side"


def host_safe_box(preset: Preset, layout: str) -> Box:
    """The part of the safe zone the host may use: a pip host stands on the caption band, so captions never
    cover its face; a side host has the whole height beside the product."""
    from generator.video.layout import caption_band_top

    left, top, right, bottom = preset.safe_box()
    return (left, top, right, caption_band_top(preset)) if layout == "pip" else (left, top, right, bottom)
