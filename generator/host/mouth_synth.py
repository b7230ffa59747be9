"""Mouth shapes from one photo: the lips and jaw are warped to each shape and the opening is painted in.

Everything is measured in units of the mouth width, in the mouth's own frame (u: corner to corner, v: down),
so the same numbers fit any face size and a slightly tilted head. The source photo's own opening (a smile
showing teeth) is first closed or widened to the target, so `closed` really closes the lips.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from generator.host import landmarks as lm
from generator.host.warp import Frame, at, clip_box, curve, feather, roi_grid, sample, smoothstep

# shape: (opening at the centre in mouth widths, change of mouth width, tongue shows, lower teeth show)
SHAPES: dict[str, tuple[float, float, bool, bool]] = {
    "closed": (0.0, 0.0, False, False),
    "narrow": (0.09, 0.0, False, True),
    "wide": (0.15, 0.10, False, True),
    "round": (0.24, -0.22, True, False),
    "open": (0.36, -0.04, True, False),
}
JAW_SHARE = 0.7  # of an opening, the jaw (lower lip) moves this much and the upper lip the rest
SS = 4           # supersampling of the painted opening


def _lens(u: np.ndarray, half: float) -> np.ndarray:
    """Opening profile along the mouth: full at the centre, zero at the corners."""
    return np.clip(1 - (u / max(half, 1e-6)) ** 2, 0, 1) ** 0.6


class MouthModel:
    """The mouth of one photo: its frame, contours and the region a shape may change."""

    def __init__(self, image: np.ndarray, points: np.ndarray) -> None:
        self.image = image
        p = points[:, :2].astype(np.float32)
        self.frame = Frame.from_corners(p[lm.LIP_UPPER_OUTER[0]], p[lm.LIP_UPPER_OUTER[-1]])
        uv = self.frame.to_uv(p)
        self.width = float(np.linalg.norm(p[lm.LIP_UPPER_OUTER[-1]] - p[lm.LIP_UPPER_OUTER[0]]))
        self.half = self.width / 2
        self.upper_inner = curve(uv[list(lm.LIP_UPPER_INNER)])
        self.lower_inner = curve(uv[list(lm.LIP_LOWER_INNER)])
        self.upper_outer = curve(uv[list(lm.LIP_UPPER_OUTER)])
        self.lower_outer = curve(uv[list(lm.LIP_LOWER_OUTER)])
        self.nose_v = float(uv[lm.NOSE_BASE, 1])
        self.chin_v = float(uv[lm.CHIN, 1])
        mw, a = self.width, self.half
        corners = np.array([[u, v] for u in (-2.5 * a, 2.5 * a) for v in (self.nose_v - 0.15 * mw,
                                                                           self.chin_v + 0.6 * mw)])
        xy = self.frame.to_xy(corners)
        h, w = image.shape[:2]
        self.box = clip_box((xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max() + 1, xy[:, 1].max() + 1), (w, h))
        self.skin = self._skin_colour()

    def _skin_colour(self) -> np.ndarray:
        """Median colour between nose and upper lip: lights the painted teeth and mouth to match the photo."""
        mw = self.width
        u = np.linspace(-0.3 * self.half, 0.3 * self.half, 9)
        v = np.linspace(self.nose_v + 0.05 * mw, float(at(self.upper_outer, np.zeros(1))[0]) - 0.04 * mw, 5)
        grid = np.stack(np.meshgrid(u, v), axis=-1).reshape(-1, 2)
        return np.median(sample(self.image, self.frame.to_xy(grid)), axis=0)

    def opening(self, u: np.ndarray) -> np.ndarray:
        return np.maximum(at(self.lower_inner, u) - at(self.upper_inner, u), 0.0)

    def shape(self, name: str) -> tuple[np.ndarray, tuple[int, int]]:
        """RGBA patch (uint8) of the mouth region in `name` shape, and its top-left corner on the image."""
        gap, widen, tongue, lower_teeth = SHAPES[name]
        x0, y0, x1, y1 = self.box
        _, uv = roi_grid(self.frame, self.box)
        gu, gv = uv[..., 0], uv[..., 1]
        mw, a = self.width, self.half
        band = smoothstep(at(self.upper_outer, gu) - 0.4 * mw, at(self.upper_outer, gu), gv) * \
            smoothstep(at(self.lower_outer, gu) + 0.4 * mw, at(self.lower_outer, gu), gv)
        sideways = widen * smoothstep(2.2 * a, 1.0 * a, np.abs(gu)) * band
        su = gu / (1 + sideways)
        delta = gap * mw * _lens(su, a) - self.opening(su)          # change of the opening at this u
        up, down = (1 - JAW_SHARE) * delta, JAW_SHARE * delta
        top, bottom = at(self.upper_inner, su) - up, at(self.lower_inner, su) + down
        split = (top + bottom) / 2
        # Upper lip: rigid up to its outer edge, fading out toward the nose.
        fade_up = smoothstep(self.nose_v, at(self.upper_outer, su) - up, gv)
        v_upper = gv + up * fade_up
        # Lower lip follows `delta` (lens-shaped); below it the jaw drops as one piece, fading under the chin.
        jaw = JAW_SHARE * (gap * mw - float(self.opening(np.zeros(1))[0]))
        jaw_profile = smoothstep(2.4 * a, 1.1 * a, np.abs(gu)) * smoothstep(self.chin_v + 0.55 * mw, self.chin_v, gv)
        lip_weight = smoothstep(at(self.lower_outer, su) + down + 0.3 * mw, bottom, gv)
        v_lower = gv - (down * lip_weight + jaw * jaw_profile * (1 - lip_weight))
        sv = np.where(gv < split, v_upper, v_lower)
        warped = sample(self.image, self.frame.to_xy(np.stack([su, sv], axis=-1)))
        rgb = np.clip(warped, 0, 255)
        if gap > 0:
            rgb = self._paint_opening(rgb, gu, gv, gap, widen, tongue, lower_teeth)
        alpha = feather(rgb.shape[:2], 4) * 255
        patch = np.dstack([rgb, alpha]).round().astype(np.uint8)
        return patch, (x0, y0)

    def _contours(self, gap: float, widen: float, n: int = 48) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Target inner-lip contours (u, v_top, v_bottom) of a shape, in the mouth frame."""
        a2 = self.half * (1 + widen)
        u2 = np.linspace(-a2, a2, n)
        us = u2 / (1 + widen)
        delta = gap * self.width * _lens(us, self.half) - self.opening(us)
        top = at(self.upper_inner, us) - (1 - JAW_SHARE) * delta
        bottom = at(self.lower_inner, us) + JAW_SHARE * delta
        return u2, top, np.maximum(bottom, top)

    def _paint_opening(self, rgb: np.ndarray, gu: np.ndarray, gv: np.ndarray, gap: float, widen: float,
                       tongue: bool, lower_teeth: bool) -> np.ndarray:
        """Mouth interior, teeth and tongue inside the opening, shaded and lit like the skin around the mouth.

        Shapes are drawn as coverage masks at SS x (smooth edges); colours are computed per pixel so teeth
        darken toward the corners and under the lip instead of reading as a flat white band.
        """
        x0, y0, x1, y1 = self.box
        w, h = x1 - x0, y1 - y0
        u, top, bottom = self._contours(gap, widen)
        mw, a2 = self.width, self.half * (1 + widen)
        light = float(np.clip(self.skin.mean() / 170.0, 0.45, 1.2))

        def pts(vs: np.ndarray, us: np.ndarray = u) -> list[tuple[float, float]]:
            xy = self.frame.to_xy(np.stack([us, vs], axis=-1)) - np.array([x0, y0])
            return [(float(x) * SS, float(y) * SS) for x, y in xy]

        def coverage(polygon: list[tuple[float, float]]) -> np.ndarray:
            mask = Image.new("L", (w * SS, h * SS), 0)
            ImageDraw.Draw(mask).polygon(polygon, fill=255)
            return np.asarray(mask.resize((w, h), Image.Resampling.BOX), dtype=np.float32)[..., None] / 255.0

        opening = coverage(pts(top) + pts(bottom)[::-1])
        depth = bottom - top
        v_top, v_bottom = np.interp(gu, u, top), np.interp(gu, u, bottom)
        across = np.clip(np.abs(gu) / max(a2, 1e-6), 0, 1)[..., None]
        # Interior: dark red-brown, darkest in the middle of the opening and toward the corners.
        mid = np.clip(1 - np.abs(gv - (v_top + v_bottom) / 2) / np.maximum((v_bottom - v_top) / 2, 1), 0, 1)
        interior = np.array([62.0, 24, 28]) * light * (1 - 0.35 * mid[..., None]) * (1 - 0.4 * across)
        paint = np.broadcast_to(interior, rgb.shape).copy()
        if tongue:
            tu = np.abs(u) < 0.62 * a2
            tv = bottom[tu] - 0.3 * depth[tu] * np.sqrt(np.clip(1 - (u[tu] / (0.62 * a2)) ** 2, 0, 1))
            cover = coverage(pts(tv, u[tu]) + pts(bottom[tu] + 1, u[tu])[::-1])
            tongue_rgb = np.array([138.0, 58, 64]) * light * (1 - 0.35 * across)
            paint = paint * (1 - cover) + tongue_rgb * cover
        teeth = np.clip(np.array([226.0, 220, 206]) * min(light, 1.05), 0, 245)
        inner = np.abs(u) < 0.74 * a2
        t_h = np.minimum(0.12 * mw, 0.55 * depth[inner])
        if inner.sum() > 2 and t_h.max() > 0.3:
            t_top = top[inner]
            cover = coverage(pts(t_top - 1, u[inner]) + pts(t_top + t_h, u[inner])[::-1])
            # Shade: under the lip, toward the corners, at the biting edge; faint gaps between the teeth.
            down = np.clip((gv - v_top) / max(0.12 * mw, 1), 0, 1)[..., None]
            shade = (0.62 + 0.38 * np.clip(down * 3, 0, 1)) * (1 - 0.55 * across ** 1.6) * (1 - 0.12 * down)
            gaps = np.zeros(gu.shape, np.float32)
            for k in (-0.56, -0.3, 0.0, 0.3, 0.56):
                gaps = np.maximum(gaps, np.clip(1 - np.abs(gu - k * a2) / max(0.018 * mw, 0.5), 0, 1))
            shade = shade * (1 - 0.22 * gaps[..., None])
            paint = paint * (1 - cover) + teeth * shade * cover
        if lower_teeth:
            low = np.abs(u) < 0.5 * a2
            lh = np.minimum(0.05 * mw, 0.3 * depth[low])
            if low.sum() > 2 and lh.max() > 0.3:
                cover = coverage(pts(bottom[low] - lh, u[low]) + pts(bottom[low] + 1, u[low])[::-1])
                paint = paint * (1 - cover) + teeth * 0.68 * (1 - 0.5 * across) * cover
        return rgb * (1 - opening) + paint * opening


def mouth_shapes(image: np.ndarray, points: np.ndarray) -> tuple[dict[str, tuple[np.ndarray, tuple[int, int]]],
                                                                  tuple[int, int, int, int]]:
    """Every shape in SHAPES as (RGBA patch, top-left), plus the mouth's box (x, y, w, h) on the image."""
    model = MouthModel(image.astype(np.float32), points)
    shapes = {name: model.shape(name) for name in SHAPES}
    p = points[:, :2]
    outer = p[list(lm.LIP_UPPER_OUTER + lm.LIP_LOWER_OUTER)]
    pad = 0.15 * model.width
    x0, y0 = outer.min(axis=0) - pad
    x1, y1 = outer.max(axis=0) + pad
    y1 += SHAPES["open"][0] * model.width * JAW_SHARE
    return shapes, (int(x0), int(y0), int(np.ceil(x1 - x0)), int(np.ceil(y1 - y0)))
