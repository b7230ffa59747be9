"""Where things go in the frame: disjoint regions inside the platform's safe zone (pure geometry).

Vertical frames stack them: the corner row (AIGC label, disclosures, price badge, logo) at the top, the hook
title under it, callouts above the caption band, the caption band at the bottom of the safe zone; cards use
the whole middle (the panel). Horizontal frames put the product picture on the left and a text column on the
right, captions across the bottom. The caption band never meets the callout region, so a caption never
covers a callout; a picture-in-picture host is kept out of the callout region too.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.models import Box
from generator.platforms import Preset

GAP = 0.012  # share of the frame height between regions


@dataclass(frozen=True)
class Regions:
    safe: tuple[int, int, int, int]  # left, top, right, bottom
    vertical: bool
    title: Box
    callout: Box
    panel: Box
    caption: Box
    picture: Box
    pointer: Box
    stage: Box  # the whole width between the corner row and the caption band: the price slam's room


def plan_regions(preset: Preset, *, corner_bottom: int, caption_size: int, callout_size: int, title_size: int,
                 content_box: Box, host_box: Box | None = None, stage_top: int | None = None) -> Regions:
    """Regions for this frame: `corner_bottom` is the lowest pixel of the corner row (label, badge, logo);
    `stage_top` the lowest of what stays on screen while the price badge steps aside for the price slam."""
    W, H = preset.width, preset.height
    left, top, right, bottom = preset.safe_box()
    gap = max(2, round(H * GAP))
    cx, cy, cw, ch = content_box
    area_l, area_r = max(left, cx), min(right, cx + cw)
    cap_h = int(caption_size * (1.25 * 2 + 0.25)) + 2 * max(4, caption_size // 4)
    cap_top = bottom - round(H * 0.015) - cap_h
    caption = (area_l, cap_top, area_r - area_l, cap_h)
    body_top = corner_bottom + gap
    title_h = int(title_size * (1.25 * 2 + 0.25)) + 2 * max(4, title_size // 4)
    callout_h = int(callout_size * (1.25 * 2 + 0.25)) + 2 * max(4, callout_size // 3) + gap
    vertical = H > W
    if vertical:
        col_l, col_r = area_l, area_r
        picture = (cx, body_top, cw, max(1, cap_top - body_top))
    else:
        split = area_l + int((area_r - area_l) * 0.54)
        col_l, col_r = split + gap, area_r
        picture = (cx, body_top, split - cx, max(1, cap_top - body_top))
    callout_bottom = cap_top - gap
    callout = (col_l, callout_bottom - callout_h, col_r - col_l, callout_h)
    if host_box is not None and vertical:  # a wider gap: a tilted or popping callout overshoots its box
        callout = _beside(callout, host_box, 3 * gap)
    title = (col_l, body_top, col_r - col_l, title_h)
    panel = (col_l, body_top, col_r - col_l, max(1, callout_bottom - body_top))
    pointer_h = min(callout_h, int(preset.short_side * 0.2))
    pointer = (col_l, callout[1] - pointer_h - gap, col_r - col_l, pointer_h)
    top = min(body_top, (stage_top if stage_top is not None else corner_bottom) + gap)
    stage = (area_l, top, area_r - area_l, max(1, callout_bottom - top))
    if host_box is not None and vertical:  # nothing the edit writes may cover the presenter
        stage, title, panel, pointer = (_beside(r, host_box, 3 * gap) for r in (stage, title, panel, pointer))
    return Regions(safe=(left, top, right, bottom), vertical=vertical, title=title, callout=callout, panel=panel,
                   caption=caption, picture=picture, pointer=pointer, stage=stage)


def _beside(region: Box, obstacle: Box, gap: int) -> Box:
    """The part of `region` left or right of `obstacle` (the wider one), when they overlap."""
    x, y, w, h = region
    ox, oy, ow, oh = obstacle
    if ox >= x + w or ox + ow <= x or oy >= y + h or oy + oh <= y:
        return region
    left_w = ox - gap - x
    right_x = ox + ow + gap
    right_w = x + w - right_x
    return (x, y, left_w, h) if left_w > right_w else (right_x, y, right_w, h)


def inside(box: Box, safe: tuple[int, int, int, int]) -> bool:
    x, y, w, h = box
    left, top, right, bottom = safe
    return x >= left and y >= top and x + w <= right and y + h <= bottom


def overlaps(a: Box, b: Box) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah
