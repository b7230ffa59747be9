"""`daihuo learn EXPORT… --out OUT`: analytics exports in, what sold out (entry point only translates)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console(stderr=True)
OBJECTIVES = ("auto", "completion", "clicks", "orders")


def register(app: typer.Typer) -> None:
    app.command("learn")(learn_cmd)


def print_issues(issues: list, per_kind: int = 20) -> None:  # type: ignore[type-arg]
    """Every malformed/ambiguous row, and the first PER_KIND of the others (insights.md lists more)."""
    shown: dict[str, int] = {}
    for issue in issues:
        shown[issue.kind] = shown.get(issue.kind, 0) + 1
        if issue.kind in ("error", "ambiguous") or shown[issue.kind] <= per_kind:
            console.print(f"[{'red' if issue.kind == 'error' else 'yellow'}]•[/] {escape(str(issue))}")
    for kind, count in shown.items():
        if kind not in ("error", "ambiguous") and count > per_kind:
            console.print(f"[yellow]•[/] … and {count - per_kind:,} more {kind} rows (listed in insights.md)")


def learn_cmd(
    exports: Annotated[list[Path], typer.Argument(metavar="EXPORT", help="analytics exports (.xlsx/.csv/.json, GBK too) of the posted clips")],
    out: Annotated[Path | None, typer.Option(help="the output root the clips were made in (default $DAIHUO_OUT or ./out)")] = None,
    platform: Annotated[str | None, typer.Option(help="the platform the exports are from, when neither a 平台 column "
                                                      "nor the file name says (douyin, kuaishou, ...)")] = None,
    objective: Annotated[str, typer.Option(help="what to rank on: auto (orders, then clicks when there are enough, "
                                                "else completion), completion, clicks or orders")] = "auto",
    job: Annotated[list[str] | None, typer.Option(help="learn only from this job's clips (repeat for several)")] = None,
    min_views: Annotated[int, typer.Option(min=1, help="views below which a level is 'too little data'")] = 300,
) -> None:
    """Match the export's rows to the clips under OUT, estimate how each creative factor level performs
    (Beta–Binomial posteriors with 95 % intervals), and write OUT/learn/insights.json, .md and .html.

    Then `daihuo make SHEET --variants 8 --learn OUT/learn/insights.json` makes the next batch from it.
    Exit 0 when insights were written (rows not used are listed), 1 when nothing could be learned, 2 on usage errors.
    """
    from generator.learn.exports import platform_of
    from generator.learn.report import winners
    from generator.learn.run import LearnOptions, learn
    from generator.learn.store import LearnError
    from generator.settings import get_settings

    if objective not in OBJECTIVES:
        raise typer.BadParameter(f"use one of {', '.join(OBJECTIVES)}", param_hint="--objective")
    key = None
    if platform:
        key = platform_of(platform)
        if key is None:
            raise typer.BadParameter(f"'{platform}' is not a platform; see `daihuo platforms`", param_hint="--platform")
    missing = [str(p) for p in exports if not p.is_file()]
    if missing:
        raise typer.BadParameter(f"{', '.join(missing)} does not exist", param_hint="EXPORT")
    root = out or get_settings().out
    options = LearnOptions(platform=key, objective=objective, jobs=list(job or []), min_views=min_views)
    try:
        result = learn(list(exports), root, options)
    except LearnError as exc:
        print_issues(exc.issues)
        console.print(f"[red]learn error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None

    insights = result.insights
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    print_issues(insights.issues)
    table = Table(title=f"Winners · ranked on {insights.objective} ({insights.objective_reason})", title_justify="left")
    for column in ("factor", "leader", "rate [95 %]", "views", "P(best)", "verdict"):
        table.add_column(column)
    for w in winners(insights):
        style = "green" if w["verdict"] == "clear winner" else None
        table.add_row(w["factor"], w["leader"], w["rate"], w["views"], w["p_best"], w["verdict"], style=style)
    Console().print(table)
    r = insights.rows
    console.print(f"[green]{r['used']} of {r['read']} rows used[/] ({r['errors']} malformed, {r['unmatched']} unmatched, "
                  f"{r['ambiguous']} ambiguous, {r['duplicates']} duplicate) → {result.paths['html']}")
