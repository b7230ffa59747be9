"""Who plays next in a live room, as pure functions of the ready segments, what has played and the audience.

The live room cannot plan a whole day ahead: segments are still being rendered while it is on air, viewers
ask questions, and people leave. So at each boundary it asks `choose_next`, which follows the same rules as
`plan_loop` where it can (no repeat inside the window, never the same script twice in a row, a pitch after an
interstitial, daypart greetings in their hours, weights) and relaxes them, in this order, when it cannot:

1. retain — viewers just dropped (`Audience`): a strong hook, else a pitch.
2. new — a segment never played yet, in the order it was rendered (the first minutes were rendered first).
3. plan — a segment that has rested for the window, weighted by weight × rest.
4. fill — rendering is behind (or the pool is too small for the window): the pitch that rested longest. A
   cached segment fills; the picture never stops. (The room calls it a repeat once its pool is complete.)
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from generator.loop.models import SegmentSpec
from generator.loop.planner import in_hours

ON_REQUEST = ("answer",)   # played only when a viewer's comment asks for them
RETAIN_ONLY = ("hook",)    # played only while the room is retaining viewers


@dataclass(frozen=True)
class Played:
    segment: str
    key: str
    kind: str
    start: float
    end: float


@dataclass
class LiveHistory:
    """What has played, in stream seconds."""

    plays: list[Played] = field(default_factory=list)
    last_end: dict[str, float] = field(default_factory=dict)

    def add(self, segment: SegmentSpec, start: float, end: float) -> None:
        self.plays.append(Played(segment.id, segment.key(), segment.kind, start, end))
        self.last_end[segment.id] = end

    @property
    def previous(self) -> Played | None:
        return self.plays[-1] if self.plays else None

    def played(self, segment_id: str) -> bool:
        return segment_id in self.last_end


def choose_next(pool: Sequence[SegmentSpec], history: LiveHistory, now: float, clock_hour: float,
                rng: random.Random, *, window_s: float, retain: bool = False) -> tuple[SegmentSpec, str] | None:
    """(segment, reason) to play at stream time `now` (wall-clock hour `clock_hour`); None for an empty pool."""
    prev = history.previous
    usable = [s for s in pool if s.kind not in ON_REQUEST and (retain or s.kind not in RETAIN_ONLY)]
    if not usable:
        return None
    timely = [s for s in usable if in_hours(s.hours, clock_hour)] or usable
    other = [s for s in timely if prev is None or s.key() != prev.key] or timely
    after_interstitial = prev is not None and prev.kind != "pitch"

    def pitch_first(items: list[SegmentSpec]) -> list[SegmentSpec]:
        if after_interstitial:
            pitches = [s for s in items if s.kind == "pitch"]
            return pitches or items
        return items

    def rest(s: SegmentSpec) -> float:
        return now - history.last_end.get(s.id, -1e9)

    if retain:
        hooks = [s for s in other if s.kind in RETAIN_ONLY and rest(s) >= 120]
        if hooks:
            return max(hooks, key=rest), "retain"
        pitches = [s for s in other if s.kind == "pitch"]
        if pitches:
            fresh = [s for s in pitches if not history.played(s.id)]
            return (fresh[0] if fresh else max(pitches, key=rest)), "retain"
    fresh = pitch_first([s for s in other if not history.played(s.id)])
    if fresh:
        return fresh[0], "new"
    rested = pitch_first([s for s in other if rest(s) >= window_s - 1e-9])
    if rested:
        weights = [s.weight * (1.0 + min(rest(s), 4 * window_s) / max(window_s, 1.0)) for s in rested]
        return rng.choices(rested, weights=weights)[0], "plan"
    # Filling: a pitch (product content bears repeating better than a greeting), the one rested longest.
    return max([s for s in other if s.kind == "pitch"] or other, key=rest), "fill"


@dataclass
class Audience:
    """The viewer count the platform reports, and whether it has just dropped.

    A drop: the count falls below (1 - `drop`) of the highest count of the last `memory_s` seconds, by at least
    `min_loss` viewers. After a drop the room retains for `retain_s` seconds: strong hooks and pitches first.
    """

    drop: float = 0.2
    min_loss: int = 2
    memory_s: float = 120.0
    retain_s: float = 90.0
    samples: deque[tuple[float, int]] = field(default_factory=deque)
    retain_until: float = -1.0

    def update(self, viewers: int, now: float) -> bool:
        """Record a count at time `now` (seconds, any clock); True when it is a drop."""
        while self.samples and now - self.samples[0][0] > self.memory_s:
            self.samples.popleft()
        peak = max((v for _t, v in self.samples), default=viewers)
        self.samples.append((now, viewers))
        dropped = viewers < (1 - self.drop) * peak and peak - viewers >= self.min_loss
        if dropped:
            self.retain_until = now + self.retain_s
            # A new baseline: the next drop is measured from here, not from the old peak.
            self.samples.clear()
            self.samples.append((now, viewers))
        return dropped

    def retaining(self, now: float) -> bool:
        return now < self.retain_until

    @property
    def viewers(self) -> int | None:
        return self.samples[-1][1] if self.samples else None
