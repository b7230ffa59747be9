"""Voice loudness per video frame, normalised to 0..1 (the edge that reads the audio file)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np


def read_mono(path: str | Path) -> tuple[np.ndarray, int]:
    """Samples as float32 in -1..1 and the sample rate. PCM WAV directly; anything else through pydub/ffmpeg."""
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as w:
            width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
            raw = w.readframes(w.getnframes())
        if width not in (1, 2, 4):
            raise wave.Error(f"{width}-byte samples")
        dtype = {1: np.uint8, 2: np.int16, 4: np.int32}[width]
        data = np.frombuffer(raw, dtype=dtype).astype(np.float32)
        if width == 1:
            data = (data - 128.0) / 128.0
        else:
            data /= float(2 ** (8 * width - 1))
    except (wave.Error, EOFError):
        from pydub import AudioSegment

        seg = AudioSegment.from_file(path)
        channels, rate = seg.channels, seg.frame_rate
        data = np.array(seg.get_array_of_samples(), dtype=np.float32) / float(2 ** (8 * seg.sample_width - 1))
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    return data, rate


def frame_energy(samples: np.ndarray, rate: int, fps: int, frames: int | None = None) -> np.ndarray:
    """RMS per 1/fps window, scaled so the loud end of speech (95th percentile of voiced frames) is 1."""
    hop = rate / fps
    n = frames if frames is not None else int(np.ceil(len(samples) / hop))
    out = np.zeros(n, dtype=np.float32)
    for i in range(n):
        a, b = int(i * hop), int((i + 1) * hop)
        chunk = samples[a:b]
        if chunk.size:
            out[i] = float(np.sqrt(np.mean(chunk * chunk)))
    voiced = out[out > 1e-3]
    ref = float(np.percentile(voiced, 95)) if voiced.size else 0.0
    if ref <= 0:
        return np.zeros(n, dtype=np.float32)
    return np.clip(out / ref, 0.0, 1.0)


def voice_energy(path: str | Path, fps: int, duration: float | None = None) -> np.ndarray:
    samples, rate = read_mono(path)
    frames = int(np.ceil(duration * fps)) if duration else None
    return frame_energy(samples, rate, fps, frames)
