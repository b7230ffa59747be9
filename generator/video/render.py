"""Render a Timeline into an MP4.

The renderer only draws what the edit decided (generator/edit → Timeline). Each shot's picture is drawn once
per zoom step on a canvas slightly larger than the frame and converted once to YUV 4:2:0 planes; each layer
(and each frame of its entrance) is drawn once and premultiplied once (see compose.py and yuv.py). The
per-frame work is a crop of one canvas (two during a transition) and integer alpha blends over the layers'
small boxes; frames go raw (yuv420p) into ffmpeg, which encodes them. Meanwhile a side thread mixes the
soundtrack (the voice with the edit's sound effects, sound.py) and encodes it to AAC, so neither waits in front
of the first frame; a last stream-copy pass joins picture and sound and writes the AIGC metadata. A long enough
clip can be encoded in chunks at once, each fed by its own compositor, joined in that same pass (encode.py).
Why not MoviePy's writer: it pipes rgb24 (ffmpeg then spends about a third of the encode converting to
yuv420p) and copies every frame; docs/bench.md has the measurements.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from generator.models import HostOverlay, Product, Timeline
from generator.platforms import Preset
from generator.settings import Settings, prefer_system_ffmpeg
from generator.video.compose import Canvases, build_layer_sprites, yuv_frame_function
from generator.video.encode import (
    choose_encoder,
    chunk_ranges,
    encode_args,
    encode_audio,
    encoder_params,
    join_parts,
    keyframe_interval,
    nvenc_available,
    raw_input,
    stream_frames,
)
from generator.video.pictures import PhotoCache
from generator.video.sound import mix_soundtrack
from generator.video.yuv import PlaneSprite, yuv420_to_rgb

__all__ = ["choose_encoder", "encoder_params", "frame_functions", "nvenc_available", "render_video",
           "rgb_frame_function"]


def frame_functions(timeline: Timeline, product: Product, host: HostOverlay | None = None,
                    ) -> Callable[[float], np.ndarray]:
    """The yuv420p frame function of a Timeline (flat buffer, reused between calls)."""
    host_sprites = _HostSprites(host).at if host is not None else None
    return yuv_frame_function(timeline, Canvases(timeline, PhotoCache(list(product.images))),
                              build_layer_sprites(timeline), host, host_sprites)


def rgb_frame_function(timeline: Timeline, product: Product, host: HostOverlay | None = None,
                       ) -> Callable[[float], np.ndarray]:
    """RGB frames (H, W, 3) uint8 of the same picture: previews, checks and MoviePy."""
    yuv = frame_functions(timeline, product, host)
    W, H = timeline.width, timeline.height
    n = W * H

    def make_frame(t: float) -> np.ndarray:
        buf = yuv(t)
        return yuv420_to_rgb(buf[:n].reshape(H, W), buf[n:n + n // 4].reshape(H // 2, W // 2),
                             buf[n + n // 4:].reshape(H // 2, W // 2))

    return make_frame


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


def render_video(
    timeline: Timeline, product: Product, preset: Preset, audio_path: Path, out_path: Path, *,
    aigc_json: str, settings: Settings, host: HostOverlay | None = None,
    timings: dict[str, float] | None = None,
) -> Path:
    """Render and encode to `out_path` atomically (temp names in the same folder, then rename).

    Frames are composed in yuv420p and streamed raw into ffmpeg: one encode, or, for a clip without a presenter
    that is long enough, `settings.render_chunks` chunks at once (generator/video/encode.py). While they encode,
    a side thread mixes the soundtrack (`audio_path` with the timeline's sound effects, sound.py) and encodes
    it to AAC. A last pass joins the video and the sound by stream copy and writes the AIGC metadata.

    `timings`, when given, is filled with seconds spent: `prepare` (until the first encode starts),
    `frames` (composing frames, including each shot's canvas drawn on first use; summed over chunks),
    `soundtrack` (the side thread's mix and AAC encode), `encode_wait` (the rest until the file is written)
    and `render` (the whole call). The benchmark reads them.
    """
    stem = f".{out_path.stem}.{os.getpid()}.{threading.get_ident()}"
    tmp = out_path.with_name(f"{stem}.tmp.mp4")
    mixed = out_path.with_name(f"{stem}.tmp.mix.wav")
    sound = out_path.with_name(f"{stem}.tmp.sound.m4a")
    started = time.perf_counter()
    if settings.renderer == "moviepy":
        try:
            soundtrack = mix_soundtrack(audio_path, timeline.sounds, timeline.duration, mixed)
            return render_video_moviepy(timeline, product, preset, soundtrack, out_path, aigc_json=aigc_json,
                                        host=host, settings=settings)
        finally:
            mixed.unlink(missing_ok=True)
    encoder = choose_encoder(settings)
    args = encode_args(encoder, preset, settings, aigc_json)
    n_frames = int(round(timeline.duration * timeline.fps))
    # A presenter's frames come from one engine (a remote one streams them in order): one encode then.
    wanted = settings.render_chunks if encoder == "libx264" and host is None else 1
    ranges = chunk_ranges(n_frames, keyframe_interval(preset), wanted)
    raw = raw_input(timeline.width, timeline.height, timeline.fps)
    codec = ["-c:v", encoder, "-preset", args.preset, *args.video]
    spent = [{"frames": 0.0} for _ in ranges]
    sound_seconds = [0.0]
    parts = [out_path.with_name(f"{stem}.tmp.part{k}.mp4") for k in range(len(ranges))]

    def frames(first: int, end: int) -> Iterator[np.ndarray]:
        make_frame = frame_functions(timeline, product, host)
        return (make_frame(n / timeline.fps) for n in range(first, end))

    def soundtrack() -> Path:
        begun = time.perf_counter()
        audio = encode_audio(mix_soundtrack(audio_path, timeline.sounds, timeline.duration, mixed), args, sound)
        sound_seconds[0] = time.perf_counter() - begun
        return audio

    def encode(k: int) -> None:
        first, end = ranges[k]
        stream_frames(["ffmpeg", "-y", "-v", "error", *raw, "-an", *codec, str(parts[k])], frames(first, end), spent[k])

    try:
        with ThreadPoolExecutor(max_workers=len(ranges), thread_name_prefix="encode") as pool:
            audio = pool.submit(soundtrack)
            prepared = time.perf_counter()
            others = [pool.submit(encode, k) for k in range(1, len(ranges))]
            # The first (or only) range is composed on this thread, the one the runner keeps for renders: frames
            # composed on a fresh thread per clip spread the allocator's free memory over new arenas (50 MB more
            # peak RSS over an 8-clip batch, measured), this thread reuses its own.
            encode(0)
            for job in others:
                job.result()
            join_parts(parts, audio.result(), args, tmp)
        os.replace(tmp, out_path)
    finally:
        for leftover in (tmp, mixed, sound, *parts):
            leftover.unlink(missing_ok=True)
    if timings is not None:
        done = time.perf_counter()
        composing = sum(s["frames"] for s in spent)
        timings.update(prepare=prepared - started, frames=composing, soundtrack=sound_seconds[0],
                       render=done - started,
                       encode_wait=max(0.0, done - prepared - composing / len(ranges)), chunks=len(ranges))
    return out_path


def render_video_moviepy(
    timeline: Timeline, product: Product, preset: Preset, audio_path: Path, out_path: Path, *,
    aigc_json: str, host: HostOverlay | None = None, settings: Settings,
) -> Path:
    """The same picture through MoviePy's own writer (DAIHUO_RENDERER=moviepy).

    One MoviePy VideoClip over the same compositor (its frames converted to RGB), written by write_videofile
    with the same encoder settings.
    Slower than the default (MoviePy pipes rgb24, so ffmpeg converts every frame to yuv420p: ~1.5× the
    floor against ~1.1×, see docs/bench.md); kept for users who extend the clip with MoviePy effects.
    """
    prefer_system_ffmpeg()  # the system ffmpeg, as the default path and the floor use
    from moviepy import VideoClip

    clip = VideoClip(rgb_frame_function(timeline, product, host), duration=timeline.duration)
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
