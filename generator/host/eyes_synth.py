"""Blink frames from one photo: the upper lid slides down over the eye (half, then closed).

Per eye, in its own frame (u: corner to corner, v: down), the skin between the brow and the upper lid is
stretched down to the new lid line; below that line the eye stays as it is, so a half blink hides the top of
the iris the way a lid does. The lashes on the lid edge travel with it.
"""

from __future__ import annotations

import numpy as np

from generator.host import landmarks as lm
from generator.host.warp import Frame, at, clip_box, curve, feather, roi_grid, sample, smoothstep

STATES = {"half": 0.55, "closed": 1.0}  # share of the lid gap the upper lid covers


def _eye_patch(image: np.ndarray, p: np.ndarray, upper: tuple[int, ...], lower: tuple[int, ...],
               brow: tuple[int, ...], cover: float) -> tuple[np.ndarray, tuple[int, int]]:
    frame = Frame.from_corners(p[upper[0]], p[upper[-1]])
    uv = frame.to_uv(p)
    width = float(np.linalg.norm(p[upper[-1]] - p[upper[0]]))
    a = width / 2
    top, bottom, brow_c = curve(uv[list(upper)]), curve(uv[list(lower)]), curve(uv[list(brow)])
    brow_low = float(uv[list(brow), 1].max())
    lid_low = float(uv[list(lower), 1].max())
    corners = np.array([[u, v] for u in (-1.4 * a, 1.4 * a) for v in (min(float(uv[list(brow), 1].min()),
                                                                       -0.8 * width) - 0.1 * width,
                                                                   lid_low + 0.2 * width)])
    xy = frame.to_xy(corners)
    h, w = image.shape[:2]
    box = clip_box((xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max() + 1, xy[:, 1].max() + 1), (w, h))
    _, grid = roi_grid(frame, box)
    gu, gv = grid[..., 0], grid[..., 1]
    v_top, v_bottom = at(top, gu), at(bottom, gu)
    # The brow line where it covers the eye; never closer to the lid than a third of the eye width.
    v_brow = np.minimum(at(brow_c, gu), v_top - 0.33 * width)
    v_brow = np.maximum(v_brow, min(brow_low, float(v_top.min())) - 0.9 * width)
    inside = smoothstep(1.08 * a, 0.92 * a, np.abs(gu))            # fade to nothing past the corners
    v_lid = v_top + cover * np.maximum(v_bottom - v_top, 0) * inside
    stretch = (gv >= v_brow) & (gv < v_lid)
    t = (gv - v_brow) / np.maximum(v_lid - v_brow, 1e-3)
    sv = np.where(stretch, v_brow + t * (v_top - v_brow), gv)
    warped = sample(image, frame.to_xy(np.stack([gu, sv], axis=-1)))
    if cover >= 1.0:
        # A closed lid: a soft lash line where the lids meet, darker toward the outer corner.
        dist = np.abs(gv - v_lid)
        line = np.clip(1.2 - dist / max(0.035 * width, 0.6), 0, 1) * inside
        lash = np.minimum(warped.min(axis=-1, keepdims=True), 60.0)
        warped = warped * (1 - 0.55 * line[..., None]) + lash * 0.55 * line[..., None]
    alpha = feather(warped.shape[:2], 3) * 255
    return np.dstack([np.clip(warped, 0, 255), alpha]).round().astype(np.uint8), (box[0], box[1])


def blink_frames(image: np.ndarray, points: np.ndarray) -> dict[str, list[tuple[np.ndarray, tuple[int, int]]]]:
    """{state: [(RGBA patch, top-left) for each eye]} for the states in STATES."""
    p = points[:, :2].astype(np.float32)
    img = image.astype(np.float32)
    return {state: [_eye_patch(img, p, lm.EYE_A_UPPER, lm.EYE_A_LOWER, lm.BROW_A, cover),
                    _eye_patch(img, p, lm.EYE_B_UPPER, lm.EYE_B_LOWER, lm.BROW_B, cover)]
            for state, cover in STATES.items()}
