"""Where the detail is in a product photo: edge and contrast saliency with numpy, and crops chosen from it.

A studio photo is mostly smooth backdrop; its product, label, buttons and textures are where edges, local
contrast and colour are. The saliency map is the sum of those three (each scaled to 0..1) on a small copy of
the photo; window sums come from an integral image; the best windows that do not overlap much become the
detail crops a one-photo product is shown with, and the bounding box of the salient mass frames it tight.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

WORK_SIDE = 160  # the saliency map's long side, pixels


@dataclass(frozen=True)
class PhotoInfo:
    """What the edit needs to know about one product photo (regions are fractions: x0, y0, x1, y1)."""

    index: int
    width: int
    height: int
    subject: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)
    details: list[tuple[float, float, float, float]] = field(default_factory=list)


def saliency_map(rgb: np.ndarray) -> np.ndarray:
    """(h, w) float32 in 0..1: gradient magnitude + local contrast + saturation, each normalised."""
    f = rgb.astype(np.float32)
    gray = f @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    gx = np.zeros_like(gray)
    gy = np.zeros_like(gray)
    gx[:, 1:-1] = np.abs(gray[:, 2:] - gray[:, :-2])
    gy[1:-1, :] = np.abs(gray[2:, :] - gray[:-2, :])
    grad = gx + gy
    contrast = np.abs(gray - _box_blur(gray, max(2, min(gray.shape) // 12)))
    saturation = f.max(axis=2) - f.min(axis=2)
    total = _unit(grad) + 0.7 * _unit(contrast) + 0.4 * _unit(saturation)
    return _unit(_box_blur(total, 2))


def _unit(a: np.ndarray) -> np.ndarray:
    lo, hi = float(np.percentile(a, 2)), float(a.max())
    return np.clip((a - lo) / (hi - lo), 0, 1) if hi > lo else np.zeros_like(a)


def _integral(a: np.ndarray) -> np.ndarray:
    out = np.zeros((a.shape[0] + 1, a.shape[1] + 1), dtype=np.float64)
    out[1:, 1:] = a.cumsum(0).cumsum(1)
    return out


def _box_blur(a: np.ndarray, r: int) -> np.ndarray:
    ii = _integral(a)
    h, w = a.shape
    y0 = np.clip(np.arange(h) - r, 0, h)
    y1 = np.clip(np.arange(h) + r + 1, 0, h)
    x0 = np.clip(np.arange(w) - r, 0, w)
    x1 = np.clip(np.arange(w) + r + 1, 0, w)
    s = ii[y1][:, x1] - ii[y0][:, x1] - ii[y1][:, x0] + ii[y0][:, x0]
    area = (y1 - y0)[:, None] * (x1 - x0)[None, :]
    return (s / area).astype(np.float32)


def subject_box(sal: np.ndarray, share: float = 0.9) -> tuple[float, float, float, float]:
    """The smallest box holding `share` of the saliency mass along each axis, grown by 8 %."""
    h, w = sal.shape
    mass = sal ** 2
    total = float(mass.sum())
    if total <= 0:
        return 0.0, 0.0, 1.0, 1.0
    cut = (1 - share) / 2

    def span(profile: np.ndarray) -> tuple[float, float]:
        c = np.cumsum(profile) / total
        return float(np.searchsorted(c, cut)), float(np.searchsorted(c, 1 - cut) + 1)

    x0, x1 = span(mass.sum(axis=0))
    y0, y1 = span(mass.sum(axis=1))
    gx, gy = (x1 - x0) * 0.08, (y1 - y0) * 0.08
    return (max(0.0, (x0 - gx) / w), max(0.0, (y0 - gy) / h), min(1.0, (x1 + gx) / w), min(1.0, (y1 + gy) / h))


def detail_regions(sal: np.ndarray, count: int = 3, size: float = 0.45, aspect: float = 9 / 16,
                   max_overlap: float = 0.3) -> list[tuple[float, float, float, float]]:
    """Up to `count` windows (width/height = `aspect`, area ≈ size² of the photo) with the most saliency.

    Windows are scored by their saliency sum (integral image); a window overlapping a better one by more than
    `max_overlap` of its area is skipped, and so is one with less than 40 % of the best one's score.
    """
    h, w = sal.shape
    side = size * (w * h) ** 0.5
    ww = int(min(w, max(4, side * aspect ** 0.5)))
    wh = int(min(h, max(4, side / aspect ** 0.5)))
    ii = _integral(sal)
    scores = ii[wh:, ww:] - ii[:-wh, ww:] - ii[wh:, :-ww] + ii[:-wh, :-ww]
    if scores.size == 0:
        return []
    step = max(1, min(ww, wh) // 8)
    ys, xs = np.mgrid[0:scores.shape[0]:step, 0:scores.shape[1]:step]
    flat = scores[ys, xs].ravel()
    order = np.argsort(-flat, kind="stable")
    chosen: list[tuple[int, int]] = []
    best = float(flat[order[0]]) or 1.0
    for idx in order:
        if len(chosen) >= count or flat[idx] < 0.4 * best:
            break
        y, x = int(ys.ravel()[idx]), int(xs.ravel()[idx])
        if all(_overlap((x, y), c, ww, wh) <= max_overlap for c in chosen):
            chosen.append((x, y))
    return [(x / w, y / h, (x + ww) / w, (y + wh) / h) for x, y in chosen]


def _overlap(a: tuple[int, int], b: tuple[int, int], ww: int, wh: int) -> float:
    dx = max(0, ww - abs(a[0] - b[0]))
    dy = max(0, wh - abs(a[1] - b[1]))
    return dx * dy / (ww * wh)


def analyse_photo(img: Image.Image, index: int = 0, *, aspect: float = 9 / 16, count: int = 3) -> PhotoInfo:
    """Saliency, subject box and detail crops of one photo (works on a ≤ 160 px copy: milliseconds)."""
    small = img.convert("RGB")
    small.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.BILINEAR)
    sal = saliency_map(np.asarray(small))
    sx0, sy0, sx1, sy1 = subject_box(sal)
    # Detail windows are sized against the subject, not the backdrop, so a small product still fills them.
    sub_w, sub_h = max(0.2, sx1 - sx0), max(0.2, sy1 - sy0)
    size = min(0.6, max(0.3, 0.55 * (sub_w * sub_h) ** 0.5))
    details = detail_regions(sal, count=count, size=size, aspect=aspect)
    return PhotoInfo(index=index, width=img.width, height=img.height, subject=(sx0, sy0, sx1, sy1), details=details)


def analyse_photos(paths: list[str], aspect: float) -> list[PhotoInfo]:
    """Every readable product photo, analysed (the edit's only file reads; unreadable photos are skipped)."""
    from generator.video.visuals import load_photo

    out: list[PhotoInfo] = []
    for i, path in enumerate(paths):
        photo = load_photo(path)
        if photo is not None:
            out.append(analyse_photo(photo, i, aspect=aspect))
    return out
