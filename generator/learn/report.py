"""insights.md and a self-contained insights.html from the Insights (pure: data in, text out)."""

from __future__ import annotations

from html import escape

from generator.learn.charts import forest_chart, level_label, timeline_chart
from generator.learn.models import METRIC_LABELS, FactorEstimate, Insights
from generator.models import FACTORS

MAX_LISTED = {"md": 1000, "html": 300}  # rows not used, listed in full in insights.json


def listed(issues: list, limit: int) -> tuple[list, str]:  # type: ignore[type-arg]
    """The first LIMIT issues, errors and ambiguous rows first, and a note of what was left out."""
    order = {"error": 0, "ambiguous": 1, "duplicate": 2, "warning": 3, "unmatched": 4}
    ranked = sorted(issues, key=lambda i: (order.get(i.kind, 9), i.file, i.row))
    left = len(ranked) - limit
    return ranked[:limit], (f"… and {left:,} more (all in insights.json `issues`)" if left > 0 else "")


def winners(insights: Insights) -> list[dict[str, str]]:
    """The leader of every factor with two or more levels, on the objective metric (for tables and the CLI)."""
    rows = []
    for factor in FACTORS:
        est = insights.estimate(factor)
        if est is None or len(est.levels) < 2:
            continue
        lead = est.level(est.leader) if est.leader else None
        rows.append({
            "factor": factor,
            "leader": level_label(factor, lead.level) if lead else "—",
            "rate": f"{lead.mean:.1%} [{lead.low:.1%}–{lead.high:.1%}]" if lead else "—",
            "views": f"{lead.views:,}" if lead else "—",
            "p_best": f"{lead.p_best:.0%}" if lead else "—",
            "verdict": est.verdict,
            "levels": str(len(est.levels)),
        })
    return rows


def single_levels(insights: Insights) -> dict[str, str]:
    """Factors every matched clip shares (nothing to compare): factor -> the one level."""
    out = {}
    for factor in FACTORS:
        est = insights.estimate(factor)
        if est is not None and len(est.levels) == 1:
            out[factor] = est.levels[0].level
    return out


def _summary_line(insights: Insights) -> str:
    r = {k: insights.rows.get(k, 0) for k in ("used", "read", "errors", "unmatched", "ambiguous", "duplicates")}
    return (f"{r['used']} of {r['read']} rows used; {r['errors']} malformed, {r['unmatched']} unmatched, "
            f"{r['ambiguous']} ambiguous, {r['duplicates']} duplicate(s)")


def render_markdown(insights: Insights) -> str:
    metric = METRIC_LABELS[insights.objective]
    lines = [f"# What sold: {metric}", "",
             f"- exports: {', '.join(insights.exports)}", f"- clips under: {insights.out}",
             f"- {_summary_line(insights)}", f"- ranked on **{insights.objective}**: {insights.objective_reason}",
             f"- 95 % credible intervals of Beta(1 + successes, 1 + failures) posteriors over views; a level "
             f"with under {insights.settings['min_views']:,} views (or too few expected events) is *too little data*",
             "", "## Winners", "", "| factor | leader | rate [95 % interval] | views | P(best) | verdict |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {w['factor']} | {w['leader']} | {w['rate']} | {w['views']} | {w['p_best']} | {w['verdict']} |"
              for w in winners(insights)]
    same = single_levels(insights)
    if same:
        lines += ["", "Same for every matched clip (nothing to compare): "
                  + ", ".join(f"{f} = {v}" for f, v in same.items())]
    for name, per_factor in insights.estimates.items():
        lines += ["", f"## {METRIC_LABELS[name]}"]
        for factor, est in per_factor.items():
            if len(est.levels) < 2:
                continue
            lines += ["", f"### {factor} — {est.verdict}", "", "| rank | level | rate | 95 % interval | views | "
                      "clips | P(best) |", "|---|---|---|---|---|---|---|"]
            lines += [f"| {lv.rank} | {level_label(factor, lv.level)} | {lv.mean:.1%} | {lv.low:.1%}–{lv.high:.1%} | "
                      f"{lv.views:,} | {lv.clips} | {lv.p_best:.0%}{'' if lv.enough else ' (too little data)'} |"
                      for lv in est.levels]
    if insights.issues:
        shown, more = listed(insights.issues, MAX_LISTED["md"])
        lines += ["", "## Rows not used (or partly)", ""]
        lines += [f"- {issue}" for issue in shown] + ([f"- {more}"] if more else [])
    return "\n".join(lines) + "\n"


CSS = """
body{font-family:'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',system-ui,sans-serif;margin:0;background:#f6f7f9;
color:#202124;line-height:1.45}
main{max-width:780px;margin:0 auto;padding:16px}
h1{font-size:22px;margin:8px 0 4px} h2{font-size:17px;margin:0 0 8px} small{color:#5f6368;font-weight:400}
section{background:#fff;border-radius:10px;padding:14px 16px;margin:12px 0;box-shadow:0 1px 2px #0001}
table{border-collapse:collapse;width:100%;font-size:13px} th,td{text-align:left;padding:5px 6px;border-bottom:1px solid #eceff1}
.verdict-clear{color:#1a7f37;font-weight:600} .issues li{font-size:12px;margin:2px 0} .meta{font-size:13px;color:#3c4043}
.chart{margin:8px 0 14px;overflow-x:auto} .chart svg{min-width:600px} .scroll{overflow-x:auto}
"""


def _chart_section(title: str, charts: list[str], note: str = "") -> str:
    body = "".join(f'<div class="chart">{c}</div>' for c in charts)
    return f"<section><h2>{title}</h2>{f'<p class=meta>{escape(note)}</p>' if note else ''}{body}</section>"


def factor_charts(insights: Insights, metric: str) -> list[tuple[FactorEstimate, str]]:
    out = []
    for factor, est in insights.estimates.get(metric, {}).items():
        if len(est.levels) >= 2:
            out.append((est, forest_chart(est, f"{factor} · {METRIC_LABELS[metric]}")))
    return out


def render_html(insights: Insights) -> str:
    metric = insights.objective
    rows = "".join(
        f"<tr><td>{escape(w['factor'])}</td><td>{escape(w['leader'])}</td><td>{escape(w['rate'])}</td>"
        f"<td>{w['views']}</td><td>{w['p_best']}</td><td class=\"{'verdict-clear' if w['verdict'] == 'clear winner' else ''}\">"
        f"{escape(w['verdict'])}</td></tr>" for w in winners(insights))
    same = single_levels(insights)
    parts = [
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        f"<title>daihuo insights · {escape(metric)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>爆款分析 <small>What sold · {escape(METRIC_LABELS[metric])}</small></h1>",
        f"<p class=meta>{escape(_summary_line(insights))} · ranked on <b>{escape(metric)}</b>: "
        f"{escape(insights.objective_reason)} · exports: {escape(', '.join(insights.exports))}</p>",
        "<section id=winners><h2>赢家 <small>Winners</small></h2><div class=scroll><table><tr><th>factor</th>"
        f"<th>leader</th><th>rate [95 %]</th><th>views</th><th>P(best)</th><th>verdict</th></tr>{rows}</table></div>",
        (f"<p class=meta>Same for every matched clip: {escape(', '.join(f'{f} = {v}' for f, v in same.items()))}</p>"
         if same else ""), "</section>",
    ]
    charts = [svg for _, svg in factor_charts(insights, metric)]
    if charts:
        parts.append(_chart_section("各因素 <small>Each factor's levels</small>", charts))
    if insights.timeline:
        parts.append(_chart_section("按发布日期 <small>Over publish date</small>", [
            timeline_chart(insights.timeline, insights.timeline_factor,
                           f"{METRIC_LABELS[metric]} by publish day")]))
    else:
        parts.append(_chart_section("按发布日期 <small>Over publish date</small>", [],
                                    "The export has no publish times (发布时间), so there is no timeline."))
    for other, per_factor in insights.estimates.items():
        if other == metric:
            continue
        if not any(lv.successes for est in per_factor.values() for lv in est.levels):
            parts.append(_chart_section(escape(METRIC_LABELS[other]), [], f"No {other} in the matched rows yet."))
            continue
        extra = [svg for _, svg in factor_charts(insights, other)]
        if extra:
            parts.append(_chart_section(escape(METRIC_LABELS[other]), extra))
    if insights.issues:
        shown, more = listed(insights.issues, MAX_LISTED["html"])
        items = "".join(f"<li>{escape(str(i))}</li>" for i in shown) + (f"<li>{escape(more)}</li>" if more else "")
        parts.append(f"<section id=issues><h2>未使用的行 <small>Rows not used ({len(insights.issues)})</small></h2>"
                     f"<details><summary>show</summary><ul class=issues>{items}</ul></details></section>")
    parts.append("<p class=meta>Generated by daihuo learn. Estimates compare factor levels one factor at a time; "
                 "when factors vary together (every story clip on one platform) their effects mix.</p>")
    parts.append("</main></body></html>")
    return "".join(parts)
