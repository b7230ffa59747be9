"""Blinks, breathing and head sway (pure, seeded: the same clip always moves the same way)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

BLINK_GAP = (2.0, 5.5)   # seconds between blinks (under 6 s, the longest a presenter should stare)
BLINK_SECONDS = 0.13


def blink_times(duration: float, seed: int) -> list[float]:
    """Blink start times: the first within 0.8–3.5 s, then every 2–5.5 s at random: no 6 s pass without one."""
    rng = random.Random(seed)
    times = []
    t = rng.uniform(0.8, 3.5)
    while t < duration:
        times.append(t)
        t += rng.uniform(*BLINK_GAP)
    return times


def eyes_closed(t: float, blinks: list[float], fps: int) -> bool:
    # At least one whole frame closed, so a blink shows at low frame rates too.
    length = max(BLINK_SECONDS, 1.0 / fps)
    return any(b <= t < b + length for b in blinks)


@dataclass(frozen=True)
class Motion:
    """Integer pixel offsets: head (dx, dy) and body dy (breathing), amplitudes scaled to the host size."""

    amplitude: int
    phase: float

    def head(self, t: float) -> tuple[int, int]:
        a = self.amplitude
        dx = round(a * math.sin(2 * math.pi * t / 7.3 + self.phase))
        dy = round(a * 0.6 * math.sin(2 * math.pi * t / 5.1 + 2 * self.phase))
        return dx, dy

    def body(self, t: float) -> int:
        # Breathing: a slow rise of at most one amplitude step every ~4 s.
        return round(self.amplitude * 0.5 * (1 - math.cos(2 * math.pi * t / 4.2 + self.phase)))


def motion_for(height: int, seed: int) -> Motion:
    return Motion(amplitude=max(1, round(height * 0.006)), phase=random.Random(seed).uniform(0, 2 * math.pi))
