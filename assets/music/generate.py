"""Synthesize the bundled background loop (royalty-free by construction: made here from sine waves).

Run: python assets/music/generate.py  → assets/music/soft_loop.ogg (16 bars of I–vi–IV–V at 100 bpm).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

RATE = 48000
BPM = 100
BEAT = 60 / BPM
CHORDS = [  # MIDI notes: C, Am, F, G
    (48, 60, 64, 67), (45, 57, 60, 64), (41, 57, 60, 65), (43, 55, 59, 62),
]


def tone(freq: float, seconds: float, decay: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    env = np.exp(-t * decay) * np.minimum(1.0, t / 0.01)
    return env * (np.sin(2 * np.pi * freq * t) + 0.3 * np.sin(4 * np.pi * freq * t))


def midi(note: int) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def render() -> np.ndarray:
    bar = 4 * BEAT
    total = np.zeros(int(len(CHORDS) * 4 * bar * RATE) + RATE)
    for rep in range(4):
        for i, chord in enumerate(CHORDS):
            start = (rep * len(CHORDS) + i) * bar
            bass, *upper = chord
            pad = sum(tone(midi(n), bar, 0.6) for n in upper) * 0.12
            at = int(start * RATE)
            total[at:at + len(pad)] += pad
            for beat in range(4):  # soft bass pulse and an arpeggio pluck on each beat
                b = tone(midi(bass), BEAT, 4.0) * 0.25
                p = tone(midi(upper[beat % 3] + 12), BEAT / 2, 7.0) * 0.08
                bt = int((start + beat * BEAT) * RATE)
                total[bt:bt + len(b)] += b
                total[bt:bt + len(p)] += p
    loop = total[: int(len(CHORDS) * 4 * 4 * bar * RATE / 4)]
    return loop / np.max(np.abs(loop)) * 0.7


def main(out: Path) -> None:
    pcm = (render() * 32767).astype("<i2").tobytes()
    subprocess.run(
        ["ffmpeg", "-y", "-v", "error", "-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", "-",
         "-c:a", "libvorbis", "-q:a", "3", str(out)],
        input=pcm, check=True,
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("soft_loop.ogg"))
