"""insights.json in and out (the file edge of learning and of `daihuo make --learn`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from generator.errors import DaihuoError
from generator.learn.models import Insights, RowIssue
from generator.output import write_json_atomic, write_text_atomic


class LearnError(DaihuoError, ValueError):
    """Learning cannot go on: no clips, no usable export, no matching row, an unreadable insights file."""

    def __init__(self, problem: str, fix: str | None = None, issues: Sequence[RowIssue] = ()) -> None:
        super().__init__(problem, fix)
        self.issues = list(issues)  # the per-row report, when rows were read but none could be used


def load_insights(path: Path) -> Insights:
    """The insights file, validated; cached while the file is unchanged (a job reads it once per product)."""
    try:
        stat = Path(path).stat()
    except OSError as exc:
        raise LearnError(f"cannot read the insights file {path} ({exc.strerror or exc})",
                         "run `daihuo learn EXPORT --out OUT` first; it writes OUT/learn/insights.json") from exc
    return _load(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _load(path: str, _mtime_ns: int, _size: int) -> Insights:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise LearnError(f"cannot read the insights file {path} ({exc.strerror or exc})",
                         "run `daihuo learn EXPORT --out OUT` first; it writes OUT/learn/insights.json") from exc
    except ValueError as exc:
        raise LearnError(f"{path} is not valid JSON ({exc})", "run `daihuo learn` again to rewrite it") from exc
    try:
        insights = Insights.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise LearnError(f"{path} is not a daihuo insights file ({'.'.join(map(str, first['loc']))}: {first['msg']})",
                         "pass the insights.json that `daihuo learn` wrote") from exc
    if not insights.estimates.get(insights.objective):
        raise LearnError(f"{path} has no estimates for its objective {insights.objective}",
                         "run `daihuo learn` with an export that has that metric")
    return insights


def write_insights(directory: Path, insights: Insights, markdown: str, html: str) -> dict[str, Path]:
    """OUT/learn/insights.json, .md and .html, each written atomically."""
    return {
        "json": write_json_atomic(directory / "insights.json", insights.model_dump(mode="json", by_alias=True)),
        "md": write_text_atomic(directory / "insights.md", markdown),
        "html": write_text_atomic(directory / "insights.html", html),
    }
