"""Short sound effects synthesised with numpy (no third-party audio ships with daihuo).

Each effect is mono float32 at 48 kHz, peak-normalised to 1.0, deterministic (seeded noise), and starts with
a few milliseconds of broadband transient so its onset is sharp: the edit places an effect on the frame it
belongs to (a cut, a callout appearing, the price landing), and people hear it there.
"""

from __future__ import annotations

from functools import cache

import numpy as np

RATE = 48000


def _t(seconds: float) -> np.ndarray:
    return np.arange(int(seconds * RATE), dtype=np.float32) / RATE


def _noise(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n).astype(np.float32)


def _band(signal: np.ndarray, low: float, high: float) -> np.ndarray:
    """Brick-wall band-pass in the frequency domain (effects are short, one FFT is cheap)."""
    spectrum = np.fft.rfft(signal)
    freqs = np.fft.rfftfreq(signal.size, 1 / RATE)
    spectrum[(freqs < low) | (freqs > high)] = 0
    return np.fft.irfft(spectrum, signal.size).astype(np.float32)


def _click(n: int, seed: int, length: float = 0.004) -> np.ndarray:
    """A broadband transient at the very start: what makes the onset crisp."""
    out = np.zeros(n, dtype=np.float32)
    k = min(n, int(length * RATE))
    out[:k] = _noise(k, seed) * np.exp(-np.arange(k) / (k / 4)).astype(np.float32)
    return out


def _normalise(x: np.ndarray) -> np.ndarray:
    fade = min(x.size, int(0.004 * RATE))
    x[-fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
    peak = float(np.abs(x).max()) or 1.0
    return (x / peak).astype(np.float32)


def whoosh(seconds: float = 0.34) -> np.ndarray:
    """Air rushing past: noise whose pass band sweeps up then down, a fast swell and a longer tail."""
    n = int(seconds * RATE)
    noise = _noise(n, 11)
    chunks = 12
    size = n // chunks
    out = np.zeros(n, dtype=np.float32)
    window = np.hanning(2 * size).astype(np.float32)
    for c in range(chunks):
        a = max(0, c * size - size // 2)
        piece = noise[a:a + 2 * size]
        x = c / (chunks - 1)
        centre = 700 + 5200 * np.sin(np.pi * min(1.0, x * 1.4)) ** 2
        filtered = _band(piece, centre * 0.45, centre * 1.8)
        out[a:a + piece.size] += filtered * window[:piece.size]
    out += 0.35 * _band(noise, 9000, 16000)
    t = np.linspace(0, 1, n, dtype=np.float32)
    envelope = np.minimum(1.0, 0.35 + t / 0.12) * np.exp(-np.maximum(0, t - 0.25) * 4.5)
    return _normalise(out * envelope + 0.5 * _click(n, 12))


def hit(seconds: float = 0.26) -> np.ndarray:
    """A cut accent: a low thump whose pitch drops, over a short bright transient."""
    t = _t(seconds)
    freq = 50 + 70 * np.exp(-t / 0.03)
    thump = np.sin(2 * np.pi * np.cumsum(freq) / RATE) * np.exp(-t / 0.07)
    return _normalise(thump.astype(np.float32) + 0.45 * _click(t.size, 21, 0.006))


def pop(seconds: float = 0.13) -> np.ndarray:
    """A bubble pop: a sine sliding down fast with a quick decay."""
    t = _t(seconds)
    freq = 320 + 900 * np.exp(-t / 0.018)
    tone = np.sin(2 * np.pi * np.cumsum(freq) / RATE) * np.exp(-t / 0.035)
    return _normalise(tone.astype(np.float32) + 0.35 * _click(t.size, 31))


def tick(seconds: float = 0.06) -> np.ndarray:
    """A light tick for rows appearing one after another."""
    n = int(seconds * RATE)
    body = _band(_noise(n, 41), 2500, 9000) * np.exp(-np.arange(n) / (0.008 * RATE))
    return _normalise(body.astype(np.float32) + 0.4 * _click(n, 42))


def ding(seconds: float = 1.1) -> np.ndarray:
    """A bright bell (E6 with inharmonic partials), for the price landing."""
    t = _t(seconds)
    f0 = 1318.5
    bell = np.zeros_like(t)
    for ratio, level, decay in ((1.0, 1.0, 0.45), (2.0, 0.5, 0.28), (2.76, 0.35, 0.18), (5.4, 0.2, 0.08)):
        bell += level * np.sin(2 * np.pi * f0 * ratio * t) * np.exp(-t / decay)
    return _normalise(bell.astype(np.float32) + 0.3 * _click(t.size, 51))


def rise(seconds: float = 0.45) -> np.ndarray:
    """A short upward sweep, for the pointer to the cart."""
    t = _t(seconds)
    freq = 420 * (4.0 ** (t / seconds))
    tone = np.sin(2 * np.pi * np.cumsum(freq) / RATE) * np.minimum(1.0, t / 0.05) * np.exp(-t / 0.25)
    return _normalise(tone.astype(np.float32) + 0.3 * _click(t.size, 61))


SOUNDS = {"whoosh": whoosh, "hit": hit, "pop": pop, "tick": tick, "ding": ding, "rise": rise}


@cache
def sound(name: str) -> np.ndarray:
    """The effect `name` (one of SOUNDS), synthesised once per process; treat it as read-only."""
    return SOUNDS[name]()
