"""The next batch's angle and hook per variant, by Thompson sampling from the insights (pure, seeded).

Exploiting variants draw one rate per angle with data from its posterior and take the highest draw, then do
the same among that angle's hooks: a level that is probably best is chosen about as often as it is probably
best. A share of the variants (`explore`, default 1 in 8) explores instead: it takes the non-leading angle with
the fewest views (untested angles first), so the batch keeps testing what the data is thinnest on. A hook
without data starts from its angle's rate, worth PRIOR_VIEWS views, so the winning angle's other hooks get tried.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from generator.learn.models import FactorEstimate, Insights
from generator.models import ANGLES, CreativeChoice, stable_hash

PRIOR_VIEWS = 20.0


def explore_count(variants: int, explore: float) -> int:
    """How many of VARIANTS explore: the share rounded half up (8 × 0.125 = 1; 3 × 0.125 = 0)."""
    return min(variants, math.floor(variants * explore + 0.5))


def _params(names: list[str], estimate: FactorEstimate | None, prior_mean: float) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Beta parameters and views per name: the posterior where the level has data, else the prior."""
    alphas, betas, views = [], [], []
    for name in names:
        level = estimate.level(name) if estimate else None
        if level is not None:
            alphas.append(level.alpha)
            betas.append(level.beta)
            views.append(level.views)
        else:
            alphas.append(1 + prior_mean * PRIOR_VIEWS)
            betas.append(1 + (1 - prior_mean) * PRIOR_VIEWS)
            views.append(0)
    return np.array(alphas), np.array(betas), views


def _pooled(estimate: FactorEstimate | None) -> float:
    if estimate is None or not estimate.levels:
        return 0.5
    views = sum(lv.views for lv in estimate.levels)
    return sum(lv.successes for lv in estimate.levels) / views if views else 0.5


def _describe(name: str, estimate: FactorEstimate | None) -> str:
    level = estimate.level(name) if estimate else None
    if level is None:
        return f"{name} (no data yet)"
    return f"{name} ({level.mean:.1%} [{level.low:.1%}–{level.high:.1%}], {level.views:,} views)"


def thompson(alpha: np.ndarray, beta: np.ndarray, rng: np.random.Generator) -> tuple[int, np.ndarray]:
    """One draw from each Beta; the index of the highest, and the draws."""
    draws = rng.beta(alpha, beta)
    return int(draws.argmax()), draws


def allocate(insights: Insights, *, sku: str, variants: int, explore: float, hooks: dict[str, list[str]],
             source: str = "") -> list[CreativeChoice]:
    """One CreativeChoice per variant (1..VARIANTS) of product SKU; HOOKS: angle -> hook ids the writer has."""
    metric = insights.objective
    angle_est, hook_est = insights.estimate("angle"), insights.estimate("hook")
    angles = [a for a in ANGLES if a in hooks]
    seed = int(stable_hash([sku, metric, insights.model_dump(mode="json", include={"estimates"})], 12), 16)
    rng = np.random.default_rng(seed)
    a_alpha, a_beta, a_views = _params(angles, angle_est, _pooled(angle_est))
    # Exploiting draws only among angles with data (untested ones are the explorers' job), unless none has any.
    tested = [i for i, v in enumerate(a_views) if v] or list(range(len(angles)))
    leader = angle_est.leader if angle_est else None
    n_explore = explore_count(variants, explore) if len(angles) > 1 else 0
    explore_slots = set(rng.choice(variants, size=n_explore, replace=False).tolist()) if n_explore else set()
    order = {a: i for i, a in enumerate(rng.permutation(angles).tolist())}  # ties among explored angles
    explored: Counter[str] = Counter()
    label = f"{metric} ({insights.objective_reason})"
    choices: list[CreativeChoice] = []
    for slot in range(variants):
        if slot in explore_slots:
            pool = [a for a in angles if a != leader] or angles
            angle = min(pool, key=lambda a: (explored[a], a_views[angles.index(a)], order[a]))
            explored[angle] += 1
            mode = "explore"
            why = (f"exploring ({n_explore} of {variants} variants, explore share {explore:g}): "
                   f"{_describe(angle, angle_est)} has the fewest views of the angles other than the leader "
                   f"{leader or '(none yet)'}")
        else:
            k, draws = thompson(a_alpha[tested], a_beta[tested], rng)
            pick = tested[k]
            angle = angles[pick]
            others = [j for j in range(len(tested)) if j != k]
            runner = tested[max(others, key=lambda j: draws[j])] if others else None
            draws = dict(zip(tested, draws, strict=True))
            mode = "exploit"
            why = (f"Thompson sampling on {label}: drew {draws[pick]:.1%} for {_describe(angle, angle_est)}"
                   + (f"; next highest draw {draws[runner]:.1%} for {angles[runner]}" if runner is not None else ""))
        hook, hook_why = choose_hook(angle, hooks[angle], hook_est, angle_est, rng)
        choices.append(CreativeChoice(angle=angle, hook=hook, mode=mode, reasons={"angle": why, "hook": hook_why},
                                      source=source, avoid_titles=insights.titles.get(sku, [])))
    return choices


def choose_hook(angle: str, names: list[str], hook_est: FactorEstimate | None, angle_est: FactorEstimate | None,
                rng: np.random.Generator) -> tuple[str | None, str]:
    """Thompson sampling among ANGLE's hooks; untested ones start from the angle's own rate."""
    if not names:
        return None, f"the writer has no template hooks for {angle}"
    level = angle_est.level(angle) if angle_est else None
    prior = level.mean if level else _pooled(angle_est)
    alpha, beta, views = _params(names, hook_est, prior)
    pick, draws = thompson(alpha, beta, rng)
    untested = [n for n, v in zip(names, views, strict=True) if not v]
    why = (f"Thompson sampling among {angle}'s {len(names)} hooks: drew {draws[pick]:.1%} for "
           f"{_describe(names[pick], hook_est)}")
    if untested:
        why += f"; untested hooks ({', '.join(untested)}) start from {angle}'s rate {prior:.1%}"
    return names[pick], why
