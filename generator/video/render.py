"""Render a Timeline into an MP4 with MoviePy, in one encode.

Everything static is drawn once with Pillow before the first frame: one oversized background per scene and
one RGBA image per caption, badge, label and disclosure. The per-frame work is then a crop of the
background (the slow pan) and integer alpha blends over the small overlay boxes only; MoviePy streams the
frames into ffmpeg, which muxes the finished voice track and writes the AIGC metadata in the same pass.
"""

from __future__ import annotations

import bisect
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np
from moviepy import VideoClip
from PIL import Image

from generator.models import Product
from generator.settings import Settings, get_settings
from generator.video.layout import CROSSFADE, Overlay, Timeline
from generator.video.presets import Preset
from generator.video.text import draw_lines
from generator.video.visuals import card_background, load_photo, photo_background

PAN_MARGIN = 0.035  # fraction of the short side the background drifts over one scene


class HostOverlay(Protocol):
    box: tuple[int, int, int, int]

    def rgba(self, t: float) -> np.ndarray: ...


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


def frame_function(timeline: Timeline, backgrounds: list[np.ndarray], sprites: list[Sprite],
                   host: HostOverlay | None) -> Callable[[float], np.ndarray]:
    W, H = timeline.width, timeline.height
    starts = [s.start for s in timeline.scenes]

    def crop(i: int, t: float) -> np.ndarray:
        scene = timeline.scenes[i]
        bg = backgrounds[i]
        max_x, max_y = bg.shape[1] - W, bg.shape[0] - H
        progress = min(1.0, max(0.0, (t - scene.start) / max(0.01, scene.end - scene.start)))
        dx, dy = scene.pan
        x = int(round(max_x / 2 + dx * (progress - 0.5) * max_x))
        y = int(round(max_y / 2 + dy * (progress - 0.5) * max_y))
        return bg[min(max(y, 0), max_y):min(max(y, 0), max_y) + H, min(max(x, 0), max_x):min(max(x, 0), max_x) + W]

    def make_frame(t: float) -> np.ndarray:
        i = max(0, bisect.bisect_right(starts, t) - 1)
        frame = crop(i, t).copy()
        since = t - timeline.scenes[i].start
        if i > 0 and since < CROSSFADE:
            k = int(255 * since / CROSSFADE)
            prev = crop(i - 1, t)
            frame = ((frame.astype(np.uint16) * k + prev.astype(np.uint16) * (255 - k)) // 255).astype(np.uint8)
        if host is not None:
            x, y, _, _ = host.box
            rgba = host.rgba(t)
            blend(frame, Sprite.from_rgba(rgba, x, y, 0, 0))
        for sprite in sprites:
            if sprite.start <= t < sprite.end:
                blend(frame, sprite)
        return frame

    return make_frame


def build_sprites(timeline: Timeline) -> list[Sprite]:
    sprites = []
    # Captions first, then the label last so that nothing ever covers it.
    order = {"caption": 0, "disclosure": 1, "badge": 2, "label": 3}
    for overlay in sorted(timeline.overlays, key=lambda o: order[o.kind]):
        img = overlay_image(overlay, timeline.language)
        x, y = place(overlay, img, timeline.width, timeline.height)
        sprites.append(Sprite.from_rgba(np.asarray(img), x, y, overlay.start, overlay.end))
    return sprites


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
              "-movflags", "+faststart+use_metadata_tags", "-metadata", f"AIGC={aigc_json}"]
    if encoder == "h264_nvenc":
        return "p5", ["-profile:v", "high", "-rc", "vbr", "-cq", "23", "-b:v", "0", "-bf", "2", *common]
    return settings.x264_preset, ["-profile:v", "high", "-crf", str(settings.crf), "-bf", "2", *common]


def render_video(
    timeline: Timeline, product: Product, preset: Preset, audio_path: Path, out_path: Path, *,
    aigc_json: str, host: HostOverlay | None = None, settings: Settings | None = None,
    timings: dict[str, float] | None = None,
) -> Path:
    """Render and encode to `out_path` atomically (temp name in the same folder, then rename).

    `timings`, when given, is filled with seconds spent: `prepare` (Pillow pre-rendering), `frames` (inside the
    frame function), `encode_wait` (the rest of the single encode+mux pass: pipe writes blocked on ffmpeg,
    and ffmpeg finishing the file) and `render` (the whole call). The benchmark reads them.
    """
    settings = settings or get_settings()
    started = time.perf_counter()
    backgrounds = render_backgrounds(timeline, product, preset)
    sprites = build_sprites(timeline)
    make_frame = frame_function(timeline, backgrounds, sprites, host)
    if timings is not None:
        make_frame = _timed(make_frame, timings)
    clip = VideoClip(make_frame, duration=timeline.duration)
    prepared = time.perf_counter()
    encoder = choose_encoder(settings)
    x264_preset, params = encoder_params(encoder, preset, settings, aigc_json)
    tmp = out_path.with_name(f".{out_path.stem}.{os.getpid()}.tmp.mp4")
    try:
        clip.write_videofile(
            str(tmp), fps=timeline.fps, codec=encoder, audio=str(audio_path), audio_codec="aac",
            preset=x264_preset, threads=settings.threads or None, ffmpeg_params=params, logger=None,
        )
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
        clip.close()
    if timings is not None:
        done = time.perf_counter()
        timings.update(prepare=prepared - started, render=done - started,
                       encode_wait=done - prepared - timings.get("frames", 0.0))
    return out_path


def _timed(make_frame: Callable[[float], np.ndarray], timings: dict[str, float]) -> Callable[[float], np.ndarray]:
    timings["frames"] = 0.0

    def timed(t: float) -> np.ndarray:
        start = time.perf_counter()
        frame = make_frame(t)
        timings["frames"] += time.perf_counter() - start
        return frame

    return timed
