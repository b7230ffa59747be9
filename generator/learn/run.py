"""One `daihuo learn` run: exports + clips under OUT -> OUT/learn/insights.{json,md,html} (the edge)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from generator.learn.clips import load_catalog
from generator.learn.exports import platform_of, read_export
from generator.learn.match import match_rows
from generator.learn.models import ClipInfo, ExportRow, Insights, RowIssue
from generator.learn.posteriors import MIN_EVENTS, MIN_VIEWS, choose_objective, estimate_all, timeline
from generator.learn.report import render_html, render_markdown
from generator.learn.store import LearnError, write_insights
from generator.output import safe_name
from generator.sheets import SheetError


@dataclass
class LearnOptions:
    platform: str | None = None  # the platform every export is from, when neither rows nor file names say
    objective: str = "auto"
    jobs: list[str] = field(default_factory=list)  # learn only from these jobs' clips
    into: Path | None = None  # where insights.* go (default OUT/learn)
    shown_out: str | None = None  # how insights name the output root (the API shows no server path)
    min_views: int = MIN_VIEWS
    min_events: float = MIN_EVENTS
    seed: int = 0


@dataclass
class LearnResult:
    insights: Insights
    paths: dict[str, Path]
    warnings: list[str]


def with_platform(rows: list[ExportRow], platform: str | None) -> list[ExportRow]:
    """Rows without their own platform get the export's (pure)."""
    if not platform:
        return rows
    return [r if r.platform else r.model_copy(update={"platform": platform}) for r in rows]


def read_exports(paths: list[Path], platform: str | None) -> tuple[list[ExportRow], list[RowIssue], list[str], list[str]]:
    """All rows of all exports; a file that cannot be read at all is a warning (the others still count)."""
    rows: list[ExportRow] = []
    issues: list[RowIssue] = []
    warnings: list[str] = []
    read: list[str] = []
    for path in paths:
        try:
            file_rows, file_issues, notes = read_export(path)
        except SheetError as exc:
            warnings.append(f"{exc} (this export is left out)")
            continue
        hint = platform or platform_of(path.name, within=True)
        if hint and not platform:
            notes.append(f"{path.name}: taken to be a {hint} export (from its file name); --platform overrides")
        rows += with_platform(file_rows, hint)
        issues += file_issues
        warnings += notes
        read.append(path.name)
    return rows, issues, warnings, read


def titles_by_sku(clips: list[ClipInfo]) -> dict[str, list[str]]:
    out: dict[str, set[str]] = {}
    for clip in clips:
        if clip.title:
            out.setdefault(clip.sku, set()).add(clip.title)
    return {sku: sorted(titles) for sku, titles in sorted(out.items())}


def learn(exports: list[Path], out: Path, options: LearnOptions | None = None) -> LearnResult:
    """Read, match, estimate and write. Raises LearnError (with the row issues) when nothing can be learned."""
    options = options or LearnOptions()
    odd = [j for j in options.jobs if j != safe_name(j, "") or j.startswith(".")]
    if odd:
        raise LearnError(f"'{odd[0]}' is not a job name", "give the job's folder name under the output root")
    rows, issues, warnings, read = read_exports(exports, options.platform)
    if not read:
        raise LearnError("none of the exports could be read: " + "; ".join(warnings),
                         "export the creator centre's video data as .xlsx or .csv")
    clips, notes = load_catalog(out, options.jobs or None)
    warnings += notes
    if not clips:
        raise LearnError(f"no clips under {out}" + (f" for job(s) {', '.join(options.jobs)}" if options.jobs else ""),
                         "point --out at the folder `daihuo make --out` wrote to")
    matches, match_issues = match_rows(rows, clips)
    issues = sorted([*issues, *match_issues], key=lambda i: (i.file, i.row))
    if not matches:
        raise LearnError(f"none of the {len(rows)} usable rows matched a clip under {out}",
                         "check that the export is of the videos daihuo made there (titles as in manifest.json "
                         "post_copy, or a clip_id column)", issues)
    try:
        objective, reason = choose_objective(matches, options.objective)
    except ValueError as exc:
        raise LearnError(str(exc), "export completion (完播率), product clicks or orders too") from exc
    counts = {kind: sum(1 for i in issues if i.kind == kind) for kind in ("error", "unmatched", "ambiguous",
                                                                         "duplicate", "warning")}
    insights = Insights(
        generated=datetime.now().isoformat(timespec="seconds"), out=options.shown_out or str(out), exports=read,
        objective=objective, objective_reason=reason,
        settings={"min_views": options.min_views, "min_events": options.min_events, "credible": 0.95,
                  "prior": "Beta(1, 1)", "seed": options.seed, "platform": options.platform, "jobs": options.jobs},
        rows={"read": len(rows) + counts["error"], "used": len(matches), "errors": counts["error"],
              "unmatched": counts["unmatched"], "ambiguous": counts["ambiguous"], "duplicates": counts["duplicate"],
              "warnings": counts["warning"]},
        issues=issues,
        matches=[{"file": m.row.file, "row": m.row.row, "clip_id": m.clip.clip_id, "method": m.method,
                  "views": m.row.views, "job": m.clip.job, "sku": m.clip.sku, "variant": m.clip.variant,
                  "platform": m.clip.platform} for m in matches],
        estimates=estimate_all(matches, seed=options.seed, min_views=options.min_views, min_events=options.min_events),
        timeline=timeline(matches, "angle", objective, seed=options.seed),
        totals={"views": sum(m.row.views for m in matches),
                "gmv": sum(m.row.gmv or 0 for m in matches)},
        titles=titles_by_sku(clips),
    )
    paths = write_insights(options.into or out / "learn", insights, render_markdown(insights), render_html(insights))
    return LearnResult(insights=insights, paths=paths, warnings=warnings)
