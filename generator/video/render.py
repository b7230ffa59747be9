"""Render a Timeline into an MP4, in one encode.

The renderer only draws what the edit decided (generator/edit → Timeline). Each shot's picture is drawn once
per zoom step on a canvas slightly larger than the frame and converted once to YUV 4:2:0 planes; each layer
(and each frame of its entrance) is drawn once and premultiplied once (see compose.py and yuv.py). The
per-frame work is a crop of one canvas (two during a transition) and integer alpha blends over the layers'
small boxes; frames go raw (yuv420p) into one ffmpeg process, which encodes them, muxes the soundtrack (the
voice with the edit's sound effects, mixed in sound.py) and writes the AIGC metadata in the same pass.
Why not MoviePy's writer: it pipes rgb24 (ffmpeg then spends about a third of the encode converting to
yuv420p) and copies every frame; docs/bench.md has the measurements.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import numpy as np

from generator.models import HostOverlay, Product, Timeline
from generator.platforms import Preset
from generator.settings import Settings, prefer_system_ffmpeg
from generator.video.compose import Canvases, build_layer_sprites, yuv_frame_function
from generator.video.pictures import PhotoCache
from generator.video.sound import mix_soundtrack
from generator.video.yuv import COLOR_TAGS, PlaneSprite, yuv420_to_rgb


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
    and muxes the soundtrack (`audio_path` with the timeline's sound effects) and writes the AIGC metadata in
    the same pass.

    `timings`, when given, is filled with seconds spent: `prepare` (sound mix, layers drawn and converted),
    `frames` (composing frames, including each shot's canvas drawn on first use), `encode_wait` (blocked
    writing to ffmpeg, and ffmpeg finishing the file) and `render` (the whole call). The benchmark reads them.
    """
    tmp = out_path.with_name(f".{out_path.stem}.{os.getpid()}.tmp.mp4")
    mixed = out_path.with_name(f".{out_path.stem}.{os.getpid()}.tmp.mix.wav")
    try:
        started = time.perf_counter()
        soundtrack = mix_soundtrack(audio_path, timeline.sounds, timeline.duration, mixed)
        if settings.renderer == "moviepy":
            return render_video_moviepy(timeline, product, preset, soundtrack, out_path, aigc_json=aigc_json,
                                        host=host, settings=settings)
        make_frame = frame_functions(timeline, product, host)
        encoder = choose_encoder(settings)
        x264_preset, params = encoder_params(encoder, preset, settings, aigc_json)
        cmd = [
            "ffmpeg", "-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", "yuv420p",
            "-s", f"{timeline.width}x{timeline.height}", "-r", str(timeline.fps), "-i", "-",
            "-i", str(soundtrack), "-map", "0:v:0", "-map", "1:a:0", "-c:v", encoder, "-preset", x264_preset,
            *params, *(["-threads", str(settings.threads)] if settings.threads else []), "-c:a", "aac", str(tmp),
        ]
        n_frames = int(round(timeline.duration * timeline.fps))
        prepared = time.perf_counter()
        spent = {"frames": 0.0}
        _stream(cmd, (make_frame(n / timeline.fps) for n in range(n_frames)), spent)
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
        mixed.unlink(missing_ok=True)
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
