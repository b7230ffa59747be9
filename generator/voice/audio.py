"""Small audio helpers shared by the voice engines, the rate measurement and the track (numpy, no ffmpeg)."""

from __future__ import annotations

import os
import tempfile
import wave
from pathlib import Path

import numpy as np

from generator.voice.timing import EDGE_PAD

SILENCE_THRESHOLD = 0.01


def read_mono(path: Path) -> tuple[np.ndarray, int]:
    """A PCM WAV as float32 mono in [-1, 1] and its sample rate."""
    with wave.open(str(path), "rb") as w:
        rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        raw = w.readframes(w.getnframes())
    if width == 2:
        data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 4:
        data = np.frombuffer(raw, dtype="<i4").astype(np.float32) / 2147483648.0
    elif width == 1:
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    else:  # 24-bit: widen each sample to 32 bits
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
        wide = (b[:, 0].astype(np.int32) << 8) | (b[:, 1].astype(np.int32) << 16) | (b[:, 2].astype(np.int32) << 24)
        data = wide.astype(np.float32) / 2147483648.0
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    return data, rate


def resample(audio: np.ndarray, src: int, dst: int) -> np.ndarray:
    """Linear-interpolation resampling; speech goes up from 22.05/24 kHz to 48 kHz, where this is transparent."""
    if src == dst or audio.size == 0:
        return audio.astype(np.float32, copy=False)
    n = int(round(audio.size * dst / src))
    return np.interp(np.arange(n) * (src / dst), np.arange(audio.size), audio).astype(np.float32)


def trim_silence(audio: np.ndarray, rate: int) -> tuple[np.ndarray, float]:
    """The voiced span plus EDGE_PAD on each side, and the seconds cut from the front (engines pad their
    files with silence; the track's own pauses set the rhythm)."""
    loud = np.flatnonzero(np.abs(audio) > SILENCE_THRESHOLD)
    if loud.size == 0:
        return audio[: int(0.2 * rate)], 0.0
    pad = int(EDGE_PAD * rate)
    first = max(0, int(loud[0]) - pad)
    return audio[first: int(loud[-1]) + pad], first / rate


def write_pcm16(path: Path, mono: np.ndarray, rate: int) -> None:
    """A 16-bit mono WAV, written under a temporary name and renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = (np.clip(mono, -1.0, 1.0) * 32767.0).astype("<i2")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".wav")
    os.close(fd)
    try:
        with wave.open(tmp, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(pcm.tobytes())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
