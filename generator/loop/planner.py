"""plan_loop: who plays when, as a pure function of segment durations (no files, no clocks)."""

from __future__ import annotations

import random
from collections.abc import Sequence

from generator.errors import DaihuoError
from generator.loop.models import Entry, Schedule, SegmentSpec

# The last entry is trimmed from the kind that cuts off least awkwardly.
_TRIM_PREFERENCE = {"filler": 0, "reminder": 1, "greeting": 2, "hook": 2, "qa": 3, "answer": 3, "pitch": 4}


class PlanError(DaihuoError, ValueError):
    pass


def in_hours(hours: tuple[float, float] | None, clock: float) -> bool:
    if hours is None:
        return True
    a, b = hours
    return a <= clock < b if a <= b else (clock >= a or clock < b)


def plan_loop(segments: Sequence[SegmentSpec], hours: float, window_min: float, seed: int, *,
              start_hour: float = 0.0) -> Schedule:
    """A schedule exactly `hours` long over `segments`.

    Rules: a segment plays again only `window_min` minutes after its last play ended; the same script never
    plays twice in a row; after an interstitial comes a pitch when one is allowed; choices are weighted by
    SegmentSpec.weight times how long the segment has rested; the last entry is trimmed (outpoint) so the
    total is exact. Raises PlanError when the pool is too small for the window.
    """
    if not segments:
        raise PlanError("no segments to plan: render at least one product pitch first")
    ids = [s.id for s in segments]
    if len(set(ids)) != len(ids):
        raise PlanError("segment ids must be unique")
    total = round(hours * 3600, 3)
    if total <= 0:
        raise PlanError("--hours must be positive")
    window = window_min * 60
    rng = random.Random(seed)
    last_end: dict[str, float] = {}
    entries: list[Entry] = []
    now = 0.0
    prev: SegmentSpec | None = None
    while total - now > 1e-6:
        remaining = total - now
        clock = (start_hour + now / 3600) % 24
        eligible = [s for s in segments
                    if (s.id not in last_end or now - last_end[s.id] >= window - 1e-9)
                    and (prev is None or s.key() != prev.key())
                    and in_hours(s.hours, clock)]
        if not eligible:
            pool = sum(s.duration for s in segments)
            raise PlanError(
                f"at {now / 3600:.2f} h no segment may play: {len(segments)} segments ({pool / 60:.1f} min in all) "
                f"cannot fill a {window_min:g}-min no-repeat window; add script variants or products, or lower "
                f"--window")
        fits = [s for s in eligible if s.duration <= remaining + 1e-9]
        if not fits:
            last = min(eligible, key=lambda s: (_TRIM_PREFERENCE.get(s.kind, 9), s.duration))
            entries.append(Entry(start=round(now, 3), segment=last.id, duration=round(remaining, 3),
                                 outpoint=round(remaining, 3)))
            break
        if prev is not None and prev.kind != "pitch":
            pitches = [s for s in fits if s.kind == "pitch"]
            fits = pitches or fits
        weights = [s.weight * (1.0 + min(now - last_end.get(s.id, -window), 4 * window) / max(window, 1.0))
                   for s in fits]
        pick = rng.choices(fits, weights=weights)[0]
        entries.append(Entry(start=round(now, 3), segment=pick.id, duration=pick.duration))
        now += pick.duration
        last_end[pick.id] = now
        prev = pick
    return Schedule(hours=hours, total=total, window_min=window_min, seed=seed, start_hour=start_hour,
                    entries=entries, segments={s.id: s for s in segments})


def check_schedule(schedule: Schedule) -> list[str]:
    """Violations of the plan's own rules (empty when the plan is sound); tests and `loop build` use it."""
    problems = []
    total = schedule.scheduled_seconds
    if abs(total - schedule.total) > 1.0:
        problems.append(f"schedule is {total:.1f}s, asked for {schedule.total:.1f}s")
    window = schedule.window_min * 60
    last_end: dict[str, float] = {}
    prev_key = None
    t = 0.0
    for i, e in enumerate(schedule.entries):
        if abs(e.start - t) > 0.01:
            problems.append(f"entry {i} starts at {e.start}, expected {t:.3f}")
        seg = schedule.segments[e.segment]
        if e.segment in last_end and e.start - last_end[e.segment] < window - 0.01:
            problems.append(f"entry {i}: {e.segment} repeats {e.start - last_end[e.segment]:.0f}s after its last play")
        if seg.key() == prev_key:
            problems.append(f"entry {i}: same script twice in a row ({seg.key()})")
        last_end[e.segment] = e.start + e.duration
        prev_key = seg.key()
        t = e.start + e.duration
    return problems
