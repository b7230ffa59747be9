"""Motion curves and layer animation states: pure functions of time, shared by the edit and the renderer.

The edit uses `layer_bounds` to know every pixel an animated layer can cover (safe-zone and overlap checks);
the renderer uses `enter_state` and `loop_offset` to pre-render the few distinct frames of each animation.
Both call the same functions, so the bounds the Timeline states are the pixels the clip shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from generator.models import Animation, Box

_BACK = 1.70158


def _back_out(x: float) -> float:
    return 1 + (_BACK + 1) * (x - 1) ** 3 + _BACK * (x - 1) ** 2


def _elastic_out(x: float) -> float:
    if x <= 0 or x >= 1:
        return min(max(x, 0.0), 1.0)
    return 2 ** (-10 * x) * math.sin((x * 10 - 0.75) * (2 * math.pi / 3)) + 1


def _expo_in_out(x: float) -> float:
    if x <= 0 or x >= 1:
        return min(max(x, 0.0), 1.0)
    return 2 ** (20 * x - 10) / 2 if x < 0.5 else (2 - 2 ** (-20 * x + 10)) / 2


CURVES: dict[str, Callable[[float], float]] = {
    "linear": lambda x: x,
    "ease_in": lambda x: x ** 3,
    "ease_out": lambda x: 1 - (1 - x) ** 3,
    "ease_in_out": lambda x: 4 * x ** 3 if x < 0.5 else 1 - (-2 * x + 2) ** 3 / 2,
    "sine": lambda x: (1 - math.cos(math.pi * x)) / 2,
    "back_out": _back_out,
    "elastic_out": _elastic_out,
    "expo_in_out": _expo_in_out,
}


def ease(curve: str, x: float) -> float:
    """The curve at progress x (clamped to 0..1); unknown names fall back to ease_in_out."""
    x = min(max(x, 0.0), 1.0)
    return CURVES.get(curve, CURVES["ease_in_out"])(x)


@dataclass(frozen=True)
class LayerState:
    """How a layer is drawn at one moment, relative to its resting image and box."""

    scale: float = 1.0
    alpha: float = 1.0
    dx: int = 0
    dy: int = 0


REST = LayerState()
_SLIDES = {"slide_up": (0, 1), "slide_down": (0, -1), "slide_left": (1, 0), "slide_right": (-1, 0)}


def enter_state(animation: Animation, since: float) -> LayerState:
    """The state `since` seconds after the layer appears (REST once the entrance is over)."""
    if animation.enter == "none" or animation.duration <= 0 or since >= animation.duration:
        return REST
    p = max(0.0, since) / animation.duration
    k = ease(animation.curve, p)
    if animation.enter == "pop":
        return LayerState(scale=0.45 + 0.55 * k, alpha=min(1.0, 0.25 + 1.5 * p))
    if animation.enter == "stamp":
        return LayerState(scale=1.0 + 0.15 * (1 - ease("ease_out", p)), alpha=min(1.0, 0.2 + 2.0 * p))
    if animation.enter == "fade":
        return LayerState(alpha=ease("ease_out", p))
    ux, uy = _SLIDES.get(animation.enter, (0, 0))
    left = 1.0 - k
    return LayerState(alpha=min(1.0, 0.3 + 1.4 * p), dx=_even(ux * animation.distance * left),
                      dy=_even(uy * animation.distance * left))


def loop_offset(animation: Animation, since: float) -> tuple[int, int]:
    """Offset of a looping layer (a bouncing pointer), whole even pixels."""
    if animation.loop != "bounce" or animation.amplitude <= 0:
        return 0, 0
    phase = (since % animation.period) / animation.period
    reach = abs(math.sin(math.pi * phase)) * animation.amplitude
    dx, dy = animation.direction
    norm = math.hypot(dx, dy) or 1.0
    return _even(dx / norm * reach), _even(dy / norm * reach)


def max_scale(animation: Animation) -> float:
    """The largest scale any frame of the entrance reaches (back_out overshoots 1)."""
    if animation.enter not in ("pop", "stamp") or animation.duration <= 0:
        return 1.0
    return max(enter_state(animation, animation.duration * i / 40).scale for i in range(41))


def layer_bounds(box: Box, animation: Animation) -> Box:
    """Every pixel any frame of the layer covers: its box grown by the overshoot, slides and bounces."""
    x, y, w, h = box
    s = max_scale(animation)
    gx, gy = math.ceil(w * (s - 1) / 2) + 1, math.ceil(h * (s - 1) / 2) + 1
    x0, y0, x1, y1 = x - gx, y - gy, x + w + gx, y + h + gy
    if animation.enter in _SLIDES and animation.distance:
        ux, uy = _SLIDES[animation.enter]
        d = _even(animation.distance) + 2
        x0, x1 = min(x0, x0 + ux * d), max(x1, x1 + ux * d)
        y0, y1 = min(y0, y0 + uy * d), max(y1, y1 + uy * d)
    if animation.loop == "bounce" and animation.amplitude:
        dx, dy = animation.direction
        norm = math.hypot(dx, dy) or 1.0
        ax, ay = round(dx / norm * animation.amplitude), round(dy / norm * animation.amplitude)
        x0, x1 = min(x0, x0 + ax - 2), max(x1, x1 + ax + 2)
        y0, y1 = min(y0, y0 + ay - 2), max(y1, y1 + ay + 2)
    return x0, y0, x1 - x0, y1 - y0


def _even(v: float) -> int:
    """Offsets in whole even pixels: a pre-converted 4:2:0 sprite moves by them without being converted again."""
    return int(round(v / 2.0)) * 2
