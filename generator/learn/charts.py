"""Charts as inline SVG (pure: estimates in, markup out), so insights.html needs no network and no library.

`forest_chart`: one row per factor level, the posterior mean as a dot and the credible interval as a bar,
the leader in green, levels with too little data grey. `timeline_chart`: the metric per publish day, one
line per level of a factor and a black line (with intervals) for all clips.
"""

from __future__ import annotations

import math
from datetime import date
from html import escape

from generator.learn.models import FactorEstimate, TimelinePoint
from generator.models.creative import ANGLE_NAMES_ZH

WIDTH = 760
FONT = "font-family:'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif"
PALETTE = ("#d1495b", "#00798c", "#edae49", "#66a182", "#8d6a9f", "#2e4057", "#f07167", "#4f772d")
LEADER, OTHER, THIN = "#1a7f37", "#3b6fb6", "#9aa0a6"


def level_label(factor: str, level: str) -> str:
    """'pain-point 痛点' for angles, 'pain-point/2 痛点' for hooks; other levels as they are."""
    angle = level.split("/", 1)[0] if factor in ("angle", "hook") else ""
    return f"{level} {ANGLE_NAMES_ZH[angle]}" if angle in ANGLE_NAMES_ZH else level


def nice_top(value: float) -> float:
    """The axis end: the value rounded up to 1, 2, 2.5 or 5 × a power of ten (at least 1 %)."""
    value = max(value, 0.01)
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _pct(value: float, top: float) -> str:
    return f"{value:.0%}" if top >= 0.1 else f"{value:.1%}"


def _axis(x0: float, x1: float, y0: float, y1: float, top: float) -> list[str]:
    parts = []
    for i in range(6):
        value = top * i / 5
        x = x0 + (x1 - x0) * i / 5
        parts.append(f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y1}" stroke="#e3e6ea"/>')
        parts.append(f'<text x="{x:.1f}" y="{y1 + 16}" font-size="11" text-anchor="middle" fill="#5f6368">'
                     f"{_pct(value, top)}</text>")
    return parts


def forest_chart(estimate: FactorEstimate, title: str) -> str:
    """Each level of one factor: mean and credible interval of the metric, ranked as in the estimate."""
    row_h, top_pad, left, right = 30, 40, 190, 280
    height = top_pad + row_h * len(estimate.levels) + 34
    x0, x1 = left, WIDTH - right
    top = nice_top(max(lv.high for lv in estimate.levels) * 1.05)

    def x(value: float) -> float:
        return x0 + (x1 - x0) * min(value, top) / top

    parts = [f'<text x="0" y="18" font-size="15" font-weight="600">{escape(title)}</text>',
             f'<text x="0" y="34" font-size="11" fill="#5f6368">{escape(estimate.verdict)}'
             f"{' · ' + escape(estimate.leader) if estimate.leader else ''} · dot: posterior mean, bar: 95 % "
             "credible interval</text>"]
    parts += _axis(x0, x1, top_pad, top_pad + row_h * len(estimate.levels), top)
    for i, lv in enumerate(estimate.levels):
        y = top_pad + row_h * i + row_h / 2
        color = THIN if not lv.enough else LEADER if lv.level == estimate.leader else OTHER
        dash = ' stroke-dasharray="4 3"' if not lv.enough else ""
        weight = "600" if lv.level == estimate.leader else "400"
        note = (f"{lv.mean:.1%} [{lv.low:.1%}–{lv.high:.1%}] · {lv.views:,} views"
                + (f" · best {lv.p_best:.0%}" if lv.enough else " · too little data"))
        parts += [
            f'<g class="level" data-level="{escape(lv.level)}" data-enough="{str(lv.enough).lower()}">',
            f'<text x="{x0 - 10}" y="{y + 4:.1f}" font-size="13" text-anchor="end" font-weight="{weight}" '
            f'fill="{color if not lv.enough else "#202124"}">{escape(level_label(estimate.factor, lv.level))}</text>',
            f'<line x1="{x(lv.low):.1f}" y1="{y:.1f}" x2="{x(lv.high):.1f}" y2="{y:.1f}" stroke="{color}" '
            f'stroke-width="6" stroke-linecap="round" opacity="0.55"{dash}/>',
            f'<circle cx="{x(lv.mean):.1f}" cy="{y:.1f}" r="5.5" fill="{color}"/>',
            f'<text x="{x1 + 10}" y="{y + 4:.1f}" font-size="11" fill="#3c4043">{escape(note)}</text>',
            "</g>",
        ]
    return _svg(parts, height, title)


def timeline_chart(points: list[TimelinePoint], factor: str, title: str) -> str:
    """The metric per publish day: one coloured line per level of FACTOR, black with intervals for all clips."""
    days = sorted({p.day for p in points})
    series = ["all", *sorted({p.series for p in points} - {"all"})]
    left, right, top_pad, bottom = 54, 170, 40, 40
    height = 300
    x0, x1, y0, y1 = left, WIDTH - right, top_pad, height - bottom
    top = nice_top(max(p.high for p in points) * 1.05)
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    span = max((last - first).days, 1)

    def x(day: str) -> float:
        if len(days) == 1:
            return (x0 + x1) / 2
        return x0 + (x1 - x0) * (date.fromisoformat(day) - first).days / span

    def y(value: float) -> float:
        return y1 - (y1 - y0) * min(value, top) / top

    parts = [f'<text x="0" y="18" font-size="15" font-weight="600">{escape(title)}</text>',
             f'<text x="0" y="34" font-size="11" fill="#5f6368">per publish day; black: all clips with 95 % '
             f"intervals; colours: {escape(factor)}</text>"]
    for i in range(6):
        value = top * i / 5
        parts.append(f'<line x1="{x0}" y1="{y(value):.1f}" x2="{x1}" y2="{y(value):.1f}" stroke="#e3e6ea"/>')
        parts.append(f'<text x="{x0 - 6}" y="{y(value) + 4:.1f}" font-size="11" text-anchor="end" '
                     f'fill="#5f6368">{_pct(value, top)}</text>')
    for day in (days if len(days) <= 8 else days[:: math.ceil(len(days) / 8)]):
        parts.append(f'<text x="{x(day):.1f}" y="{y1 + 18}" font-size="11" text-anchor="middle" '
                     f'fill="#5f6368">{day[5:]}</text>')
    for k, name in enumerate(series):
        color = "#202124" if name == "all" else PALETTE[(k - 1) % len(PALETTE)]
        mine = sorted((p for p in points if p.series == name), key=lambda p: p.day)
        width = 2.5 if name == "all" else 1.6
        if name == "all":
            parts += [f'<line x1="{x(p.day):.1f}" y1="{y(p.low):.1f}" x2="{x(p.day):.1f}" y2="{y(p.high):.1f}" '
                      f'stroke="{color}" stroke-width="1.2"/>' for p in mine]
        if len(mine) > 1:
            path = " ".join(f"{x(p.day):.1f},{y(p.mean):.1f}" for p in mine)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="{width}"/>')
        parts += [f'<circle cx="{x(p.day):.1f}" cy="{y(p.mean):.1f}" r="3.5" fill="{color}"/>' for p in mine]
        ly = top_pad + 8 + 18 * k
        parts += [f'<line x1="{x1 + 16}" y1="{ly}" x2="{x1 + 34}" y2="{ly}" stroke="{color}" stroke-width="3"/>',
                  f'<text x="{x1 + 40}" y="{ly + 4}" font-size="12">{escape(level_label(factor, name))}</text>']
    return _svg(parts, height, title)


def _svg(parts: list[str], height: float, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" width="100%" '
            f'role="img" aria-label="{escape(title)}" style="{FONT};max-width:{WIDTH}px">'
            f"<title>{escape(title)}</title>" + "".join(parts) + "</svg>")
