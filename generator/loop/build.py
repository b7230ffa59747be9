"""loop build: sources → unique segments (rendered once, cached by content hash) → plan → playlists."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.loop import interstitials as inter
from generator.loop.media import duration
from generator.loop.models import Schedule, SegmentSpec
from generator.loop.planner import PlanError, check_schedule, plan_loop
from generator.loop.playlist import write_ffconcat, write_hls
from generator.loop.render import SegmentRenderer, line_cues
from generator.loop.rules import check_platforms
from generator.models import Brief, Product, Script, stable_hash

PLAN = "plan.json"
SEGMENTS = "segments"
INTERSTITIAL_WEIGHT = 0.6   # relative to a product pitch
SPEED_JITTER = 0.10          # voice speed varies by up to ±10 % per segment
# Rounds of sources: a 60-min window over a 4-product sheet needs ~150 distinct segments (greetings only
# play in their daypart, so not every source is usable at every hour). Writers give distinct scripts for
# any variant number (the template writer's first 40 per product are all different).
MAX_ROUNDS = 60

Writer = Callable[[Product, Brief, int, Sequence[Script]], Script]
Review = Callable[[Script, Product], Script]
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Source:
    kind: str
    product: Product
    script: Script
    speed: float
    weight: float
    hours: tuple[float, float] | None = None

    @property
    def script_id(self) -> str:
        return stable_hash([self.script.sku, [line.text for line in self.script.lines()]])

    def segment_id(self, brief: Brief, renderer: str) -> str:
        return stable_hash([self.script.model_dump(exclude={"notes"}), round(self.speed, 3),
                            self.product.content_hash(), brief.model_dump(include={"platforms", "host", "voice",
                                                                                   "music", "scale"}), renderer])


def sources(products: Sequence[Product], brief: Brief, writer: Writer, *, seed: int, weights: dict[str, float],
            host_name: str, hours_span: tuple[float, float]) -> Iterator[Source]:
    """Round after round: one pitch variant per product, then a reminder, a Q&A and greetings.

    Lazy: the builder stops pulling once the pool is large enough, so only what the plan needs is written
    and rendered.
    """
    rng = random.Random(seed)
    written: dict[str, list[Script]] = {p.sku: [] for p in products}

    def speed() -> float:
        return round(1.0 + rng.uniform(-SPEED_JITTER, SPEED_JITTER), 3)

    for round_ in range(MAX_ROUNDS):
        for product in products:
            script = writer(product, brief, round_ + 1, tuple(written[product.sku]))
            written[product.sku].append(script)
            yield Source("pitch", product, script, speed(), weights.get(product.sku, 1.0))
        product = products[round_ % len(products)]
        w = INTERSTITIAL_WEIGHT * weights.get(product.sku, 1.0)
        item = inter.reminder(product, round_, seed)
        yield Source("reminder", product, item.script, speed(), w)
        for p in products:
            qa = inter.qa(p, round_, seed)
            if qa is not None:
                yield Source("qa", p, qa.script, speed(), INTERSTITIAL_WEIGHT * weights.get(p.sku, 1.0))
        # One greeting per round, cycling through the dayparts the loop passes, so greetings stay a small
        # share of the pool however many dayparts there are.
        options = inter.greetings(product, round_, seed, host_name, hours_span)
        if options:
            g = options[round_ % len(options)]
            yield Source("greeting", product, g.script, speed(), w, g.hours)


def render_source(source: Source, brief: Brief, renderer: SegmentRenderer, loop_dir: Path,
                  folder: str = SEGMENTS) -> SegmentSpec:
    """The segment for a source, rendered unless a file with the same content hash is already there (in
    `folder` of the loop folder)."""
    seg_id = source.segment_id(brief, renderer.name)
    rel = f"{folder}/{seg_id}.mp4"
    path = loop_dir / rel
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        renderer(source.product, source.script, brief, path, speed=source.speed)
    seconds = round(duration(path), 3)
    return SegmentSpec(id=seg_id, kind=source.kind, duration=seconds, sku=source.product.sku,
                       script_id=source.script_id, weight=source.weight, hours=source.hours, path=rel,
                       text="".join(line.text for line in source.script.lines()), speed=source.speed,
                       cues=line_cues(path, seconds))


def pool_target(hours: float, window_min: float, max_share: float) -> float:
    """Seconds of unique material to render: enough to rest each segment for the window, within the share."""
    return min(window_min * 60 * 1.3 + 120, max_share * hours * 3600)


def build_loop(products: Sequence[Product], brief: Brief, *, writer: Writer, renderer: SegmentRenderer,
               loop_dir: Path, hours: float, window_min: float = 60, seed: int = 0, start_hour: float = 0.0,
               weights: dict[str, float] | None = None, review: Review | None = None, host_name: str = "小禾",
               max_share: float = 0.10, progress: Progress = lambda _m: None) -> Schedule:
    """Render just enough unique segments, plan `hours` over them, write plan.json and both playlists."""
    if not products:
        raise PlanError("the sheet has no products to loop over")
    loop_dir.mkdir(parents=True, exist_ok=True)
    pending = sources(products, brief, writer, seed=seed, weights=weights or {}, host_name=host_name,
                      hours_span=(start_hour, start_hour + hours))
    pool: list[SegmentSpec] = []
    target = pool_target(hours, window_min, max_share)

    def pull(seconds: float) -> bool:
        goal = sum(s.duration for s in pool) + seconds
        pulled = False
        for source in pending:
            if review is not None:
                source = Source(source.kind, source.product, review(source.script, source.product), source.speed,
                                source.weight, source.hours)
            pool.append(render_source(source, brief, renderer, loop_dir))
            pulled = True
            progress(f"segment {len(pool)}: {pool[-1].kind} {pool[-1].sku} {pool[-1].duration:.1f}s")
            scripts = {s.script_id for s in pool if s.kind == "pitch"}
            if sum(s.duration for s in pool) >= goal and len(scripts) >= min(2, len(products) * 20):
                break
        return pulled

    pull(target)
    while True:
        try:
            schedule = plan_loop(pool, hours, window_min, seed, start_hour=start_hour)
            break
        except PlanError:
            # Too little material for the window: render a quarter more, if any sources are left.
            if not pull(max(60.0, 0.25 * sum(s.duration for s in pool))):
                raise
    schedule.platforms = list(brief.platforms)
    schedule.rules = check_platforms(schedule.platforms)
    share = schedule.unique_seconds / schedule.total
    if share > max_share:
        schedule.warnings.append(f"unique segments are {share:.0%} of the scheduled time (target ≤ "
                                 f"{max_share:.0%}); a longer loop or a shorter --window reuses more")
    schedule.warnings += check_schedule(schedule)
    (loop_dir / PLAN).write_text(schedule.model_dump_json(indent=1), encoding="utf-8")
    write_ffconcat(schedule, loop_dir)
    write_hls(schedule, loop_dir)
    return schedule
