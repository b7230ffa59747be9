"""Where the host sits in the frame, per layout (pure geometry)."""

from __future__ import annotations

from generator.host.base import Box

PIP_WIDTH = 0.38      # share of the frame width a picture-in-picture host takes
SIDE_WIDTH = 1 / 3    # the host's column in the side layout


def default_safe(frame_size: tuple[int, int]) -> tuple[int, int, int, int]:
    """A conservative safe box (left, top, right, bottom) when the caller has no preset at hand."""
    w, h = frame_size
    if h > w:
        return round(w * 0.04), round(h * 0.083), round(w * 0.84), round(h * 0.75)
    return round(w * 0.05), round(h * 0.06), round(w * 0.95), round(h * 0.86)


def host_box(frame_size: tuple[int, int], layout: str, aspect: float,
             safe: tuple[int, int, int, int] | None = None) -> Box:
    """(x, y, w, h) of the host overlay. aspect is the sprite canvas height/width.

    pip: a card of ~38 % of the frame width at the bottom-left (pip-right: bottom-right) of the safe zone;
    side: the left third, bust standing on the bottom edge; full: a large bust on the bottom edge (centred in
    vertical frames, left of centre in horizontal ones, leaving room for a product card).
    """
    w, h = frame_size
    left, top, right, bottom = safe or default_safe(frame_size)
    if layout in ("pip", "pip-left", "pip-right"):
        bw = round(w * PIP_WIDTH)
        bh = min(round(bw * aspect), bottom - top)
        x = right - bw if layout == "pip-right" else left
        return _even(x, bottom - bh, bw, bh)
    if layout == "side":
        bw = round(w * SIDE_WIDTH) - left
        bh = min(round(bw * aspect), h - top)
        bw = min(bw, round(bh / aspect))
        return _even(left, h - bh, bw, bh)
    if layout == "full":
        if h > w:
            bw = round(w * 0.9)
            bh = min(round(bw * aspect), round(h * 0.7))
            bw = round(bh / aspect)
            return _even((w - bw) // 2, h - bh, bw, bh)
        bh = round(h * 0.9)
        bw = round(bh / aspect)
        return _even(round(w * 0.08), h - bh, bw, bh)
    raise ValueError(f"unknown host layout '{layout}'")


def _even(x: int, y: int, w: int, h: int) -> Box:
    """Even sizes (yuv420p-friendly), keeping the bottom edge where it was."""
    ew, eh = max(2, int(w) // 2 * 2), max(2, int(h) // 2 * 2)
    return int(x), int(y) + int(h) - eh, ew, eh
