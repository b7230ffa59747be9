"""Frames composed in yuv420p from pre-rendered parts: the renderer's inner loop.

Per frame the work is a crop of one pre-converted canvas (the pan), or two for a transition, then integer
alpha blends over the small boxes of the visible layers. Nothing is resampled per frame: a zoom step is a
canvas of its own, drawn once; a layer's entrance (pop, stamp, fade) is a handful of sprites drawn once;
slides and bounces move a sprite by whole even pixels. Canvases and layers are drawn when they first show
and dropped when they are done, so memory stays flat in clip length.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

import numpy as np
from PIL import Image

from generator.models import HostOverlay, Layer, Picture, Shot, Timeline
from generator.video.layers import draw
from generator.video.motion import LayerState, ease, enter_state, loop_offset
from generator.video.pictures import PhotoCache, draw_framed, zoomed
from generator.video.yuv import Frame420, PlaneBackground, PlaneSprite

PAN_MARGIN = 0.04  # fraction of the short side a shot's window travels at most from the centre
WHITE_YUV = (235, 128, 128)


def pan_margin(width: int, height: int) -> int:
    return max(2, int(min(width, height) * PAN_MARGIN) // 2 * 2)


class Canvases:
    """Each (picture, zoom scale) converted to planes once, on first use; dropped after its last shot. A picture
    is framed once for all its zoom steps (each step only crops and scales the framed canvas): drawing it again
    for every step was a third of the compositor's picture work."""

    def __init__(self, timeline: Timeline, photos: PhotoCache) -> None:
        self.timeline = timeline
        self.photos = photos
        self.margin = pan_margin(timeline.width, timeline.height)
        self.cache: dict[tuple, PlaneBackground] = {}
        self.framed: dict[Picture, Image.Image] = {}  # RGB, kept while a zoom step of the picture is still to come
        self.last_use: dict[tuple, int] = {}
        self.last_zoom: dict[Picture, int] = {}
        for i, shot in enumerate(timeline.shots):
            for scale in _scales(shot):
                self.last_use[(shot.picture, scale)] = i
                if scale > 1.001:
                    self.last_zoom[shot.picture] = i

    def get(self, shot_index: int, scale: float) -> PlaneBackground:
        key = (self.timeline.shots[shot_index].picture, scale)
        hit = self.cache.get(key)
        if hit is None:
            picture = key[0]
            framed = self.framed.get(picture)
            if framed is None:
                framed = draw_framed(picture, self.photos, (self.timeline.width, self.timeline.height), self.margin)
                if picture in self.last_zoom:
                    self.framed[picture] = framed
            hit = self.cache[key] = PlaneBackground.from_rgb(zoomed(framed, scale), even_only=True)
        return hit

    def release_before(self, shot_index: int) -> None:
        """Forget canvases no shot from `shot_index - 1` on needs (the previous shot may still be sliding out)."""
        for key in [k for k in self.cache if self.last_use.get(k, -1) < shot_index - 1]:
            del self.cache[key]
        for picture in [p for p in self.framed if self.last_zoom[p] < shot_index - 1]:
            del self.framed[picture]


def _scales(shot: Shot) -> list[float]:
    return [1.0, *(s for _, s in shot.zoom)]


def zoom_at(shot: Shot, t: float) -> float:
    scale = 1.0
    for at, s in shot.zoom:
        if t >= at:
            scale = s
    return scale


def window(shot: Shot, t: float, until: float, margin: int) -> tuple[int, int]:
    """Top-left of the frame window inside the canvas at time t (the pan), eased from start to `until`."""
    p = ease(shot.curve, (t - shot.start) / max(0.01, until - shot.start))
    x0, y0, x1, y1 = shot.pan
    cx, cy = x0 + (x1 - x0) * p, y0 + (y1 - y0) * p
    # Whole even pixels: the canvas needs chroma for one pixel parity only (a quarter of the conversion and of
    # the memory), and at 1080p a 2-pixel step every few frames reads as the same slow drift.
    x = 2 * int(round((margin + max(-1.0, min(1.0, cx)) * margin) / 2))
    y = 2 * int(round((margin + max(-1.0, min(1.0, cy)) * margin) / 2))
    return x, y


class LayerSprites:
    """One layer, drawn when it first shows and let go when it is over: its resting sprite, and the sprites of
    its entrance frame by frame (each drawn once). Memory holds only the layers on screen."""

    def __init__(self, layer: Layer, language: str, fps: int) -> None:
        self.layer = layer
        self.language = language
        self.fps = fps
        anim = layer.animation
        self.frames = max(1, int(anim.duration * fps + 0.999)) if anim.enter != "none" and anim.duration > 0 else 0
        self._image: Image.Image | None = None
        self._rest: PlaneSprite | None = None
        self._entrance: dict[int, tuple[PlaneSprite, int, int]] = {}

    def _drawn(self) -> Image.Image:
        if self._image is None:
            self._image = draw(self.layer, self.language)
        return self._image

    def _resting(self) -> PlaneSprite:
        if self._rest is None:
            x, y, _, _ = self.layer.box
            self._rest = PlaneSprite.from_rgba(np.asarray(self._drawn()), x, y)
        return self._rest

    def release(self) -> None:
        self._image, self._rest = None, None
        self._entrance.clear()

    def at(self, t: float, fps: int | None = None) -> tuple[PlaneSprite, int, int] | None:
        layer = self.layer
        if not layer.start <= t < layer.end:
            if t >= layer.end and self._rest is not None:
                self.release()
            return None
        since = t - layer.start
        k = int(since * self.fps + 1e-6)
        if k < self.frames:
            hit = self._entrance.get(k)
            if hit is None:
                state = enter_state(layer.animation, k / self.fps)
                hit = self._entrance[k] = _entrance_frame(self._drawn(), layer, state, self._resting())
            return hit
        rest = self._resting()
        if self._entrance:  # the entrance is over: its frames and the drawn image are no longer needed
            self._entrance.clear()
            self._image = None
        dx, dy = loop_offset(layer.animation, since)
        return rest, dx, dy


def build_layer_sprites(timeline: Timeline) -> list[LayerSprites]:
    """Every layer, in drawing order, to be drawn when it first shows."""
    return [LayerSprites(layer, timeline.language, timeline.fps) for layer in sorted(timeline.layers, key=lambda la: la.z)]


def _entrance_frame(img: Image.Image, layer: Layer, state: LayerState,
                    rest: PlaneSprite) -> tuple[PlaneSprite, int, int]:
    if state.scale == 1.0 and state.alpha >= 0.999:
        return rest, state.dx, state.dy
    frame = img
    if state.scale != 1.0:
        w, h = max(1, round(img.width * state.scale)), max(1, round(img.height * state.scale))
        frame = img.resize((w, h), Image.Resampling.BILINEAR)
    if state.alpha < 0.999:
        frame = frame.copy()
        frame.putalpha(frame.getchannel("A").point(lambda a: int(a * state.alpha)))
    x, y, w, h = layer.box
    fx = x + (w - frame.width) // 2 + state.dx
    fy = y + (h - frame.height) // 2 + state.dy
    return PlaneSprite.from_rgba(np.asarray(frame), fx, fy), 0, 0


def yuv_frame_function(timeline: Timeline, canvases: Canvases, layers: list[LayerSprites],
                       host: HostOverlay | None, host_sprites: Callable[[float], PlaneSprite] | None = None,
                       ) -> Callable[[float], np.ndarray]:
    """yuv420p frames as one flat uint8 buffer (Y, then U, then V), the encoder's input.

    The buffer is reused: it is valid until the next call. A frame whose inputs equal the previous frame's is
    not composed again.
    """
    W, H = timeline.width, timeline.height
    shots = timeline.shots
    starts = [s.start for s in shots]
    # Each shot keeps moving while the next one transitions in.
    until = [s.end + (shots[i + 1].transition.duration if i + 1 < len(shots) else 0.0) for i, s in enumerate(shots)]
    frame, scratch = Frame420(W, H), Frame420(W, H)
    margin = canvases.margin
    last: list = [(), None]
    current = [-1]

    def picture_into(target: Frame420, i: int, t: float, shift: tuple[int, int] = (0, 0)) -> None:
        shot = shots[i]
        bg = canvases.get(i, zoom_at(shot, t))
        x, y = window(shot, t, until[i], margin)
        bg.crop_into(target.planes, x + shift[0], y + shift[1])

    def transition_into(target: Frame420, i: int, t: float, k: float, blur: int = 0) -> None:
        prev, cur = shots[i - 1], shots[i]
        pbg, cbg = canvases.get(i - 1, zoom_at(prev, t)), canvases.get(i, zoom_at(cur, t))
        px, py = window(prev, t, until[i - 1], margin)
        cx, cy = window(cur, t, until[i], margin)
        d = cur.transition.direction
        span = W if d in ("left", "right") else H
        p = min(span, max(0, int(round(span * k / 2)) * 2 + blur))
        if d == "left":
            pbg.copy_region_into(target.planes, px + p, py, (0, 0, W - p, H))
            cbg.copy_region_into(target.planes, cx, cy, (W - p, 0, p, H))
        elif d == "right":
            pbg.copy_region_into(target.planes, px, py, (p, 0, W - p, H))
            cbg.copy_region_into(target.planes, cx + W - p, cy, (0, 0, p, H))
        elif d == "up":
            pbg.copy_region_into(target.planes, px, py + p, (0, 0, W, H - p))
            cbg.copy_region_into(target.planes, cx, cy, (0, H - p, W, p))
        else:
            pbg.copy_region_into(target.planes, px, py, (0, p, W, H - p))
            cbg.copy_region_into(target.planes, cx, cy + H - p, (0, 0, W, p))

    def make_frame(t: float) -> np.ndarray:
        i = max(0, bisect.bisect_right(starts, t) - 1)
        if i != current[0]:
            canvases.release_before(i)
            current[0] = i
        shot = shots[i]
        since = t - shot.start
        tr = shot.transition
        # Fades are linear; pushes start fast and settle (the picture moves from the transition's first frame).
        k = ease("linear" if tr.kind in ("fade", "flash") else "ease_out", since / tr.duration) \
            if i > 0 and tr.kind != "cut" and 0 <= since < tr.duration else None
        visible = tuple((n, hit) for n, ls in enumerate(layers) if (hit := ls.at(t)) is not None)
        hs = host_sprites(t) if host_sprites is not None else None
        key = (i, zoom_at(shot, t), window(shot, t, until[i], margin), k, tuple((n, id(s), dx, dy) for n, (s, dx, dy) in visible))
        if key == last[0] and hs is last[1]:
            return frame.data
        if k is None:
            picture_into(frame, i, t)
        elif tr.kind == "fade":
            picture_into(frame, i, t)
            picture_into(scratch, i - 1, t)
            frame.mix_from(scratch.planes, int(256 * k))
        elif tr.kind == "flash":
            picture_into(frame, i, t)
            frame.mix_color(WHITE_YUV, int(90 + 166 * k))
        else:
            transition_into(frame, i, t, k)
            if tr.kind == "whip" and 0.1 < k < 0.75:  # a cheap motion blur: the same slide a little further, averaged
                transition_into(scratch, i, t, k, blur=max(2, W // 40 // 2 * 2))
                frame.mix_from(scratch.planes, 128)
        if hs is not None:
            hs.blend_into(frame.planes)
        for _, (sprite, dx, dy) in visible:
            sprite.blend_into(frame.planes, dx, dy)
        last[:] = [key, hs]
        return frame.data

    return make_frame
