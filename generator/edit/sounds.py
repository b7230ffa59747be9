"""Sound cues: a whoosh on each transition, a hit or tick on each hard cut, a pop when a callout appears, a
ding when the price lands, a rise for the pointer (pure: shots and layers in, cues out)."""

from __future__ import annotations

from generator.edit.styles import Style
from generator.models import Layer, Shot, SoundCue

LEAD = 0.03  # a whoosh starts a hair before the picture moves, as an editor would lay it
MIN_GAP = 0.07


def plan_sounds(shots: list[Shot], layers: list[Layer], style: Style, duration: float) -> list[SoundCue]:
    sounds = style.sounds
    cues: list[tuple[float, str, int]] = []  # (time, sound, priority)
    for shot in shots:  # a punch-in is a jump cut: it gets the cut's sound
        cues += [(t, sounds.cut, 2) for t, _ in shot.zoom if sounds.cut]
    for shot in shots[1:]:
        if shot.transition.kind != "cut" and sounds.transition:
            cues.append((max(0.0, shot.start - LEAD), sounds.transition, 2))
        elif shot.transition.kind == "cut" and sounds.cut:
            cues.append((shot.start, sounds.cut, 2))
    by_kind = {"hook": sounds.callout, "callout": sounds.callout, "price_tag": sounds.callout, "cta": None,
               "spec_row": sounds.row, "price": sounds.price, "pointer": sounds.pointer, "offer": sounds.callout}
    for layer in layers:
        name = by_kind.get(layer.kind)
        if name and layer.start > 0.02:
            cues.append((layer.start, name, 3 if layer.kind == "price" else 1))
    cues.sort()
    kept: list[tuple[float, str, int]] = []
    for t, name, priority in cues:
        if t >= duration - 0.05:
            continue
        if kept and t - kept[-1][0] < MIN_GAP:
            if priority > kept[-1][2]:
                kept[-1] = (t, name, priority)
            continue
        kept.append((t, name, priority))
    return [SoundCue(t=round(t, 3), sound=name, gain_db=sounds.gains.get(name, -16.0))  # type: ignore[arg-type]
            for t, name, _ in kept]
