"""Host engine `http`: a GPU talking-head server renders the presenter; we composite its frames.

Contract (docs/host_and_loop.md): POST multipart/form-data to settings.host_url with `audio` (the voice WAV),
`avatar` (reference image/video id), `fps`, `width`, `height`, `format` (zip|mp4). The answer is either
application/zip of PNG frames (RGBA honoured; optional meta.json {"fps": N}) or video/mp4 whose background is a
solid key colour (header X-Key-Color, default #00ff00). Frames are decoded once into a raw file on disk and
memory-mapped, so a long clip does not sit in RAM.
"""

from __future__ import annotations

import io
import json
import subprocess
import tempfile
import weakref
import zipfile
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from generator.errors import DaihuoError
from generator.host.base import Box
from generator.models import VoiceTrack

DEFAULT_KEY = (0, 255, 0)


class HostServerError(DaihuoError, RuntimeError):
    pass


def parse_colour(text: str | None) -> tuple[int, int, int]:
    if not text:
        return DEFAULT_KEY
    value = text.strip().lstrip("#")
    if len(value) != 6:
        raise HostServerError(f"X-Key-Color '{text}' is not #rrggbb")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def chroma_key(rgb: np.ndarray, key: tuple[int, int, int], tolerance: float = 90.0, soft: float = 60.0) -> np.ndarray:
    """Straight-alpha RGBA from frames on a solid key colour: near the key → transparent, soft edge, despill."""
    diff = rgb.astype(np.int16) - np.array(key, dtype=np.int16)
    dist = np.sqrt((diff.astype(np.float32) ** 2).sum(axis=-1))
    alpha = np.clip((dist - tolerance) / soft, 0.0, 1.0)
    out = np.empty(rgb.shape[:-1] + (4,), dtype=np.uint8)
    out[..., :3] = rgb
    if key == DEFAULT_KEY:  # green spill on edges: cap green at the larger of red and blue
        g_cap = np.maximum(rgb[..., 0], rgb[..., 2])
        edge = alpha < 1.0
        out[..., 1] = np.where(edge, np.minimum(rgb[..., 1], g_cap), rgb[..., 1])
    out[..., 3] = (alpha * 255).astype(np.uint8)
    return out


class HttpHost:
    """HostOverlay over frames received from a talking-head server."""

    engine = "http"

    def __init__(self, frames: np.ndarray, fps: float, box: Box, mouth_box: Box, *, keyed: tuple[int, int, int] | None,
                 workdir: Path) -> None:
        self.box, self.mouth_box, self.fps = box, mouth_box, fps
        self._frames = frames           # (n, h, w, 4) RGBA or (n, h, w, 3) RGB on a key colour, memory-mapped
        self._key = keyed
        self._last: tuple[int, np.ndarray] | None = None
        self._cleanup = weakref.finalize(self, _remove, workdir)

    @property
    def frame_count(self) -> int:
        return int(self._frames.shape[0])

    def rgba(self, t: float) -> np.ndarray:
        i = min(max(int(t * self.fps + 1e-6), 0), self.frame_count - 1)
        if self._last is not None and self._last[0] == i:
            return self._last[1]
        frame = np.asarray(self._frames[i])
        out = chroma_key(frame, self._key) if self._key is not None else np.array(frame)
        out.flags.writeable = False
        self._last = (i, out)
        return out

    @classmethod
    def fetch(cls, url: str | None, voice: VoiceTrack, *, box: Box, fps: int, avatar: str = "default",
              timeout: float = 300.0, mouth_box: Box = (0, 0, 1, 1)) -> HttpHost:
        if not url:
            raise HostServerError("host engine http needs DAIHUO_HOST_URL (the talking-head server's endpoint)")
        _, _, w, h = box
        audio = Path(voice.path)
        try:
            with audio.open("rb") as fh:
                resp = httpx.post(url, files={"audio": (audio.name, fh, "audio/wav")},
                                  data={"avatar": avatar, "fps": str(fps), "width": str(w), "height": str(h),
                                        "format": "zip"}, timeout=timeout)
        except (httpx.HTTPError, OSError) as exc:
            raise HostServerError(f"{url}: {exc}") from exc
        if resp.status_code != 200:
            raise HostServerError(f"{url} answered {resp.status_code}: {resp.text[:200]}")
        kind = resp.headers.get("content-type", "").split(";")[0].strip()
        workdir = Path(tempfile.mkdtemp(prefix="daihuo-host-"))
        try:
            if kind == "application/zip":
                frames, src_fps = _decode_zip(resp.content, (w, h), workdir)
                return cls(frames, src_fps or fps, box, mouth_box, keyed=None, workdir=workdir)
            if kind == "video/mp4":
                key = parse_colour(resp.headers.get("x-key-color"))
                frames, src_fps = _decode_mp4(resp.content, (w, h), workdir)
                return cls(frames, src_fps, box, mouth_box, keyed=key, workdir=workdir)
        except Exception:
            _remove(workdir)
            raise
        _remove(workdir)
        raise HostServerError(f"{url} answered content-type '{kind}'; expected application/zip or video/mp4")


def _decode_zip(data: bytes, size: tuple[int, int], workdir: Path) -> tuple[np.memmap, float | None]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise HostServerError(f"frames zip is damaged: {exc}") from exc
    names = sorted(n for n in archive.namelist() if n.lower().endswith(".png"))
    if not names:
        raise HostServerError("frames zip holds no .png frames")
    fps = None
    if "meta.json" in archive.namelist():
        fps = float(json.loads(archive.read("meta.json")).get("fps") or 0) or None
    w, h = size
    frames = np.memmap(workdir / "frames.rgba", dtype=np.uint8, mode="w+", shape=(len(names), h, w, 4))
    for i, name in enumerate(names):
        image = Image.open(io.BytesIO(archive.read(name))).convert("RGBA")
        if image.size != (w, h):
            image = image.resize((w, h), Image.Resampling.LANCZOS)
        frames[i] = np.asarray(image)
    frames.flush()
    return frames, fps


def _decode_mp4(data: bytes, size: tuple[int, int], workdir: Path) -> tuple[np.memmap, float]:
    src = workdir / "host.mp4"
    src.write_bytes(data)
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream=avg_frame_rate", "-of", "csv=p=0", str(src)], capture_output=True, text=True)
    num, _, den = probe.stdout.strip().partition("/")
    try:
        fps = float(num) / float(den or 1)
    except (ValueError, ZeroDivisionError):
        raise HostServerError(f"host video has no readable frame rate: {probe.stderr.strip()[:200]}") from None
    w, h = size
    raw = workdir / "frames.rgb"
    proc = subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), "-vf", f"scale={w}:{h}:flags=bicubic",
                           "-f", "rawvideo", "-pix_fmt", "rgb24", str(raw)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise HostServerError(f"cannot decode the host video: {proc.stderr.strip()[-300:]}")
    n = raw.stat().st_size // (w * h * 3)
    if n == 0:
        raise HostServerError("the host video has no frames")
    src.unlink()
    return np.memmap(raw, dtype=np.uint8, mode="r", shape=(n, h, w, 3)), fps


def _remove(workdir: Path) -> None:
    if workdir.exists():
        for p in workdir.glob("*"):
            p.unlink(missing_ok=True)
        workdir.rmdir()
