"""The live room's ears: comments and viewer counts in, rendered replies out, every decision logged.

`Responder.run` takes events from the Inbox one at a time. A comment gets a reply from the `Answerer` (or
none: abuse, spam, remarks), which is rendered at once and handed to the play-out; a comment that waited too
long, or a greeting or deflection while answers are piling up, is skipped. A drop in viewers renders a strong
hook for the product on air and puts the audience into retain mode (see live_plan.Audience). The room hands in
how to render and where to deliver, so this module knows nothing of threads or encoders.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.loop import interstitials as inter
from generator.loop.answers import Answerer, Reply
from generator.loop.build import Source
from generator.loop.comments import Comment, Inbox, ViewerCount
from generator.loop.live_plan import Audience
from generator.loop.models import SegmentSpec
from generator.models import Beat, Line, Product, Script

STALE_S = 60.0   # a comment not rendered (or not on air) this long after it arrived is dropped
MAX_QUEUED = 4   # replies waiting to play; beyond this, greetings and deflections are skipped


@dataclass
class Urgent:
    """A rendered reply (or hook) waiting for the next boundary."""

    segment: SegmentSpec
    reason: str  # answer | unknown | greet | deflect | hook
    comment: Comment | None = None
    reply: Reply | None = None


class JsonLines:
    """Append-only JSON-lines log; one write per record, so a reader never sees half a line."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)


def answer_script(reply: Reply, product: Product, number: int) -> Script:
    """The reply as a one-beat script: the first line quotes the viewer, so its caption shows the question."""
    visual = "image:0" if product.images else "card:title"
    return Script(sku=product.sku, variant=5000 + number, language=product.language, angle=f"live:{reply.topic}",
                  beats=[Beat(kind="proof", lines=[Line(text=t) for t in reply.lines], visual=visual)],
                  writer=f"live-{reply.writer}")


# (source, "answer" | "hook") -> the rendered segment, or None when rendering failed (already logged).
Render = Callable[[Source, str], "SegmentSpec | None"]


class Responder:
    def __init__(self, products: dict[str, Product], answerer: Answerer, inbox: Inbox, audience: Audience, *,
                 render: Render, deliver: Callable[[Urgent], None], on_air_sku: Callable[[], str | None],
                 queued: Callable[[], int], answers_log: JsonLines, events_log: JsonLines, seed: int = 0,
                 log: Callable[[str], None] = lambda _m: None, clock: Callable[[], float] = time.time) -> None:
        self.products, self.answerer, self.inbox, self.audience = products, answerer, inbox, audience
        self.render, self.deliver, self.on_air_sku, self.queued = render, deliver, on_air_sku, queued
        self.answers_log, self.events_log, self.seed, self.log, self.clock = answers_log, events_log, seed, log, clock
        self._comments = 0
        self._hooks = 0

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            event = self.inbox.get(timeout=0.5)
            if isinstance(event, ViewerCount):
                self.viewers(event)
            elif isinstance(event, Comment):
                self.comment(event)

    def viewers(self, event: ViewerCount) -> None:
        dropped = self.audience.update(event.viewers, event.received)
        self.events_log.write({"event": "viewers", "at": round(event.received, 3), "viewers": event.viewers,
                               "drop": dropped})
        if not dropped:
            return
        self.log(f"viewers dropped to {event.viewers}: strong hooks and pitches for {self.audience.retain_s:.0f}s")
        product = self.products.get(self.on_air_sku() or "") or next(iter(self.products.values()))
        self._hooks += 1
        item = inter.hook(product, self._hooks % 3, self.seed)
        spec = self.render(Source("hook", product, item.script, 1.0, 1.0), "hook")
        if spec is not None:
            self.deliver(Urgent(spec, "hook"))

    def comment(self, comment: Comment) -> None:
        self._comments += 1
        record: dict[str, Any] = {"event": "comment", "id": comment.id, "user": comment.user, "text": comment.text,
                                  "source": comment.source, "received": round(comment.received, 3)}
        reply = self.answerer.reply(comment.user, comment.text, self.on_air_sku(), self._comments)
        record.update(verdict=reply.verdict, topic=reply.topic, sku=reply.sku, answer=list(reply.lines),
                      writer=reply.writer, notes=list(reply.notes))
        skip = None
        if not reply.on_air:
            skip = reply.topic
        elif self.queued() >= MAX_QUEUED and reply.verdict in ("greet", "deflect"):
            skip = f"busy:{reply.topic}"
        elif self.clock() - comment.received > STALE_S:
            skip = f"stale:{reply.topic}"
        if skip is not None:
            record.update(verdict="skip", topic=skip)
            self.answers_log.write(record)
            self.log(f"comment {comment.id} from {comment.user!r}: no answer ({skip})")
            return
        product = self.products[reply.sku]
        spec = self.render(Source("answer", product, answer_script(reply, product, self._comments), 1.0, 1.0),
                           "answer")
        record["ready"] = round(self.clock(), 3)
        if spec is None:
            record.update(verdict="skip", topic=f"render failed:{reply.topic}")
            self.answers_log.write(record)
            return
        record.update(segment=spec.id, render_s=round(self.clock() - comment.received, 2))
        self.answers_log.write(record)
        self.deliver(Urgent(spec, reply.verdict, comment, reply))
        self.log(f"comment {comment.id} from {comment.user!r}: {reply.verdict} ({reply.topic}) ready in "
                 f"{self.clock() - comment.received:.1f}s")
