"""Frames composed directly in YUV 4:2:0 (BT.709, limited range), the encoder's own pixel format.

Streaming rgb24 into ffmpeg costs a full-frame RGB→YUV conversion per frame in swscale (about a third of
the x264 veryfast encode at 1080×1920) and twice the pipe traffic. Here every static layer is converted
once: backgrounds to a luma plane plus chroma planes for each of the four pixel parities of the pan
offset (so a 1-pixel pan step needs no resampling), overlays to premultiplied planes. Alpha blending
commutes with the affine RGB→YUV map, so blending in YUV gives the same picture as blending in RGB and
converting; only chroma at overlay edges is averaged over 2×2 blocks, as 4:2:0 does anyway.

Blends use weights out of 256 (alpha 255 → 256), so a shift replaces a division and alpha 0 and 255 are
exact.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image

KR, KB = 0.2126, 0.0722  # BT.709
KG = 1.0 - KR - KB
COLOR_TAGS = ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"]


def _matrix() -> np.ndarray:
    """Rows r, g, b, 1 → columns Y, Cb, Cr (limited range: Y 16–235, chroma 16–240)."""
    sy, su, sv = 219.0 / 255.0, 224.0 / 255.0 / (2 * (1 - KB)), 224.0 / 255.0 / (2 * (1 - KR))
    return np.array([
        [sy * KR, -su * KR, sv * (1 - KR)],
        [sy * KG, -su * KG, -sv * KG],
        [sy * KB, su * (1 - KB), -sv * KB],
        [16.0, 128.0, 128.0],
    ], dtype=np.float32)


RGB_TO_YUV = _matrix()
# The same map as Pillow's convert matrix (per output channel: r, g, b, offset), applied in C.
_PIL_MATRIX = tuple(float(RGB_TO_YUV[row, col]) for col in range(3) for row in range(4))


def _combine(channels: list[np.ndarray], ones: np.ndarray | float, column: int, bias: float = 0.0) -> np.ndarray:
    """One output column of RGB_TO_YUV applied to float planes r, g, b (and `ones` for the offset row).

    Element-wise on purpose: a (N, 4) @ (4, 3) matrix product is slower in numpy (BLAS is made for big inner
    dimensions, and its threads fight ffmpeg's for the two cores).
    """
    m = RGB_TO_YUV[:, column]
    out = channels[0] * m[0]
    out += channels[1] * m[1]
    out += channels[2] * m[2]
    out += ones * m[3] + bias
    return out


def _yuv_full(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float Y, Cb, Cr at full resolution."""
    channels = [rgb[..., i].astype(np.float32) for i in range(3)]
    y, u, v = (_combine(channels, 1.0, c) for c in range(3))
    return y, u, v


def _half(plane: np.ndarray) -> np.ndarray:
    """2×2 mean of a float plane with even sides."""
    return 0.25 * (plane[0::2, 0::2] + plane[1::2, 0::2] + plane[0::2, 1::2] + plane[1::2, 1::2])


def _u8(plane: np.ndarray) -> np.ndarray:
    return np.clip(plane + 0.5, 0, 255).astype(np.uint8)


def rgb_to_yuv420(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """uint8 (H, W, 3) with even H, W → uint8 Y (H, W), U and V (H/2, W/2)."""
    y, u, v = _yuv_full(rgb)
    return _u8(y), _u8(_half(u)), _u8(_half(v))


def yuv420_to_rgb(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The inverse, with chroma repeated 2×2: for checks and previews, not the render path."""
    yf = (y.astype(np.float32) - 16.0) * (255.0 / 219.0)
    uf = np.repeat(np.repeat((u.astype(np.float32) - 128.0) * (255.0 / 224.0), 2, 0), 2, 1)
    vf = np.repeat(np.repeat((v.astype(np.float32) - 128.0) * (255.0 / 224.0), 2, 0), 2, 1)
    r = yf + 2 * (1 - KR) * vf
    b = yf + 2 * (1 - KB) * uf
    g = (yf - KR * r - KB * b) / KG
    return np.clip(np.stack([r, g, b], axis=-1) + 0.5, 0, 255).astype(np.uint8)


@dataclass
class PlaneBackground:
    """An oversized background: luma, and chroma for each (x % 2, y % 2) of the crop offset."""

    y: np.ndarray
    chroma: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]

    @classmethod
    def from_rgb(cls, rgb: np.ndarray | Image.Image, even_only: bool = False) -> PlaneBackground:
        """Convert once: Pillow applies the BT.709 matrix and the 2×2 chroma means in C (≈20 ms for a 1080p
        canvas, against ≈85 ms in numpy float32); the result differs from the float path by ≤ 1 level.
        `even_only`: chroma for even crop offsets only (callers that move by whole even pixels)."""
        img = rgb if isinstance(rgb, Image.Image) else Image.fromarray(rgb)
        yuv = img.convert("RGB").convert("RGB", _PIL_MATRIX)
        y, u, v = yuv.split()
        chroma = {}
        w, h = img.size
        for px in ((0,) if even_only else (0, 1)):
            for py in ((0,) if even_only else (0, 1)):
                box = (px, py, px + (w - px) // 2 * 2, py + (h - py) // 2 * 2)
                chroma[(px, py)] = (np.asarray(u.crop(box).reduce(2)), np.asarray(v.crop(box).reduce(2)))
        return cls(np.asarray(y), chroma)

    def crop_into(self, planes: tuple[np.ndarray, np.ndarray, np.ndarray], x: int, y: int) -> None:
        """Copy the W×H window at (x, y) into the frame's planes."""
        fy, fu, fv = planes
        h, w = fy.shape
        np.copyto(fy, self.y[y:y + h, x:x + w])
        u, v = self.chroma[(x % 2, y % 2)]
        cx, cy = x // 2, y // 2
        np.copyto(fu, u[cy:cy + h // 2, cx:cx + w // 2])
        np.copyto(fv, v[cy:cy + h // 2, cx:cx + w // 2])

    def copy_region_into(self, planes: tuple[np.ndarray, np.ndarray, np.ndarray], x: int, y: int,
                         dst: tuple[int, int, int, int]) -> None:
        """Copy the window at (x, y) into the frame's rectangle `dst` = (dx, dy, w, h), all even numbers:
        slides show part of two shots side by side."""
        dx, dy, w, h = dst
        if w <= 0 or h <= 0:
            return
        fy, fu, fv = planes
        np.copyto(fy[dy:dy + h, dx:dx + w], self.y[y:y + h, x:x + w])
        u, v = self.chroma[(x % 2, y % 2)]
        cx, cy, ch, cw = x // 2, y // 2, h // 2, w // 2
        np.copyto(fu[dy // 2:dy // 2 + ch, dx // 2:dx // 2 + cw], u[cy:cy + ch, cx:cx + cw])
        np.copyto(fv[dy // 2:dy // 2 + ch, dx // 2:dx // 2 + cw], v[cy:cy + ch, cx:cx + cw])


@dataclass
class PlaneSprite:
    """An overlay ready to blend onto YUV 4:2:0 planes, padded to start on even pixels.

    Per plane: `pm` is colour × weight + 128 (the rounding term), `inv` is 256 − weight, both uint16.
    """

    x: int
    y: int
    pm: tuple[np.ndarray, np.ndarray, np.ndarray]
    inv: tuple[np.ndarray, np.ndarray]  # luma, chroma
    start: float = 0.0
    end: float = 0.0

    @classmethod
    def from_rgba(cls, rgba: np.ndarray, x: int, y: int, start: float = 0.0, end: float = 0.0) -> PlaneSprite:
        left, top = x % 2, y % 2
        h, w = rgba.shape[:2]
        padded = np.zeros(((top + h + 1) // 2 * 2, (left + w + 1) // 2 * 2, 4), dtype=np.uint8)
        padded[top:top + h, left:left + w] = rgba
        weight = padded[..., 3].astype(np.float32)
        weight += weight >= 128  # 0..255 → 0..256, so 255 is fully opaque
        # Premultiplied colour, then the (affine, so linear in [colour, 1]) conversion: premultiplied Y, Cb, Cr.
        # The 2×2 chroma mean commutes with it, so chroma is converted at quarter size.
        premult = [np.multiply(padded[..., i], weight, dtype=np.float32) for i in range(3)]
        half_pm, half_w = [_half(c) for c in premult], _half(weight)
        luma_pm = _combine(premult, weight, 0, 128.5).astype(np.uint16)  # + the blend's rounding term, rounded
        u_pm = _combine(half_pm, half_w, 1, 128.5).astype(np.uint16)
        v_pm = _combine(half_pm, half_w, 2, 128.5).astype(np.uint16)
        inv_luma = (256 - weight).astype(np.uint16)
        inv_chroma = (256.5 - half_w).astype(np.uint16)
        return cls(x - left, y - top, (luma_pm, u_pm, v_pm), (inv_luma, inv_chroma), start, end)

    def blend_into(self, planes: tuple[np.ndarray, np.ndarray, np.ndarray], dx: int = 0, dy: int = 0) -> None:
        """Blend in place over the sprite's box only (moved by the even offset dx, dy), clipped to the frame."""
        fy = planes[0]
        h, w = self.inv[0].shape
        px, py = self.x + dx, self.y + dy
        x0, y0 = max(px, 0), max(py, 0)
        x1, y1 = min(px + w, fy.shape[1] // 2 * 2), min(py + h, fy.shape[0] // 2 * 2)
        if x0 >= x1 or y0 >= y1:
            return
        sx, sy = x0 - px, y0 - py
        for i, plane in enumerate(planes):
            s = 1 if i == 0 else 2
            region = plane[y0 // s:y1 // s, x0 // s:x1 // s]
            rows, cols = region.shape
            inv = self.inv[0 if i == 0 else 1][sy // s:sy // s + rows, sx // s:sx // s + cols]
            pm = self.pm[i][sy // s:sy // s + rows, sx // s:sx // s + cols]
            buf = _scratch(i, rows, cols)
            np.multiply(region, inv, out=buf)
            buf += pm
            buf >>= 8
            np.copyto(region, buf, casting="unsafe")


_local = threading.local()


def _scratch(plane: int, rows: int, cols: int) -> np.ndarray:
    """A uint16 work area for one plane's blend, shared by every sprite of this thread (grown, never shrunk):
    a buffer per sprite would cost as much memory as the sprites themselves."""
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = [np.empty((0, 0), dtype=np.uint16) for _ in range(3)]
    buf = pool[plane]
    if buf.shape[0] < rows or buf.shape[1] < cols:
        buf = pool[plane] = np.empty((max(rows, buf.shape[0]), max(cols, buf.shape[1])), dtype=np.uint16)
    return buf[:rows, :cols]


class Frame420:
    """One reusable yuv420p frame buffer and its three plane views."""

    def __init__(self, width: int, height: int) -> None:
        if width % 2 or height % 2:
            raise ValueError(f"yuv420p needs even frame sides, got {width}x{height}")
        self.width, self.height = width, height
        n = width * height
        self.data = np.empty(n * 3 // 2, dtype=np.uint8)
        self.planes = (self.data[:n].reshape(height, width),
                       self.data[n:n + n // 4].reshape(height // 2, width // 2),
                       self.data[n + n // 4:].reshape(height // 2, width // 2))
        self._mix = [(np.empty(p.shape, dtype=np.uint16), np.empty(p.shape, dtype=np.uint16)) for p in self.planes]

    def mix_color(self, yuv: tuple[int, int, int], k: int) -> None:
        """self = (self·k + colour·(256−k)) / 256: a flash towards one colour."""
        for plane, value, (buf, _) in zip(self.planes, yuv, self._mix, strict=True):
            np.multiply(plane, k, out=buf, dtype=np.uint16)
            buf += value * (256 - k) + 128
            buf >>= 8
            np.copyto(plane, buf, casting="unsafe")

    def mix_from(self, other: tuple[np.ndarray, np.ndarray, np.ndarray], k: int) -> None:
        """self = (self·k + other·(256−k)) / 256, per plane: the crossfade."""
        for plane, prev, (buf, tmp) in zip(self.planes, other, self._mix, strict=True):
            np.multiply(plane, k, out=buf, dtype=np.uint16)
            np.multiply(prev, 256 - k, out=tmp, dtype=np.uint16)
            buf += tmp
            buf += 128
            buf >>= 8
            np.copyto(plane, buf, casting="unsafe")

    def rgb(self) -> np.ndarray:
        return yuv420_to_rgb(*self.planes)
