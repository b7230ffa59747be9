"""The photo host: a real portrait (a pack from `daihuo host create`) that talks, blinks, breathes and moves.

Per clip the pack is scaled to the overlay box once. A frame is the still photo plus the head region, composed
from the pack's precomputed mouth shape and eye state and turned by a small head pose (roll about the neck,
nod); breathing lifts the whole picture by a pixel or two. Poses are quantised and composites cached by
(mouth, eyes, roll, nod, breath), and the same array object is returned for a repeated pose, so the renderer
converts each distinct image once. Only numpy and Pillow run here, never MediaPipe.
"""

from __future__ import annotations

import math
import random
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from generator.host import landmarks as lm
from generator.host.animation import blink_times
from generator.host.energy import voice_energy
from generator.host.frame_cache import FrameCache
from generator.host.pack import PhotoPack
from generator.host.sprite import seed_for
from generator.host.visemes import mouth_shapes, text_track
from generator.models import Box, Script, VoiceTrack

ROLL_DEGREES = 1.4      # head tilt amplitude
ROLL_STEP = 0.35        # quantisation of the tilt (about one pixel at the top of a 400 px host)
NOD_SHARE = 0.004       # nod amplitude as a share of the box height
BREATH_SHARE = 0.004    # breathing travel as a share of the box height
BLINK_SECONDS = 0.15
CACHE_BYTES = 48 << 20


def blink_state(t: float, blinks: list[float], fps: int) -> str:
    """open, half or closed: a blink is half-closed, closed for at least one frame, then half again."""
    length = max(BLINK_SECONDS, 3.0 / fps)
    for b in blinks:
        if b <= t < b + length:
            phase = (t - b) / length
            return "closed" if 0.25 <= phase < 0.75 else "half"
    return "open"


@dataclass
class _Layer:
    """An RGBA image at overlay scale whose top-left sits at `origin` (overlay pixels) with the head at rest."""

    image: Image.Image
    origin: tuple[float, float]


@dataclass
class _Warped:
    """A layer turned by one roll step, ready to blend: premultiplied colour, 255 - alpha, overlay rect."""

    premult: np.ndarray
    inverse: np.ndarray
    x: int
    y: int


class PhotoHost:
    """HostOverlay of a PhotoPack animated by one VoiceTrack."""

    engine = "photo"

    def __init__(self, pack: PhotoPack, voice: VoiceTrack, script: Script | None, *, box: Box, fps: int,
                 card: bool = True) -> None:
        self.pack, self.box, self.fps, self.duration = pack, box, fps, voice.duration
        _, _, bw, bh = box
        cw, ch = pack.canvas
        self._breath = max(1, round(bh * BREATH_SHARE))
        self._nod = max(1, round(bh * NOD_SHARE))
        self._s = max(bw / cw, (bh + self._breath) / ch)
        size = (math.ceil(cw * self._s), math.ceil(ch * self._s))
        self._x0 = (size[0] - bw) // 2
        self._y0 = min(size[1] - bh - self._breath, max(0, round(0.02 * size[1])))
        scaled = np.asarray(Image.fromarray(pack.base).resize(size, Image.Resampling.LANCZOS))
        alpha = _card_alpha(bw, bh, all_corners=card)
        self._statics = [np.dstack([scaled[self._y0 + b:self._y0 + b + bh, self._x0:self._x0 + bw], alpha])
                         for b in range(self._breath + 1)]
        self._layers = _Layers(pack, self._s, (self._x0, self._y0))
        self.mouth_box = self._to_box(pack.mouth_box)
        eyes = pack.points[list(lm.EYE_A_UPPER + lm.EYE_A_LOWER + lm.EYE_B_UPPER + lm.EYE_B_LOWER), :2]
        (x0, y0), (x1, y1) = eyes.min(axis=0), eyes.max(axis=0)
        pad = 0.06 * (x1 - x0)
        self.eye_box = self._to_box((round(x0 - pad), round(y0 - pad), round(x1 - x0 + 2 * pad),
                                     round(y1 - y0 + 2 * pad)))  # both eyes, lids and lashes: for checks
        seed = seed_for(script, voice)
        self._phase = random.Random(seed).uniform(0, 2 * math.pi)
        self._blinks = blink_times(voice.duration + 1.0, seed)
        self.energy = voice_energy(voice.path, fps, voice.duration)
        self.shapes = mouth_shapes(text_track(voice.lines), self.energy, fps)
        self._warped: dict[tuple[str, int], _Warped] = {}
        self._poses: OrderedDict[tuple[int, int, int], np.ndarray] = OrderedDict()
        self._cache = FrameCache(CACHE_BYTES)

    def _to_box(self, rect: tuple[int, int, int, int]) -> Box:
        """A canvas rectangle (x, y, w, h) in overlay pixels at rest."""
        x, y, w, h = rect
        return (round(x * self._s) - self._x0, round(y * self._s) - self._y0, max(1, round(w * self._s)),
                max(1, round(h * self._s)))

    def state(self, t: float) -> tuple[str, str, int, int, int]:
        """(mouth shape, eyes, roll step, nod px, breath px) at time t."""
        i = min(max(int(t * self.fps), 0), len(self.shapes) - 1) if self.shapes else -1
        mouth = self.shapes[i] if i >= 0 and t < self.duration else "closed"
        eyes = blink_state(t, self._blinks, self.fps)
        p = self._phase
        roll = round(ROLL_DEGREES * math.sin(2 * math.pi * t / 6.3 + p) / ROLL_STEP)
        nod = round(self._nod * math.sin(2 * math.pi * t / 4.4 + 2 * p))
        breath = round(self._breath * 0.5 * (1 - math.cos(2 * math.pi * t / 4.2 + p)))
        return mouth, eyes, roll, nod, breath

    def rgba(self, t: float) -> np.ndarray:
        key = self.state(t)
        return self._cache.get(key, lambda: self._compose(*key))

    def _warp(self, name: str, roll: int) -> _Warped:
        """Layer `name` turned by `roll` steps about the neck pivot, cached (a handful of small images)."""
        key = (name, roll)
        if key not in self._warped:
            layer = self._layers.get(name)
            theta = math.radians(roll * ROLL_STEP)
            reach = math.ceil(abs(math.sin(theta)) * self._layers.radius(layer)) + 1
            ox, oy = layer.origin
            x0, y0 = math.floor(ox) - reach, math.floor(oy) - reach
            w, h = layer.image.width + 2 * reach + 1, layer.image.height + 2 * reach + 1
            c, s = math.cos(theta), math.sin(theta)
            px, py = self._layers.pivot
            # Output pixel (X, Y) → overlay point → undo the turn about the pivot → the layer's own pixels.
            dx, dy = x0 - px, y0 - py
            data = (c, s, c * dx + s * dy + px - ox, -s, c, -s * dx + c * dy + py - oy)
            turned = np.asarray(layer.image.transform((w, h), Image.Transform.AFFINE, data,
                                                      Image.Resampling.BICUBIC), dtype=np.uint16)
            a = turned[..., 3:4]
            self._warped[key] = _Warped(premult=turned[..., :3] * a + 127, inverse=255 - a, x=x0, y=y0)
        return self._warped[key]

    def _pose(self, roll: int, nod: int, breath: int) -> np.ndarray:
        """The still photo with the bare head turned and lifted: the part of a frame that changes slowly."""
        key = (roll, nod, breath)
        hit = self._poses.get(key)
        if hit is None:
            hit = self._statics[breath].copy()
            _blend(hit, self._warp("head", roll), nod - breath)
            self._poses[key] = hit
            while len(self._poses) > 6:
                self._poses.popitem(last=False)
        return hit

    def _compose(self, mouth: str, eyes: str, roll: int, nod: int, breath: int) -> np.ndarray:
        out = self._pose(roll, nod, breath).copy()
        _blend(out, self._warp(f"mouth_{mouth}", roll), nod - breath)
        if eyes != "open":
            _blend(out, self._warp(f"eyes_{eyes}", roll), nod - breath)
        out.flags.writeable = False
        return out


class _Layers:
    """The head and each mouth shape and eye state as layers at overlay scale, built on first use.

    Each is cut from the whole face composed at canvas size and then scaled, so every layer lines up with
    the still photo to the pixel; a mouth or eye layer's alpha is its patch's feathered alpha.
    """

    def __init__(self, pack: PhotoPack, scale: float, offset: tuple[int, int]) -> None:
        self.pack, self.scale, self.offset = pack, scale, offset
        self.pivot = (pack.pivot[0] * scale - offset[0], pack.pivot[1] * scale - offset[1])
        self._alpha, self._box = _head_alpha(pack)
        self._built: dict[str, _Layer] = {}

    def radius(self, layer: _Layer) -> float:
        """Farthest distance of the layer's pixels from the pivot (how far a turn can move them)."""
        ox, oy = layer.origin
        px, py = self.pivot
        return max(math.hypot(x - px, y - py) for x in (ox, ox + layer.image.width)
                   for y in (oy, oy + layer.image.height))

    def get(self, name: str) -> _Layer:
        if name not in self._built:
            self._built[name] = self._build(name)
        return self._built[name]

    def _build(self, name: str) -> _Layer:
        x0, y0, x1, y1 = self._box
        face = self.pack.base[y0:y1, x0:x1].astype(np.float32)
        alpha = self._alpha
        if name != "head":
            kind, state = name.split("_", 1)
            patches = [self.pack.mouths[state]] if kind == "mouth" else self.pack.eyes[state]
            alpha = np.zeros_like(self._alpha)
            for patch, (px, py) in patches:
                a = patch[..., 3:4].astype(np.float32) / 255
                sl = np.s_[py - y0:py - y0 + patch.shape[0], px - x0:px - x0 + patch.shape[1]]
                face[sl] = face[sl] * (1 - a) + patch[..., :3] * a
                alpha[sl] = np.maximum(alpha[sl], patch[..., 3])
        size = (max(1, round((x1 - x0) * self.scale)), max(1, round((y1 - y0) * self.scale)))
        rgb = Image.fromarray(np.clip(face + 0.5, 0, 255).astype(np.uint8)).resize(size, Image.Resampling.LANCZOS)
        mask = Image.fromarray(alpha).resize(size, Image.Resampling.BILINEAR)
        origin = (x0 * self.scale - self.offset[0], y0 * self.scale - self.offset[1])
        if name != "head":  # keep only the patch's own rectangle: small layers turn and blend fast
            bbox = mask.point(lambda v: 255 if v > 2 else 0).getbbox() or (0, 0, 1, 1)
            rgb, mask = rgb.crop(bbox), mask.crop(bbox)
            origin = (origin[0] + bbox[0], origin[1] + bbox[1])
        image = rgb.convert("RGBA")
        image.putalpha(mask)
        return _Layer(image=image, origin=origin)


def _blend(out: np.ndarray, layer: _Warped, dy: int) -> None:
    """Blend a turned layer into an RGBA frame in place, moved down by dy, clipped at the frame's edges."""
    h, w = layer.inverse.shape[:2]
    x0, y0 = layer.x, layer.y + dy
    fx0, fy0 = max(0, x0), max(0, y0)
    fx1, fy1 = min(out.shape[1], x0 + w), min(out.shape[0], y0 + h)
    if fx0 >= fx1 or fy0 >= fy1:
        return
    src = np.s_[fy0 - y0:fy1 - y0, fx0 - x0:fx1 - x0]
    region = out[fy0:fy1, fx0:fx1, :3]
    region[:] = (region * layer.inverse[src] + layer.premult[src]) // 255


def _card_alpha(w: int, h: int, *, all_corners: bool) -> np.ndarray:
    """Rounded corners (all four on a picture-in-picture card, the top two when standing on the frame edge)."""
    ss, r = 3, max(2, round(0.06 * w))
    img = Image.new("L", (w * ss, (h + (0 if all_corners else r)) * ss), 0)
    ImageDraw.Draw(img).rounded_rectangle((0, 0, w * ss - 1, img.height - 1), radius=r * ss, fill=255)
    return np.asarray(img.resize((w, h + (0 if all_corners else r)), Image.Resampling.BOX))[:h]


def _head_alpha(pack: PhotoPack) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Where the head moves: its mask, widened by every mouth and eye patch (they change what is under them)."""
    alpha = pack.head_mask.copy()
    for patch, (x, y) in [*pack.mouths.values(), *(p for ps in pack.eyes.values() for p in ps)]:
        sl = np.s_[y:y + patch.shape[0], x:x + patch.shape[1]]
        alpha[sl] = np.maximum(alpha[sl], patch[..., 3])
    ys, xs = np.nonzero(alpha > 3)
    rects = [(x, y, x + p.shape[1], y + p.shape[0]) for p, (x, y) in
             [*pack.mouths.values(), *(p for ps in pack.eyes.values() for p in ps)]]
    box = (min(int(xs.min()), *(r[0] for r in rects)), min(int(ys.min()), *(r[1] for r in rects)),
           max(int(xs.max()) + 1, *(r[2] for r in rects)), max(int(ys.max()) + 1, *(r[3] for r in rects)))
    return alpha[box[1]:box[3], box[0]:box[2]], box
