"""Beta–Binomial posteriors per factor level (pure; numpy, seeded).

Each matched post is `views` Bernoulli trials of the metric (completed / clicked a product / ordered), so a
level's rate has the posterior Beta(1 + successes, 1 + views − successes) under a uniform prior. Intervals
are equal-tailed credible intervals and P(best) the share of joint draws where a level is highest, both
from seeded posterior draws, so the same export always gives the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from generator.learn.models import METRICS, FactorEstimate, LevelEstimate, Match, Metric, TimelinePoint
from generator.models import FACTORS

CREDIBLE = 0.95
DRAWS = 20_000
MIN_VIEWS = 300  # below this a level is "too little data", whatever its rate
MIN_EVENTS = 5.0  # and below this many expected successes at the pooled rate
TIMELINE_CHUNK = 256
AUTO_EVENTS = 50  # `auto` objective: orders, then clicks, once the export has this many in all


def tally(matches: Iterable[Match], factor: str, metric: str) -> dict[str, tuple[set[str], int, int]]:
    """level -> (clip ids, views, successes) over the rows that have METRIC."""
    out: dict[str, tuple[set[str], int, int]] = defaultdict(lambda: (set(), 0, 0))
    for m in matches:
        successes = m.row.successes(metric)
        if successes is None:
            continue
        level = m.clip.factors.get(factor, "default")
        clips, views, wins = out[level]
        clips.add(m.clip.clip_id)
        out[level] = (clips, views + m.row.views, wins + successes)
    return dict(out)


def beta_summary(alpha: np.ndarray, beta: np.ndarray, rng: np.random.Generator, draws: int = DRAWS
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(means, lows, highs, p_best) of independent Beta(alpha_i, beta_i)."""
    samples = rng.beta(alpha[:, None], beta[:, None], size=(len(alpha), draws))
    tail = (1 - CREDIBLE) / 2
    lows, highs = np.quantile(samples, [tail, 1 - tail], axis=1)
    p_best = np.bincount(samples.argmax(axis=0), minlength=len(alpha)) / draws
    return alpha / (alpha + beta), lows, highs, p_best


def estimate_factor(matches: list[Match], factor: str, metric: Metric, *, seed: int = 0,
                    min_views: int = MIN_VIEWS, min_events: float = MIN_EVENTS) -> FactorEstimate | None:
    counts = tally(matches, factor, metric)
    if not counts:
        return None
    names = sorted(counts)
    views = np.array([counts[n][1] for n in names], dtype=float)
    wins = np.array([counts[n][2] for n in names], dtype=float)
    pooled = wins.sum() / views.sum() if views.sum() else 0.0
    alpha, beta = 1 + wins, 1 + views - wins
    means, lows, highs, p_best = beta_summary(alpha, beta, np.random.default_rng(seed))
    levels = [
        LevelEstimate(level=n, clips=len(counts[n][0]), views=int(views[i]), successes=int(wins[i]),
                      alpha=float(alpha[i]), beta=float(beta[i]), mean=float(means[i]), low=float(lows[i]),
                      high=float(highs[i]), p_best=float(p_best[i]),
                      enough=bool(views[i] >= min_views and views[i] * pooled >= min_events))
        for i, n in enumerate(names)
    ]
    levels.sort(key=lambda lv: (not lv.enough, -lv.mean, lv.level))
    for rank, lv in enumerate(levels, start=1):
        lv.rank = rank
    return FactorEstimate(factor=factor, metric=metric, levels=levels, **verdict(levels))


def verdict(levels: list[LevelEstimate]) -> dict[str, object]:
    ranked = [lv for lv in levels if lv.enough]
    if len(levels) == 1:
        return {"leader": levels[0].level if ranked else None, "verdict": "one level"}
    if not ranked:
        return {"leader": None, "verdict": "too little data"}
    leader, others = ranked[0], ranked[1:]
    if others and all(leader.low > lv.high for lv in others):
        return {"leader": leader.level, "verdict": "clear winner"}
    # Highest mean but less than an even chance of being best: say so rather than crown it.
    return {"leader": leader.level, "verdict": "leading" if leader.p_best >= 0.5 else "undecided"}


def metrics_present(matches: list[Match]) -> dict[str, int]:
    """metric -> total successes over the rows that have it (absent metrics left out)."""
    totals: dict[str, int] = {}
    for metric in METRICS:
        values = [m.row.successes(metric) for m in matches]
        if any(v is not None for v in values):
            totals[metric] = sum(v for v in values if v is not None)
    return totals


def choose_objective(matches: list[Match], wanted: str = "auto") -> tuple[Metric, str]:
    """The metric that steers the next batch, and why. `auto`: orders, else clicks, once there are
    AUTO_EVENTS of them in all; else the completion rate."""
    present = metrics_present(matches)
    if wanted != "auto":
        if wanted not in present:
            raise ValueError(f"the export has no {wanted} numbers")
        return wanted, f"asked for ({present[wanted]:,} in all)"  # type: ignore[return-value]
    for metric in ("orders", "clicks"):
        if present.get(metric, 0) >= AUTO_EVENTS:
            return metric, f"auto: {present[metric]:,} {metric} in all (≥ {AUTO_EVENTS}; orders first, then clicks)"  # type: ignore[return-value]
    if "completion" in present:
        few = " and ".join(f"{present[m]:,} {m}" for m in ("orders", "clicks") if m in present)
        return "completion", "auto: " + (f"{few} are too few to rank on (< {AUTO_EVENTS}); " if few else "") + "completion"
    if present:
        metric = max(present, key=lambda m: present[m])
        return metric, f"auto: the only rate in the export ({present[metric]:,} in all)"  # type: ignore[return-value]
    raise ValueError("the matched rows have no completion, click or order numbers")


def estimate_all(matches: list[Match], *, seed: int = 0, min_views: int = MIN_VIEWS,
                 min_events: float = MIN_EVENTS) -> dict[str, dict[str, FactorEstimate]]:
    """metric -> factor -> estimate, for every metric and factor the matched rows have."""
    out: dict[str, dict[str, FactorEstimate]] = {}
    for metric in metrics_present(matches):
        per_factor = {}
        for factor in FACTORS:
            found = estimate_factor(matches, factor, metric, seed=seed, min_views=min_views,  # type: ignore[arg-type]
                                    min_events=min_events)
            if found is not None:
                per_factor[factor] = found
        out[metric] = per_factor
    return out


def timeline(matches: list[Match], factor: str, metric: str, *, seed: int = 0) -> list[TimelinePoint]:
    """Per publish day: the metric for each level of FACTOR and for all clips ('all'), with intervals."""
    cells: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for m in matches:
        successes = m.row.successes(metric)
        if successes is None or m.row.published is None:
            continue
        day = m.row.published.date().isoformat()
        for series in ("all", m.clip.factors.get(factor, "default")):
            cells[(day, series)][0] += m.row.views
            cells[(day, series)][1] += successes
    if not cells:
        return []
    keys = sorted(cells)
    views = np.array([cells[k][0] for k in keys], dtype=float)
    wins = np.array([cells[k][1] for k in keys], dtype=float)
    rng = np.random.default_rng(seed)
    points: list[TimelinePoint] = []
    for start in range(0, len(keys), TIMELINE_CHUNK):  # a year of days x levels stays small in memory
        part = slice(start, start + TIMELINE_CHUNK)
        means, lows, highs, _ = beta_summary(1 + wins[part], 1 + views[part] - wins[part], rng, draws=4000)
        points += [TimelinePoint(day=day, series=series, views=int(views[start + i]), successes=int(wins[start + i]),
                                 mean=float(means[i]), low=float(lows[i]), high=float(highs[i]))
                   for i, (day, series) in enumerate(keys[part])]
    return points
