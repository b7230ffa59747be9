"""Small warping tools for face synthesis (numpy): a local (u, v) frame, curves along it, bilinear sampling.

Mouth and eye shapes are made by moving contours inside a frame whose u axis runs corner to corner and whose
v axis points down the face, so a tilted face warps the same way as a level one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Frame:
    """An orthonormal frame: origin, unit u axis (corner to corner) and unit v axis (down the face)."""

    origin: np.ndarray
    u: np.ndarray
    v: np.ndarray

    @classmethod
    def from_corners(cls, left: np.ndarray, right: np.ndarray) -> Frame:
        axis = (right - left) / max(float(np.linalg.norm(right - left)), 1e-6)
        return cls(origin=(left + right) / 2, u=axis, v=np.array([-axis[1], axis[0]]))

    def to_uv(self, xy: np.ndarray) -> np.ndarray:
        d = xy - self.origin
        return np.stack([d @ self.u, d @ self.v], axis=-1)

    def to_xy(self, uv: np.ndarray) -> np.ndarray:
        return self.origin + uv[..., :1] * self.u + uv[..., 1:2] * self.v


def curve(points_uv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A contour as (u, v) samples sorted by u, for np.interp."""
    order = np.argsort(points_uv[:, 0])
    return points_uv[order, 0], points_uv[order, 1]


def at(c: tuple[np.ndarray, np.ndarray], u: np.ndarray) -> np.ndarray:
    return np.interp(u, c[0], c[1])


def smoothstep(edge0: float | np.ndarray, edge1: float | np.ndarray, x: np.ndarray) -> np.ndarray:
    """0 at edge0, 1 at edge1 (either order), smooth in between."""
    t = np.clip((x - edge0) / np.where(np.abs(edge1 - edge0) < 1e-6, 1e-6, edge1 - edge0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def roi_grid(frame: Frame, box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Pixel centres of box (x0, y0, x1, y1) as xy (h, w, 2) and their (u, v) in the frame."""
    x0, y0, x1, y1 = box
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    xy = np.stack([xs, ys], axis=-1)
    return xy, frame.to_uv(xy)


def sample(image: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Bilinear samples of image (H, W, C) float32 at positions xy (..., 2), clamped at the edges."""
    h, w = image.shape[:2]
    x = np.clip(xy[..., 0], 0, w - 1.001)
    y = np.clip(xy[..., 1], 0, h - 1.001)
    x0, y0 = np.floor(x).astype(np.int32), np.floor(y).astype(np.int32)
    fx, fy = (x - x0)[..., None], (y - y0)[..., None]
    a, b = image[y0, x0], image[y0, x0 + 1]
    c, d = image[y0 + 1, x0], image[y0 + 1, x0 + 1]
    return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy


def clip_box(box: tuple[float, float, float, float], size: tuple[int, int]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    w, h = size
    return max(0, int(np.floor(x0))), max(0, int(np.floor(y0))), min(w, int(np.ceil(x1))), min(h, int(np.ceil(y1)))


def feather(shape: tuple[int, int], margin: int) -> np.ndarray:
    """An alpha ramp (0 at the border, 1 inside `margin` pixels), so a patch blends into what is under it."""
    h, w = shape
    ys = np.minimum(np.arange(h), np.arange(h)[::-1])[:, None]
    xs = np.minimum(np.arange(w), np.arange(w)[None, ::-1][0])[None, :]
    d = np.minimum(ys, xs).astype(np.float32)
    return np.clip(d / max(margin, 1), 0.0, 1.0)
