"""The data `daihuo learn` reads, matches and writes (data only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Metric = Literal["completion", "clicks", "orders"]
METRICS: tuple[Metric, ...] = ("completion", "clicks", "orders")
METRIC_LABELS: dict[str, str] = {"completion": "completion rate 完播率", "clicks": "product clicks per view 商品点击率",
                                 "orders": "orders per view 成交转化率"}
IssueKind = Literal["error", "unmatched", "ambiguous", "duplicate", "warning"]


class ExportRow(BaseModel):
    """One usable row of an analytics export; rates are fractions, times in seconds."""

    file: str
    row: int
    title: str = ""
    clip_id: str = ""
    platform: str | None = None
    published: datetime | None = None
    views: int
    completion: float | None = None
    avg_watch: float | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    clicks: int | None = None
    orders: int | None = None
    gmv: float | None = None

    @property
    def where(self) -> str:
        return f"{self.file}: row {self.row}"

    def successes(self, metric: str) -> int | None:
        """Views that completed / clicked / ordered (capped at the views: a Binomial over views)."""
        if metric == "completion":
            return None if self.completion is None else round(self.completion * self.views)
        value = getattr(self, metric)
        return None if value is None else min(int(value), self.views)


class RowIssue(BaseModel):
    """A row that was not used (or only partly): where, what, what to do."""

    file: str
    row: int
    kind: IssueKind
    field: str = ""
    problem: str
    fix: str = ""
    candidates: list[str] = Field(default_factory=list, description="clip ids an ambiguous row could be")

    def __str__(self) -> str:
        where = f"{self.file}: row {self.row}" + (f", field '{self.field}'" if self.field else "")
        return f"{where}: {self.kind}: {self.problem}" + (f" — {self.fix}" if self.fix else "")


class ClipInfo(BaseModel):
    """One clip daihuo made, as `daihuo learn` knows it (from its variant's manifest.json)."""

    model_config = ConfigDict(frozen=True)

    clip_id: str
    job: str
    sku: str
    variant: int
    platform: str
    title: str
    factors: dict[str, str]
    made: datetime | None = None


class Match(BaseModel):
    row: ExportRow
    clip: ClipInfo
    method: Literal["clip_id", "title", "title-prefix"]


class LevelEstimate(BaseModel):
    """The Beta posterior of one factor level's rate, Beta(1 + successes, 1 + views - successes)."""

    level: str
    clips: int
    views: int
    successes: int
    alpha: float
    beta: float
    mean: float
    low: float
    high: float
    p_best: float = Field(description="share of joint posterior draws in which this level is the highest")
    enough: bool = Field(description="False: too little data to rank it (see min_views / min_events)")
    rank: int = 0


class FactorEstimate(BaseModel):
    factor: str
    metric: Metric
    levels: list[LevelEstimate]
    leader: str | None = None
    verdict: Literal["clear winner", "leading", "undecided", "too little data", "one level"] = "too little data"

    def level(self, name: str) -> LevelEstimate | None:
        return next((lv for lv in self.levels if lv.level == name), None)


class TimelinePoint(BaseModel):
    day: str
    series: str
    views: int
    successes: int
    mean: float
    low: float
    high: float


class Insights(BaseModel):
    """insights.json: what was read, what matched, and per metric and factor the posteriors."""

    model_config = ConfigDict(populate_by_name=True)

    schema_: str = Field(default="daihuo.insights/1", alias="schema")
    generated: str
    out: str
    exports: list[str]
    objective: Metric
    objective_reason: str
    settings: dict[str, Any]
    rows: dict[str, int] = Field(description="read, used, errors, unmatched, ambiguous, duplicates")
    issues: list[RowIssue] = Field(default_factory=list)
    matches: list[dict[str, Any]] = Field(default_factory=list, description="row -> clip_id, method, views")
    estimates: dict[str, dict[str, FactorEstimate]] = Field(default_factory=dict, description="metric -> factor -> levels")
    timeline: list[TimelinePoint] = Field(default_factory=list)
    timeline_factor: str = "angle"
    totals: dict[str, float] = Field(default_factory=dict)
    titles: dict[str, list[str]] = Field(default_factory=dict, description="sku -> titles of its clips under `out` "
                                         "when learning; the next batch's titles differ from them")

    def estimate(self, factor: str, metric: str | None = None) -> FactorEstimate | None:
        return self.estimates.get(metric or self.objective, {}).get(factor)
