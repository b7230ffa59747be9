"""The shot list: cuts on line and phrase boundaries, a picture and a movement for every shot (pure).

Each beat is cut into shots of about the style's pace (never longer than MAX_SHOT), with the cuts snapped to
where a phrase or line starts, so the picture changes with the words. The hook's first cut comes within
1.5 s; its first shot shows the product from frame 0 and punches in. Pictures come from a pool that walks
through every photo (wide, tight on the product, then detail crops found by saliency), or through cards when
the product has no photo; the pain beat gets a different framing (tinted and tight, or a scene card), the
proof beat the spec card, the offer beat the price card.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from generator.edit.captions import Phrase
from generator.edit.regions import Regions
from generator.edit.saliency import PhotoInfo
from generator.edit.styles import Style
from generator.models import BeatKind, Picture, Script, Shot, Transition, VoiceTrack

MAX_SHOT = 3.5
MIN_SHOT = 0.8
LEAD = 0.08  # a cut lands this long before the words it belongs to
_PANS = [(-1.0, -0.2, 1.0, 0.2), (1.0, 0.3, -1.0, -0.3), (0.2, -1.0, -0.2, 1.0), (-0.6, 0.9, 0.6, -0.9),
         (0.9, -0.8, -0.9, 0.8), (-0.3, 1.0, 0.3, -1.0)]


@dataclass(frozen=True)
class BeatSpan:
    index: int
    kind: BeatKind
    start: float
    end: float
    lines: tuple[int, ...]  # indexes into voice.lines


def beat_spans(script: Script, voice: VoiceTrack, duration: float) -> list[BeatSpan]:
    """When each beat is on screen: from just before its first word to just before the next beat's."""
    spans: list[BeatSpan] = []
    index = 0
    for b, beat in enumerate(script.beats):
        lines = tuple(i for i in range(index, index + len(beat.lines)) if i < len(voice.lines))
        index += len(beat.lines)
        if not lines:
            continue
        start = 0.0 if not spans else max(spans[-1].start + MIN_SHOT, voice.lines[lines[0]].start - LEAD)
        if spans:
            prev = spans[-1]
            spans[-1] = BeatSpan(prev.index, prev.kind, prev.start, start, prev.lines)
        spans.append(BeatSpan(b, beat.kind, start, duration, lines))
    return spans


def split_span(start: float, end: float, candidates: list[float], pace: float) -> list[float]:
    """Cut times inside (start, end): about every `pace` seconds, each snapped to the nearest candidate."""
    length = end - start
    n = max(1, round(length / pace))
    while length / n > MAX_SHOT:
        n += 1
    cuts: list[float] = []
    prev = start
    for k in range(1, n):
        ideal = start + k * length / n
        near = [c for c in candidates if prev + MIN_SHOT <= c <= end - MIN_SHOT and abs(c - ideal) <= 0.45 * pace]
        cut = min(near, key=lambda c: abs(c - ideal)) if near else ideal
        if cut - prev >= MIN_SHOT and end - cut >= MIN_SHOT:
            cuts.append(round(cut, 3))
            prev = cut
    out: list[float] = []
    bounds = [start, *cuts, end]
    for a, b in zip(bounds, bounds[1:], strict=False):  # snapping may leave a piece too long: halve it
        if b - a > MAX_SHOT:
            out.append(round((a + b) / 2, 3))
        if b < end:
            out.append(b)
    return sorted(out)


class PicturePool:
    """The pictures a product offers, handed out so that consecutive shots differ and every photo shows."""

    def __init__(self, photos: list[PhotoInfo], style: Style, regions: Regions) -> None:
        self.photos = photos
        self.style = style
        self.box = regions.picture
        self.cards = 0
        order: list[Picture] = [self.wide(p) for p in photos[1:]]
        for p in photos:
            order.append(self.tight(p))
            order += [self.detail(p, k) for k in range(len(p.details))]
        self.fresh = order
        self.cursor = 0

    def _colors(self, n: int) -> tuple[str, str]:
        pairs = self.style.colors.cards
        return pairs[n % len(pairs)]

    def wide(self, photo: PhotoInfo, **extra: object) -> Picture:
        return Picture(kind="photo", image=photo.index, fit="contain", box=self.box, colors=self._colors(0),
                       frame=self.style.pictures.frame, **extra)  # type: ignore[arg-type]

    def tight(self, photo: PhotoInfo, **extra: object) -> Picture:
        return Picture(kind="photo", image=photo.index, fit="cover", region=photo.subject, **extra)  # type: ignore[arg-type]

    def detail(self, photo: PhotoInfo, k: int) -> Picture:
        """A detail shown whole, like a loupe: its window grown by half, framed over the blurred photo."""
        x0, y0, x1, y1 = photo.details[k]
        cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * 0.8, (y1 - y0) * 0.8
        region = (max(0.0, cx - hw), max(0.0, cy - hh), min(1.0, cx + hw), min(1.0, cy + hh))
        return Picture(kind="photo", image=photo.index, fit="contain", region=region, box=self.box,
                       colors=self._colors(k + 1), frame=self.style.pictures.frame)

    def card(self, kind: str) -> Picture:
        self.cards += 1
        patterns = ["circles", "stripes", "dots", "plain"]
        pattern = self.style.pictures.pattern
        if kind == "point":  # point cards follow one another: vary the pattern too
            pattern = patterns[(patterns.index(pattern) + self.cards) % len(patterns)]
        return Picture(kind="card", card=kind, colors=self._colors(self.cards), pattern=pattern)  # type: ignore[arg-type]

    def hero(self) -> Picture:
        return self.wide(self.photos[0]) if self.photos else self.card("title")

    def next(self, avoid: Picture | None) -> Picture:
        """The next picture not yet shown (then round again), never the one just on screen."""
        if not self.fresh:
            return self.card("point")
        for _ in range(len(self.fresh)):
            pic = self.fresh[self.cursor % len(self.fresh)]
            self.cursor += 1
            if pic != avoid:
                return pic
        return self.card("point")


def _candidates(span: BeatSpan, voice: VoiceTrack, phrases: list[Phrase]) -> list[float]:
    times = [voice.lines[i].start - LEAD for i in span.lines[1:]]
    times += [p.start - LEAD for p in phrases if p.line in span.lines and p.start > voice.lines[p.line].start + 0.05]
    return sorted(t for t in times if span.start < t < span.end)


def plan_shots(spans: list[BeatSpan], voice: VoiceTrack, phrases: list[Phrase], photos: list[PhotoInfo],
               style: Style, regions: Regions, seed: str, slam: float | None = None) -> list[Shot]:
    """Every shot of the clip, in order, covering 0..duration without gaps.

    `slam`, when given, is when the sale price is spoken: the offer beat cuts to the price card right then.
    """
    rng = random.Random(seed)
    pool = PicturePool(photos, style, regions)
    shots: list[Shot] = []
    for span in spans:
        candidates = _candidates(span, voice, phrases)
        cuts: list[float]
        if span.kind == "offer" and slam is not None and span.start + MIN_SHOT <= slam - LEAD <= span.end - MIN_SHOT:
            at = round(slam - LEAD, 3)
            cuts = [*split_span(span.start, at, candidates, style.motion.pace), at,
                    *split_span(at, span.end, [c for c in candidates if c > at], style.motion.pace)]
        elif span.index == spans[0].index:  # the hook: a new picture within 1.5 s
            first = min([c for c in candidates if 0.7 <= c <= 1.4], default=style.motion.hook_cut,
                        key=lambda c: abs(c - style.motion.hook_cut))
            cuts = [first, *split_span(first, span.end, [c for c in candidates if c > first], style.motion.pace)] \
                if span.end - first >= MIN_SHOT else split_span(span.start, span.end, candidates, style.motion.pace)
        else:
            cuts = split_span(span.start, span.end, candidates, style.motion.pace)
        bounds = [span.start, *cuts, span.end]
        # The offer beat's price card is the shot on screen when the price is said (the first without a price).
        card_k = next((k for k, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False))
                       if slam is not None and a <= slam < b), 0)
        for k, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False)):
            picture = _picture_for(span, k, pool, photos, style, shots[-1].picture if shots else None, k - card_k)
            shots.append(Shot(start=round(a, 3), end=round(b, 3), beat=span.kind, picture=picture,
                              pan=_pan(len(shots), style), curve=style.motion.curve,
                              transition=_transition(len(shots), k == 0, b - a, style, rng)))
    if shots:
        first = shots[0]
        punch = round(first.start + min(0.55, (first.end - first.start) * 0.5), 3)
        shots[0] = first.model_copy(update={"zoom": [(punch, style.motion.punch)]})
    return shots


def _picture_for(span: BeatSpan, k: int, pool: PicturePool, photos: list[PhotoInfo], style: Style,
                 previous: Picture | None, from_card: int = 0) -> Picture:
    kind = span.kind
    if kind == "hook" and k == 0:
        return pool.hero()
    if kind == "pain":  # a different framing: tinted and tight, or the audience's scene on a card, in turn
        tinted = photos and (k % 2 == 0) == (style.pictures.pain == "tint")
        if tinted and k < 2:
            return pool.tight(photos[min(1, len(photos) - 1)], tint=style.colors.tint, desaturate=0.6)
        if tinted:
            return pool.next(previous).model_copy(update={"tint": style.colors.tint, "desaturate": 0.6})
        return pool.card("scene")
    if kind == "proof" and k == 0:
        return pool.card("specs")
    if kind == "offer":
        if from_card == 0:
            return pool.card("offer")
        if from_card < 0 and k == 0:  # before the price lands: the product, dimmed, under the struck-through price
            return pool.wide(photos[0], tint="#00000070") if photos else pool.card("title")
        return pool.next(previous).model_copy(update={"tint": "#00000070"})
    if kind == "cta" and k == 0:
        hero = pool.hero()
        return hero if hero != previous else pool.card("cta")
    return pool.next(previous)


def _pan(n: int, style: Style) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = _PANS[n % len(_PANS)]
    s = style.motion.pan
    return (x0 * s, y0 * s, x1 * s, y1 * s)


def _transition(n: int, beat_start: bool, length: float, style: Style, rng: random.Random) -> Transition:
    if n == 0:
        return Transition()
    weights = dict(style.transitions.weights)
    if not beat_start and "cut" in weights:  # inside a beat, mostly plain cuts: the beat changes read as changes
        weights = {k: (v * 3 if k == "cut" else v) for k, v in weights.items()}
    kinds = [k for k, v in weights.items() if v > 0] or ["cut"]
    kind = rng.choices(kinds, weights=[weights[k] for k in kinds])[0]
    if kind == "cut":
        return Transition()
    duration = min(style.transitions.durations.get(kind, 0.25), length / 3)
    directions = style.transitions.directions
    return Transition(kind=kind, duration=round(duration, 3), direction=directions[n % len(directions)])
