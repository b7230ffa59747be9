"""Render a Timeline into an MP4, in one encode.

Everything static is drawn once with Pillow before the first frame: one oversized background per scene and
one RGBA image per caption, badge, label and disclosure, then converted once to YUV 4:2:0 planes (see
yuv.py). The per-frame work is a crop of the background planes (the slow pan) and integer alpha blends over
the small overlay boxes only; frames go raw (yuv420p) into one ffmpeg process, which encodes them, muxes the
finished voice track and writes the AIGC metadata in the same pass. Why not MoviePy's writer: it pipes rgb24
(ffmpeg then spends about a third of the encode converting to yuv420p) and copies every frame with tobytes();
docs/bench.md has the measurements. `frame_function` still gives the RGB reference picture.
"""

from __future__ import annotations

import bisect
import fcntl
import os
import shutil
import subprocess
import tempfile
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

from generator.models import HostOverlay, Overlay, Product, Scene, Timeline
from generator.platforms import Preset
from generator.settings import Settings, prefer_system_ffmpeg
from generator.video.layout import CROSSFADE
from generator.video.text import draw_lines
from generator.video.visuals import card_background, load_photo, photo_background
from generator.video.yuv import COLOR_TAGS, Frame420, PlaneBackground, PlaneSprite

PAN_MARGIN = 0.035  # fraction of the short side the background drifts over one scene


@dataclass
class Sprite:
    """A pre-rendered overlay, stored ready for the blend: premultiplied colour and inverse alpha."""

    x: int
    y: int
    premult: np.ndarray  # (h, w, 3) uint16: rgb * alpha
    inverse: np.ndarray  # (h, w, 1) uint16: 255 - alpha
    start: float
    end: float

    @classmethod
    def from_rgba(cls, rgba: np.ndarray, x: int, y: int, start: float, end: float) -> Sprite:
        alpha = rgba[:, :, 3:4].astype(np.uint16)
        return cls(x, y, rgba[:, :, :3].astype(np.uint16) * alpha, 255 - alpha, start, end)


def blend(frame: np.ndarray, sprite: Sprite) -> None:
    """Alpha-blend in place over the sprite's box only, clipped to the frame."""
    h, w = sprite.inverse.shape[:2]
    x0, y0 = max(sprite.x, 0), max(sprite.y, 0)
    x1, y1 = min(sprite.x + w, frame.shape[1]), min(sprite.y + h, frame.shape[0])
    if x0 >= x1 or y0 >= y1:
        return
    sx, sy = x0 - sprite.x, y0 - sprite.y
    region = frame[y0:y1, x0:x1]
    inv = sprite.inverse[sy:sy + y1 - y0, sx:sx + x1 - x0]
    pm = sprite.premult[sy:sy + y1 - y0, sx:sx + x1 - x0]
    region[:] = ((region * inv + pm) // 255).astype(np.uint8)


def overlay_image(overlay: Overlay, language: str) -> Image.Image:
    """Pixels of one overlay, in the style of its kind."""
    size = overlay.size
    if overlay.kind == "label":
        return draw_lines(overlay.lines, language, size, fill=(255, 255, 255, 255), stroke=None,
                          box=(0, 0, 0, 150), padding=max(4, size // 5))
    if overlay.kind == "badge":
        img = draw_lines(overlay.lines, language, size, fill=(255, 255, 255, 255), stroke=None,
                         box=(230, 40, 40, 235), padding=max(4, size // 3), line_spacing=1.15)
        return img
    if overlay.kind == "disclosure":
        return draw_lines(overlay.lines, language, size, fill=(255, 255, 255, 255), stroke=None,
                          box=(0, 0, 0, 140), padding=max(3, size // 4), align="left")
    return draw_lines(overlay.lines, language, size, fill=(255, 255, 255, 255), stroke=(0, 0, 0, 255),
                      box=(0, 0, 0, 110), padding=max(4, size // 4))


def place(overlay: Overlay, img: Image.Image, frame_w: int, frame_h: int) -> tuple[int, int]:
    """Top-left corner of the overlay image from its anchor, kept inside the frame."""
    if overlay.anchor == "top-left":
        x, y = overlay.x, overlay.y
    elif overlay.anchor == "top-right":
        x, y = overlay.x - img.width, overlay.y
    else:
        x, y = overlay.x - img.width // 2, overlay.y - img.height
    return max(0, min(x, frame_w - img.width)), max(0, min(y, frame_h - img.height))


def render_backgrounds(timeline: Timeline, product: Product, preset: Preset) -> list[np.ndarray]:
    margin = max(2, int(preset.short_side * PAN_MARGIN))
    canvas = (timeline.width + 2 * margin, timeline.height + 2 * margin)
    cache_: dict[str, np.ndarray] = {}
    out: list[np.ndarray] = []
    for scene in timeline.scenes:
        if scene.visual not in cache_:
            cache_[scene.visual] = np.asarray(_background(scene.visual, timeline, product, preset, canvas, margin))
        out.append(cache_[scene.visual])
    return out


def _background(visual: str, timeline: Timeline, product: Product, preset: Preset,
                canvas: tuple[int, int], margin: int) -> Image.Image:
    kind, _, arg = visual.partition(":")
    if kind == "image" and product.images:
        index = int(arg or 0) % len(product.images)
        photo = load_photo(product.images[index])
        if photo is not None:
            return photo_background(photo, canvas, timeline.content_box, preset, margin)
        kind, arg = "card", "title"
    card = arg if kind == "card" else "title"
    return card_background(card, product, timeline.language, canvas, timeline.content_box, preset, margin)


def pan_offset(scene: Scene, bg_shape: tuple[int, ...], width: int, height: int, t: float) -> tuple[int, int]:
    """Top-left of the frame window inside the oversized background at time t (the slow drift)."""
    max_x, max_y = bg_shape[1] - width, bg_shape[0] - height
    progress = min(1.0, max(0.0, (t - scene.start) / max(0.01, scene.end - scene.start)))
    dx, dy = scene.pan
    x = int(round(max_x / 2 + dx * (progress - 0.5) * max_x))
    y = int(round(max_y / 2 + dy * (progress - 0.5) * max_y))
    return min(max(x, 0), max_x), min(max(y, 0), max_y)


def frame_function(timeline: Timeline, backgrounds: list[np.ndarray], sprites: list[Sprite],
                   host: HostOverlay | None) -> Callable[[float], np.ndarray]:
    """RGB frames (H, W, 3) uint8: the reference picture, for previews and checks.

    The render itself composes the same picture in YUV (`yuv_frame_function`).
    """
    W, H = timeline.width, timeline.height
    starts = [s.start for s in timeline.scenes]

    def crop(i: int, t: float) -> np.ndarray:
        x, y = pan_offset(timeline.scenes[i], backgrounds[i].shape, W, H, t)
        return backgrounds[i][y:y + H, x:x + W]

    def make_frame(t: float) -> np.ndarray:
        i = max(0, bisect.bisect_right(starts, t) - 1)
        frame = crop(i, t).copy()
        k = _crossfade_weight(timeline, i, t)
        if k is not None:
            prev = crop(i - 1, t)
            frame = ((frame.astype(np.uint16) * k + prev.astype(np.uint16) * (256 - k) + 128) >> 8).astype(np.uint8)
        if host is not None:
            x, y, _, _ = host.box
            blend(frame, Sprite.from_rgba(host.rgba(t), x, y, 0, 0))
        for sprite in sprites:
            if sprite.start <= t < sprite.end:
                blend(frame, sprite)
        return frame

    return make_frame


def _crossfade_weight(timeline: Timeline, i: int, t: float) -> int | None:
    """Weight (of 256) of scene i over scene i-1 during the crossfade, None outside it."""
    since = t - timeline.scenes[i].start
    if i > 0 and since < CROSSFADE:
        return int(256 * since / CROSSFADE)
    return None


def yuv_frame_function(timeline: Timeline, backgrounds: list[PlaneBackground], sprites: list[PlaneSprite],
                       host: HostOverlay | None) -> Callable[[float], np.ndarray]:
    """yuv420p frames as one flat uint8 buffer (Y, then U, then V), the encoder's input format.

    The buffer is reused: it is valid until the next call. A frame whose inputs (scene, pan offset, crossfade
    weight, visible overlays, host image) equal the previous frame's is not composed again: the pan moves by
    whole pixels, so at 30 fps about half of the frames repeat the one before.
    """
    W, H = timeline.width, timeline.height
    starts = [s.start for s in timeline.scenes]
    frame, scratch = Frame420(W, H), Frame420(W, H)
    host_sprites = _HostSprites(host) if host is not None else None
    last: list = [(), None]

    def make_frame(t: float) -> np.ndarray:
        i = max(0, bisect.bisect_right(starts, t) - 1)
        offset = pan_offset(timeline.scenes[i], backgrounds[i].y.shape, W, H, t)
        k = _crossfade_weight(timeline, i, t)
        prev_offset = pan_offset(timeline.scenes[i - 1], backgrounds[i - 1].y.shape, W, H, t) if k is not None else None
        on = tuple(n for n, s in enumerate(sprites) if s.start <= t < s.end)
        hs = host_sprites.at(t) if host_sprites is not None else None
        key = (i, offset, k, prev_offset, on)
        if key == last[0] and hs is last[1]:
            return frame.data
        backgrounds[i].crop_into(frame.planes, *offset)
        if k is not None and prev_offset is not None:
            backgrounds[i - 1].crop_into(scratch.planes, *prev_offset)
            frame.mix_from(scratch.planes, k)
        if hs is not None:
            hs.blend_into(frame.planes)
        for n in on:
            sprites[n].blend_into(frame.planes)
        last[:] = [key, hs]  # holding hs keeps its identity from being reused by a new sprite
        return frame.data

    return make_frame


def _overlay_images(timeline: Timeline) -> list[tuple[np.ndarray, int, int, Overlay]]:
    out = []
    # Captions first, then the label last so that nothing ever covers it.
    order = {"caption": 0, "disclosure": 1, "badge": 2, "label": 3}
    for overlay in sorted(timeline.overlays, key=lambda o: order[o.kind]):
        img = overlay_image(overlay, timeline.language)
        x, y = place(overlay, img, timeline.width, timeline.height)
        out.append((np.asarray(img), x, y, overlay))
    return out


class _HostSprites:
    """The host's images converted for the YUV blend, converted once per distinct image.

    Hosts return the same (cached, read-only) array for a repeated pose, so the array's identity is the key.
    A weak reference tells a live key from an id that Python has reused for a new array, and keeps this
    cache from holding images the host itself has let go. Bounded by bytes: poses mostly repeat back to back.
    """

    def __init__(self, host: HostOverlay, budget_bytes: int = 64 << 20) -> None:
        self.host = host
        self.budget = budget_bytes
        self.used = 0
        self.cache: OrderedDict[int, tuple[weakref.ref, PlaneSprite, int]] = OrderedDict()

    def at(self, t: float) -> PlaneSprite:
        rgba = self.host.rgba(t)
        hit = self.cache.get(id(rgba))
        if hit is not None and hit[0]() is rgba:
            self.cache.move_to_end(id(rgba))
            return hit[1]
        if hit is not None:
            self._drop(id(rgba))
        sprite = PlaneSprite.from_rgba(rgba, self.host.box[0], self.host.box[1])
        size = sum(a.nbytes for a in (*sprite.pm, *sprite.inv))
        while self.cache and self.used + size > self.budget:
            self._drop(next(iter(self.cache)))
        try:
            ref = weakref.ref(rgba)
        except TypeError:  # not weak-referenceable: keep it alive instead, so the id cannot be reused
            ref = (lambda kept: lambda: kept)(rgba)
        self.cache[id(rgba)] = (ref, sprite, size)
        self.used += size
        return sprite

    def _drop(self, key: int) -> None:
        self.used -= self.cache.pop(key)[2]


def build_sprites(timeline: Timeline) -> list[Sprite]:
    """RGB sprites, in drawing order (the label last)."""
    return [Sprite.from_rgba(img, x, y, o.start, o.end) for img, x, y, o in _overlay_images(timeline)]


def build_plane_sprites(timeline: Timeline) -> list[PlaneSprite]:
    """The same overlays, ready for the YUV render."""
    return [PlaneSprite.from_rgba(img, x, y, o.start, o.end) for img, x, y, o in _overlay_images(timeline)]


@cache
def nvenc_available() -> bool:
    """True when ffmpeg has h264_nvenc and a GPU accepts a tiny test encode."""
    if not shutil.which("ffmpeg"):
        return False
    probe = subprocess.run(
        ["ffmpeg", "-hide_banner", "-v", "error", "-f", "lavfi", "-i", "color=black:s=256x256:d=0.1",
         "-c:v", "h264_nvenc", "-f", "null", "-"], capture_output=True, timeout=30,
    )
    return probe.returncode == 0


def choose_encoder(settings: Settings) -> str:
    if settings.encoder == "auto":
        return "h264_nvenc" if nvenc_available() else "libx264"
    return settings.encoder


def encoder_params(encoder: str, preset: Preset, settings: Settings, aigc_json: str) -> tuple[str, list[str]]:
    """(ffmpeg preset, extra output args). One place, so renders and the benchmark floor use the same settings."""
    gop = str(int(round(preset.fps * preset.gop_seconds)))
    common = ["-pix_fmt", "yuv420p", "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
              "-ar", str(preset.audio_rate), "-ac", "2", "-b:a", "160k",
              "-movflags", "+faststart+use_metadata_tags", "-metadata", f"AIGC={aigc_json}", *COLOR_TAGS]
    if encoder == "h264_nvenc":
        return "p5", ["-profile:v", "high", "-rc", "vbr", "-cq", "23", "-b:v", "0", "-bf", "2", *common]
    return settings.x264_preset, ["-profile:v", "high", "-crf", str(settings.crf), "-bf", "2", *common]


def render_video(
    timeline: Timeline, product: Product, preset: Preset, audio_path: Path, out_path: Path, *,
    aigc_json: str, settings: Settings, host: HostOverlay | None = None,
    timings: dict[str, float] | None = None,
) -> Path:
    """Render and encode to `out_path` atomically (temp name in the same folder, then rename).

    Frames are composed in yuv420p and streamed raw into one ffmpeg process, which encodes them, encodes
    and muxes the voice track and writes the AIGC metadata in the same pass.

    `timings`, when given, is filled with seconds spent: `prepare` (Pillow pre-rendering and conversion),
    `frames` (composing frames), `encode_wait` (blocked writing to ffmpeg, and ffmpeg finishing the file)
    and `render` (the whole call). The benchmark reads them.
    """
    if settings.renderer == "moviepy":
        return render_video_moviepy(timeline, product, preset, audio_path, out_path, aigc_json=aigc_json,
                                    host=host, settings=settings)
    started = time.perf_counter()
    backgrounds = plane_backgrounds(render_backgrounds(timeline, product, preset))
    make_frame = yuv_frame_function(timeline, backgrounds, build_plane_sprites(timeline), host)
    encoder = choose_encoder(settings)
    x264_preset, params = encoder_params(encoder, preset, settings, aigc_json)
    tmp = out_path.with_name(f".{out_path.stem}.{os.getpid()}.tmp.mp4")
    cmd = [
        "ffmpeg", "-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", "yuv420p",
        "-s", f"{timeline.width}x{timeline.height}", "-r", str(timeline.fps), "-i", "-",
        "-i", str(audio_path), "-map", "0:v:0", "-map", "1:a:0", "-c:v", encoder, "-preset", x264_preset,
        *params, *(["-threads", str(settings.threads)] if settings.threads else []), "-c:a", "aac", str(tmp),
    ]
    n_frames = int(timeline.duration * timeline.fps)
    prepared = time.perf_counter()
    spent = {"frames": 0.0}
    try:
        _stream(cmd, (make_frame(n / timeline.fps) for n in range(n_frames)), spent)
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
    if timings is not None:
        done = time.perf_counter()
        timings.update(prepare=prepared - started, frames=spent["frames"], render=done - started,
                       encode_wait=done - prepared - spent["frames"])
    return out_path


def render_video_moviepy(
    timeline: Timeline, product: Product, preset: Preset, audio_path: Path, out_path: Path, *,
    aigc_json: str, host: HostOverlay | None = None, settings: Settings,
) -> Path:
    """The same picture through MoviePy's own writer (DAIHUO_RENDERER=moviepy).

    One MoviePy VideoClip over the RGB compositor, written by write_videofile with the same encoder settings.
    Slower than the default (MoviePy pipes rgb24, so ffmpeg converts every frame to yuv420p: ~1.5× the
    floor against ~1.1×, see docs/bench.md); kept for users who extend the clip with MoviePy effects.
    """
    prefer_system_ffmpeg()  # the system ffmpeg, as the default path and the floor use
    from moviepy import VideoClip

    clip = VideoClip(frame_function(timeline, render_backgrounds(timeline, product, preset), build_sprites(timeline), host),
                     duration=timeline.duration)
    encoder = choose_encoder(settings)
    x264_preset, params = encoder_params(encoder, preset, settings, aigc_json)
    # MoviePy pipes rgb24: convert with the BT.709 matrix the stream is tagged with (ffmpeg's default is BT.601).
    params = [*params, "-vf", "scale=out_color_matrix=bt709:out_range=tv"]
    tmp = out_path.with_name(f".{out_path.stem}.{os.getpid()}.tmp.mp4")
    try:
        clip.write_videofile(str(tmp), fps=timeline.fps, codec=encoder, audio=str(audio_path), audio_codec="aac",
                             preset=x264_preset, threads=settings.threads or None, ffmpeg_params=params, logger=None)
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
        clip.close()
    return out_path


def plane_backgrounds(backgrounds: list[np.ndarray]) -> list[PlaneBackground]:
    """Convert each distinct background once (scenes of the same visual share one array)."""
    done: dict[int, PlaneBackground] = {}
    for bg in backgrounds:
        if id(bg) not in done:
            done[id(bg)] = PlaneBackground.from_rgb(bg)
    return [done[id(bg)] for bg in backgrounds]


def _stream(cmd: list[str], frames: Iterator[np.ndarray], spent: dict[str, float]) -> None:
    """Write each raw frame to ffmpeg's stdin; raise with ffmpeg's own message when it fails."""
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors)
        assert proc.stdin is not None
        _widen_pipe(proc.stdin.fileno())
        try:
            while True:
                start = time.perf_counter()
                frame = next(frames, None)
                spent["frames"] += time.perf_counter() - start
                if frame is None:
                    break
                proc.stdin.write(memoryview(frame))  # no copy: the buffer goes straight to the pipe
            proc.stdin.close()
        except BrokenPipeError:
            pass  # ffmpeg stopped reading: its exit status and message say why
        finally:
            code = proc.wait()
        if code != 0:
            errors.seek(0)
            message = errors.read().decode("utf-8", "replace").strip()[-2000:]
            raise RuntimeError(f"ffmpeg failed to encode the clip (exit {code}): {message or 'no message'}")


def _widen_pipe(fd: int) -> None:
    """A 1 MiB pipe instead of 64 KiB: far fewer context switches per 3 MB frame (Linux only, best effort)."""
    try:
        size = int(Path("/proc/sys/fs/pipe-max-size").read_text())
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, min(size, 1 << 20))
    except (OSError, ValueError, AttributeError):
        pass
