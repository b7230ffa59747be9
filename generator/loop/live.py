"""The live room: on air from a sheet in about a minute, answering viewers between spoken lines.

Three threads share a pool of rendered segments:

- prepare: renders the loop's sources in play order (an opening greeting, then round after round of pitches
  and interstitials, exactly as `loop build` does, into the same `segments/` cache) until the pool is as large
  as `loop build` makes it; the CLI hands it a renderer in a child process at a lower CPU priority
  (render_process.py), so that replies, rendered here, come first.
- respond: takes comments and viewer counts from the Inbox, decides a reply (`Answerer`), renders it at once
  (answers are short, and rendered at the answer brief's proxy scale) and queues it; a viewer drop queues a
  strong hook and makes the picker prefer hooks and pitches for a while.
- play-out (the caller's thread, `run`): feeds the encoder slice by slice (a slice ends between two spoken
  lines), so a queued answer goes on air at the next line boundary, and the interrupted segment resumes
  after it. Segments are chosen by `choose_next`; a cached segment fills when rendering is behind.

Every reply is logged with its comment in live/answers.jsonl; every item played in live/playout.jsonl.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import DaihuoError
from generator.loop import interstitials as inter
from generator.loop.answers import Answerer
from generator.loop.build import (
    INTERSTITIAL_WEIGHT,
    SEGMENTS,
    Review,
    Source,
    Writer,
    pool_target,
    render_source,
    sources,
)
from generator.loop.comments import Inbox
from generator.loop.live_plan import Audience, LiveHistory, choose_next
from generator.loop.models import SegmentSpec
from generator.loop.playout import Playout, SliceError
from generator.loop.render import SegmentRenderer
from generator.loop.respond import STALE_S, JsonLines, Responder, Urgent
from generator.models import Brief, Product

LIVE = "live"
ANSWERS = f"{LIVE}/segments"
MIN_SLICE = 1.5      # seconds: shorter slices cost a decoder start for little gain in answer latency


class LiveError(DaihuoError):
    pass


@dataclass
class LiveConfig:
    hours: float
    window_min: float = 60.0
    seed: int = 0
    start_hour: float = 0.0
    buffer: int = 2
    host_name: str = "小禾"
    weights: dict[str, float] = field(default_factory=dict)
    max_share: float = 0.10


@dataclass
class LiveReport:
    on_air_after: float | None = None
    played: float = 0.0
    items: int = 0
    slices: int = 0
    fills: int = 0
    answers: int = 0
    restarts: int = 0
    errors: list[str] = field(default_factory=list)


def opening_sources(products: Sequence[Product], brief: Brief, writer: Writer, config: LiveConfig) -> Iterator[Source]:
    """The loop's sources in play order, led by a short greeting for the daypart the stream starts in."""
    first = products[0]
    options = inter.greetings(first, 0, config.seed, config.host_name,
                              (config.start_hour, config.start_hour + 0.01))
    if options:
        g = options[0]
        yield Source("greeting", first, g.script, 1.0,
                     INTERSTITIAL_WEIGHT * config.weights.get(first.sku, 1.0), g.hours)
    yield from sources(products, brief, writer, seed=config.seed, weights=config.weights,
                       host_name=config.host_name, hours_span=(config.start_hour, config.start_hour + config.hours))


class LiveRoom:
    def __init__(self, products: Sequence[Product], brief: Brief, *, writer: Writer, renderer: SegmentRenderer,
                 answer_brief: Brief, answer_renderer: SegmentRenderer, playout: Playout, loop_dir: Path,
                 config: LiveConfig, inbox: Inbox, answerer: Answerer, review: Review | None = None,
                 log: Callable[[str], None] = lambda _m: None, clock: Callable[[], float] = time.time) -> None:
        if not products:
            raise LiveError("the sheet has no products to stream", "add at least one valid product row")
        self.products = {p.sku: p for p in products}
        self.product_list = list(products)
        self.brief, self.writer, self.renderer, self.review = brief, writer, renderer, review
        self.answer_brief, self.answer_renderer = answer_brief, answer_renderer
        self.playout, self.loop_dir, self.config = playout, loop_dir, config
        self.inbox, self.answerer, self.log, self.clock = inbox, answerer, log, clock
        self.answers_log = JsonLines(loop_dir / LIVE / "answers.jsonl")
        self.playout_log = JsonLines(loop_dir / LIVE / "playout.jsonl")
        self.report = LiveReport()
        self.audience = Audience()
        self.history = LiveHistory()
        self._pool: list[SegmentSpec] = []
        self._urgent: deque[Urgent] = deque()
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._on_air = threading.Event()
        self._answering = threading.Event()
        self._prepared = False
        self._current_sku: str | None = None
        self._started = clock()
        self.responder = Responder(self.products, answerer, inbox, self.audience, render=self._render_urgent,
                                   deliver=self._deliver, on_air_sku=lambda: self._current_sku,
                                   queued=lambda: len(self._urgent), answers_log=self.answers_log,
                                   events_log=self.playout_log, seed=config.seed, log=log, clock=clock)

    # -- control ---------------------------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()
        self.playout.stop()
        with self._cond:
            self._cond.notify_all()

    def run(self) -> LiveReport:
        """Stream `config.hours` (or until `stop()`); returns what happened."""
        self._started = self.clock()
        self.playout.mark(0.5 / self.playout.fmt.fps, self._announce)
        threads = [threading.Thread(target=self._guard, args=(self._prepare,), daemon=True, name="live-prepare"),
                   threading.Thread(target=self._guard, args=(lambda: self.responder.run(self._stop),), daemon=True,
                                    name="live-respond")]
        for t in threads:
            t.start()
        try:
            self._play()
        finally:
            self._stop.set()
            with self._cond:
                self._cond.notify_all()
            self.playout.close()
            for t in threads:
                t.join(timeout=30)
        self.report.restarts = self.playout.restarts
        self.report.errors += self.playout.errors
        return self.report

    def _announce(self, wall: float) -> None:
        self.report.on_air_after = round(wall - self._started, 2)
        self.log(f"on air {self.report.on_air_after:.1f}s after start")
        self.playout_log.write({"event": "on_air", "wall": round(wall, 3), "after_s": self.report.on_air_after})

    def _guard(self, body: Callable[[], None]) -> None:
        try:
            body()
        except Exception as exc:  # noqa: BLE001 - a worker thread's failure is reported, the stream goes on
            self.report.errors.append(f"{threading.current_thread().name}: {exc}")
            self.log(f"error in {threading.current_thread().name}: {exc}")

    # -- prepare: the loop's segments, first minutes first ------------------------------------------
    def _prepare(self) -> None:
        """Render in play order: flat out until on air, then at a lower priority, pausing while an answer
        renders, until the pool is as large as `loop build` would make it."""
        try:
            self._render_pool()
        finally:
            with self._cond:
                self._prepared = True
                self._cond.notify_all()

    def _render_pool(self) -> None:
        target = pool_target(self.config.hours, self.config.window_min, self.config.max_share)
        for source in opening_sources(self.product_list, self.brief, self.writer, self.config):
            with self._cond:
                while not self._stop.is_set() and self._answering.is_set():
                    self._cond.wait(0.5)
            if self._stop.is_set() or self._enough(target):
                return
            try:
                if self.review is not None:
                    source = Source(source.kind, source.product, self.review(source.script, source.product),
                                    source.speed, source.weight, source.hours)
                spec = render_source(source, self.brief, self.renderer, self.loop_dir, SEGMENTS)
            except Exception as exc:  # noqa: BLE001 - one bad segment never stops the room
                self.log(f"could not render a {source.kind} for {source.product.sku}: {exc}")
                self.report.errors.append(str(exc)[:300])
                continue
            with self._cond:
                if all(s.id != spec.id for s in self._pool):
                    self._pool.append(spec)
                    self.log(f"ready: {spec.kind} {spec.sku} {spec.duration:.1f}s ({len(self._pool)} in the pool)")
                self._cond.notify_all()

    def _enough(self, target: float) -> bool:
        """As much material as `loop build` would render, more than the buffer, and a pitch per product."""
        with self._cond:
            pool = [s for s in self._pool if s.kind not in ("answer", "hook")]
        pitched = {s.sku for s in pool if s.kind == "pitch"}
        return (sum(s.duration for s in pool) >= target and len(pool) > self.config.buffer
                and pitched >= set(self.products))

    def _render_urgent(self, source: Source, kind: str) -> SegmentSpec | None:
        """Render a reply or a hook now, in this process, with the answer brief (into live/segments/); the
        prepare thread starts no new render meanwhile."""
        self._answering.set()
        try:
            return render_source(source, self.answer_brief, self.answer_renderer, self.loop_dir, ANSWERS)
        except Exception as exc:  # noqa: BLE001 - a failed reply is logged; the stream goes on
            self.log(f"could not render a {source.kind} for {source.product.sku}: {exc}")
            self.report.errors.append(str(exc)[:300])
            return None
        finally:
            self._answering.clear()
            with self._cond:
                self._cond.notify_all()

    def _deliver(self, item: Urgent) -> None:
        with self._cond:
            if item.segment.kind == "hook" and all(s.id != item.segment.id for s in self._pool):
                self._pool.append(item.segment)  # hooks stay in the pool for retain mode
            self._urgent.append(item)
            self._cond.notify_all()

    # -- play-out ------------------------------------------------------------------------------------
    def _wait_for_buffer(self) -> None:
        self.log(f"rendering the first {self.config.buffer} segments")
        with self._cond:
            while not self._stop.is_set() and len(self._pool) < self.config.buffer and not self._prepared:
                self._cond.wait(0.5)
        if not self._pool and not self._stop.is_set():
            raise LiveError("no segment could be rendered: " + (self.report.errors[-1] if self.report.errors
                                                                  else "the sheet gave no scripts"),
                            "fix the problem above and start again")

    def _play(self) -> None:
        self._wait_for_buffer()
        total = self.config.hours * 3600
        rng = random.Random(self.config.seed)
        current: SegmentSpec | None = None
        offset = 0.0
        while not self._stop.is_set() and self.playout.position < total - 1e-3:
            urgent = self._take_urgent()
            if urgent is not None:
                self._play_urgent(urgent, total)
                continue
            if current is None or offset >= current.duration - 0.05:
                current, offset = self._next_segment(rng), 0.0
            end = min(self._slice_end(current, offset), offset + total - self.playout.position)
            if not self._play_slice(current, offset, end):
                current = None
                continue
            offset = end
        self.report.played = self.playout.position

    def _next_segment(self, rng: random.Random) -> SegmentSpec:
        now = self.playout.position
        clock_hour = (self.config.start_hour + now / 3600) % 24
        with self._cond:
            pool = list(self._pool)
        choice = choose_next(pool, self.history, now, clock_hour, rng, window_s=self.config.window_min * 60,
                             retain=self.audience.retaining(self.clock()))
        if choice is None:
            raise LiveError("nothing left to play", "check the errors above")
        segment, reason = choice
        if reason == "fill" and self._prepared:
            reason = "repeat"  # the pool is complete (as large as `loop build` makes it): repeats are by design
        self.history.add(segment, now, now + segment.duration)
        self._current_sku = segment.sku
        self.report.items += 1
        self.report.fills += reason == "fill"
        ahead = sum(1 for s in pool if not self.history.played(s.id) and s.kind not in ("answer", "hook"))
        self.playout_log.write({"event": "play", "stream": round(now, 3), "wall": round(self.clock(), 3),
                                "segment": segment.id, "kind": segment.kind, "sku": segment.sku,
                                "duration": segment.duration, "reason": reason, "ready_ahead": ahead})
        if reason == "fill":
            self.log(f"rendering is behind: replaying {segment.kind} {segment.sku} ({segment.id[:8]})")
        return segment

    @staticmethod
    def _slice_end(segment: SegmentSpec, offset: float) -> float:
        for cue in segment.cues:
            if cue >= offset + MIN_SLICE and segment.duration - cue >= MIN_SLICE:
                return cue
        return segment.duration

    def _play_slice(self, segment: SegmentSpec, start: float, end: float) -> bool:
        try:
            self.playout.play(self.loop_dir / segment.path, start, end)
        except SliceError as exc:
            self.log(f"skipping {segment.path}: {exc}")
            self.report.errors.append(str(exc)[:300])
            with self._cond:
                self._pool = [s for s in self._pool if s.id != segment.id]
            return False
        self.report.slices += 1
        if not self._on_air.is_set():
            self._on_air.set()
            with self._cond:
                self._cond.notify_all()
        return True

    def _take_urgent(self) -> Urgent | None:
        with self._cond:
            while self._urgent:
                item = self._urgent.popleft()
                if item.comment is None or self.clock() - item.comment.received <= STALE_S:
                    return item
                self.answers_log.write({"event": "dropped", "id": item.comment.id, "why": "stale"})
        return None

    def _play_urgent(self, item: Urgent, total: float) -> None:
        start = self.playout.position
        comment = item.comment
        record = {"event": "play", "stream": round(start, 3), "wall": round(self.clock(), 3),
                  "segment": item.segment.id, "kind": item.segment.kind, "sku": item.segment.sku,
                  "duration": item.segment.duration, "reason": item.reason}
        if comment is not None:
            record["comment"] = comment.id
            received = comment.received

            def on_air(wall: float) -> None:
                self.answers_log.write({"event": "on_air", "id": comment.id, "on_air": round(wall, 3),
                                        "latency_s": round(wall - received, 2), "stream": round(start, 3)})
            self.playout.mark(start, on_air)
            self.report.answers += 1
        self.playout_log.write(record)
        if item.segment.kind == "hook":
            self.history.add(item.segment, start, start + item.segment.duration)
        end = min(item.segment.duration, total - start)
        self._play_slice(item.segment, 0.0, end)
