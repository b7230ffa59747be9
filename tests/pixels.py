"""Measurements from a clip's pixels and sound: cuts, shot lengths, still runs, sound onsets (for tests)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from PIL import Image

    from generator.models import Layer

CUT_LEVEL = 18.0  # mean absolute RGB change (0..255) across 8 frames that reads as a new picture
STILL_LEVEL = 0.25  # below this mean change, two frames a third of a second apart look the same


def gray_frames(clip: Path, width: int = 108, fps: int = 30) -> np.ndarray:
    """Every frame of the clip as a small RGB image, (n, h, w, 3) float32 (colour counts: a red card after a
    dimmed photo of the same brightness is a new picture)."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                            "-of", "csv=p=0", str(clip)], capture_output=True, text=True, check=True).stdout
    w, h = (int(v) for v in probe.strip().split(",")[:2])
    height = max(2, round(width * h / w / 2) * 2)
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(clip), "-vf", f"fps={fps},scale={width}:{height}",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, height, width, 3).astype(np.float32)


@dataclass(frozen=True)
class ShotStats:
    duration: float
    cuts: list[float]  # seconds: first frame of each new picture
    shots: list[float]  # lengths
    longest_still: float  # longest run of frames that do not change, seconds

    @property
    def first_change(self) -> float:
        return self.cuts[0] if self.cuts else self.duration

    @property
    def mean_shot(self) -> float:
        return float(np.mean(self.shots))

    @property
    def longest_shot(self) -> float:
        return float(max(self.shots))


def shot_stats(clip: Path, fps: int = 30) -> ShotStats:
    """Cuts from pixels: a change of at least CUT_LEVEL across 8 frames (0.27 s, so fades and slides count),
    placed on the frame that changes most; changes closer than 0.3 s are one cut."""
    frames = gray_frames(clip, fps=fps)
    n = frames.shape[0]
    step = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))  # step[i]: frame i → i+1
    span = np.abs(frames[8:] - frames[:-8]).mean(axis=(1, 2, 3))  # span[i]: frame i → i+8
    marked = np.zeros(n, dtype=bool)
    for i, d in enumerate(span):
        if d >= CUT_LEVEL:
            marked[i + 1:i + 9] = True
    cuts: list[float] = []
    i = 1
    while i < n:
        if not marked[i]:
            i += 1
            continue
        j = i
        while j < n and marked[j]:
            j += 1
        window = step[i - 1:j - 1]
        # The cut is where the change starts: the first frame that changes a quarter as much as the biggest one.
        first = i + int(np.argmax(window >= 0.25 * window.max()))
        if window.max() >= 2.0 and (not cuts or first / fps - cuts[-1] > 0.3):
            cuts.append(round(first / fps, 3))
        i = j
    bounds = [0.0, *cuts, n / fps]
    # Still: frames a third of a second apart that look the same (a slow drift changes little per frame).
    lag = fps // 3
    apart = np.abs(frames[lag:] - frames[:-lag]).mean(axis=(1, 2, 3))
    still = longest = 0
    for d in apart:
        still = still + 1 if d < STILL_LEVEL else 0
        longest = max(longest, still)
    return ShotStats(duration=n / fps, cuts=cuts, shots=[b - a for a, b in zip(bounds, bounds[1:], strict=False)],
                     longest_still=(longest + lag) / fps if longest else 0.0)


def sound_onsets(clip: Path, voice: Path, rate: int = 48000) -> list[float]:
    """Where sounds start that are not in the voice track: the clip's audio minus the voice (best gain).

    The voice track (speech and music) is the clip's input; what the render added on top of it is the sound
    effects. AAC coding noise stays 25–35 dB under the voice, effects do not.
    """
    def decode(path: Path) -> np.ndarray:
        raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(rate), "-f", "f32le",
                              "-"], capture_output=True, check=True).stdout
        return np.frombuffer(raw, dtype=np.float32).astype(np.float64)

    mix, speech = decode(clip), decode(voice)
    n = min(mix.size, speech.size)
    mix, speech = mix[:n], speech[:n]
    gain = float(np.dot(mix, speech) / max(1e-12, float(np.dot(speech, speech))))
    rest = mix - gain * speech
    hop = rate // 200  # 5 ms
    m = n // hop

    def level(x: np.ndarray) -> np.ndarray:
        return 10 * np.log10((x[: m * hop].reshape(m, hop) ** 2).mean(axis=1) + 1e-15)

    added, voiced = level(rest), level(gain * speech)
    onsets: list[float] = []
    for i in range(6, m - 6):
        # Loud enough to hear over the voice nearby (AAC smears a word's start ~20 ms early), and a jump of 8 dB
        # within 30 ms: the start of an effect, not its tail.
        if added[i] > -36.0 and added[i] > voiced[i - 6:i + 7].max() - 16.0 and added[i] - added[i - 6:i].min() > 8.0 \
                and (not onsets or i * hop / rate - onsets[-1] > 0.08):
            onsets.append(round(i * hop / rate, 3))
    return onsets


def ocr_layer(frame: Image.Image, layer: Layer, scale: int | None = None) -> str:
    """Tesseract on one layer's box of a decoded frame, its text keyed by the layer's own colours.

    Callouts are coloured text on coloured shapes over photos; keeping only the pixels near the text's fill and
    highlight colours (and undoing the layer's tilt) gives tesseract black ink on white. Tesseract is picky
    about glyph size, so a few enlargements are read and all readings returned, joined by "|".
    """
    import io
    import re

    from PIL import Image

    from generator.video.layers import color

    x, y, w, h = layer.box
    m = max(4, h // 8)
    crop = frame.crop((x - m, y - m, x + w + m, y + h + m))
    base = max(1, round(50 / max(1, layer.size)))  # Chinese reads best at glyphs of about 50 px
    readings = []
    # Tight keying drops light backgrounds next to white text; loose keying keeps anti-aliased strokes.
    tries = [(k, tol) for k in ([scale] if scale else sorted({base, base + 1})) for tol in (35, 60)]
    for k, tol in tries:
        big = np.asarray(crop.resize((crop.width * k, crop.height * k), Image.Resampling.LANCZOS)).astype(int)
        ink = np.zeros(big.shape[:2], dtype=bool)
        for fill in (layer.fill, layer.highlight_fill):
            ink |= np.abs(big - np.array(color(fill)[:3])).max(axis=2) < tol
        keyed = Image.fromarray(np.where(ink, 0, 255).astype(np.uint8))
        if layer.tilt:
            keyed = keyed.rotate(-layer.tilt, fillcolor=255, expand=True)
        buf = io.BytesIO()
        keyed.save(buf, "PNG")
        text = subprocess.run(["tesseract", "stdin", "stdout", "-l", "chi_sim+eng", "--psm", "6"],
                              input=buf.getvalue(), capture_output=True, check=True).stdout.decode("utf-8")
        readings.append(re.sub(r"\s+", "", text))
    return "|".join(readings)
