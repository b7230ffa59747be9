"""Sheet pre-check: every text cell of a product sheet reviewed before anything is rendered.

`lint_table` is pure: a Table (generator.sheets: headers and cells with the row numbers the merchant sees) in,
a SheetLint out, one CellFinding per claim with the row, the column as written in the sheet, the law, and the
cell rewritten the way `--compliance fix` would rewrite it. Each row is reviewed with its own category's rules and
its own cells as evidence (a 国妆特字 number in 规格参数 clears 美白 in 卖点 of the same row). Products that may not be
advertised at all (0–12-month infant formula) are reported on their category or title cell.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, computed_field

from generator.compliance.matcher import Evidence, matcher_for_category
from generator.compliance.review import fix_text, product_findings
from generator.models import AlsoCited, RowError
from generator.models.compliance import further_articles
from generator.settings import SheetLimits

# Columns that hold codes, numbers or file names rather than claims.
NOT_CLAIMS = {"sku", "images", "language", "price", "sale_price"}
MAX_CELL_CHARS = 5000


class CellFinding(BaseModel):
    row: int = Field(description="spreadsheet row (the header is row 1), or the item number of a JSON/YAML list")
    column: str = Field(description="the column as the sheet names it, e.g. 卖点, or selling_points[2]")
    text: str = Field(description="the cell's text")
    term: str
    start: int
    end: int
    rule: str
    family: str = Field(description="disease, state, superlative, special_cosmetic, price ...")
    label: str
    severity: str
    basis: str
    reason: str
    suggestion: str = Field(description="the replacement for the term ('' when the claim must go)")
    rewrite: str = Field(description="the whole cell as `--compliance fix` would rewrite it; '' when nothing is left")
    advice: str = ""
    also: list[AlsoCited] = Field(default_factory=list, description=(
        "further families and articles the same claim violates (a food's disease claim: 食品安全法第七十三条)"))

    @computed_field  # type: ignore[prop-decorator]
    @property
    def message(self) -> str:
        return self.line()

    def line(self) -> str:
        """How the merchant reads it: row 4, 卖点: "三天根治痘痘" — 广告法第十七条 疾病当作功效「根治痘痘」; rewrite: …"""
        if self.rewrite and self.rewrite != self.text:
            fix = f'rewrite: "{self.rewrite}"'
        elif self.rewrite:
            fix = "check: keep it only with proof (data source, certificate) on the sheet"
        else:
            fix = "rewrite: remove this claim" + (f" — {self.advice}" if self.advice else "")
        also = "".join(f"; also {a.basis} ({a.category})" for a in further_articles(self.also, self.basis))
        return (f'row {self.row}, {self.column}: "{_short(self.text)}" — {self.basis} {self.label}「{self.term}」{also}; '
                f"{fix}")


class SheetLint(BaseModel):
    source: str
    rows: int = 0
    cells: int = 0
    findings: list[CellFinding] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="rows or columns that could not be reviewed")
    row_errors: list[RowError] = Field(default_factory=list, description="rows that cannot become a product (a "
                                       "price that is not a number, an empty name): `daihuo make` would skip them")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def blocking(self) -> int:
        return sum(1 for f in self.findings if f.severity == "block")


def _short(text: str, limit: int = 60) -> str:
    flat = text.replace("\n", " ")
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def _texts(column: str, value: Any) -> Iterator[tuple[str, str]]:
    """(column label, text) for a cell: lists and mappings (JSON/YAML) one entry at a time."""
    from generator.sheets import clean_text

    if isinstance(value, dict):
        for k, v in value.items():
            yield f"{column}.{k}", f"{clean_text(k)}：{clean_text(v)}"
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _texts(f"{column}[{i}]", item)
    elif isinstance(value, str) or value is not None and not isinstance(value, (int, float, bool)):
        text = clean_text(value)
        if text:
            yield column, text


def lint_table(table: Any, *, limits: SheetLimits | None = None) -> SheetLint:
    """Review every text cell of `table` (a generator.sheets.Table)."""
    from generator.sheets import SheetError, clean_text, fields_of, map_columns, parse_table

    result = SheetLint(source=table.source, rows=len(table.rows))
    try:
        mapping, _ = map_columns(table)
    except SheetError:
        mapping = {}  # no sku/title column: still review the text, every row with the general rules
        result.notes.append(f"{table.source}: no product code or name column; reviewed with the general rules")
    products = {}
    if mapping:
        try:
            parsed = parse_table(table, limits=limits or SheetLimits())
        except SheetError:
            pass
        else:
            products = {p.row: p for p in parsed.products}
            result.row_errors = list(parsed.errors)
    sheet_fields = fields_of(table.headers, mapping)
    for raw in table.rows:
        header_of = fields_of(raw.cells, mapping) if table.items else sheet_fields
        field_of = {h: f for f, h in header_of.items()}
        category = clean_text(raw.cells.get(header_of.get("category", ""))) if "category" in header_of else ""
        brand = clean_text(raw.cells.get(header_of.get("brand", ""))) if "brand" in header_of else ""
        cells = [(label, text, field_of.get(header)) for header, value in raw.cells.items()
                 if field_of.get(header) not in NOT_CLAIMS for label, text in _texts(header, value)]
        matcher = matcher_for_category(category)
        evidence = Evidence(texts=[text for _, text, _ in cells], brand=brand)
        for column, text, _field in cells:
            text = text[:MAX_CELL_CHARS]
            result.cells += 1
            hits = matcher.find(text, evidence)
            if not hits:
                continue
            rewrite = fix_text(text, matcher, evidence)
            for hit in hits:
                result.findings.append(CellFinding(
                    row=raw.number, column=column, text=text, term=hit.term, start=hit.start, end=hit.end,
                    rule=hit.rule.key, family=hit.rule.category, label=hit.rule.label, severity=hit.rule.severity,
                    basis=hit.rule.basis, reason=hit.rule.reason, suggestion=hit.suggestion(), rewrite=rewrite,
                    advice=hit.rule.advice, also=hit.cited()))
        product = products.get(raw.number)
        if product is not None:
            for finding in product_findings(product):
                field = finding.where.split(":")[1] if ":" in finding.where else "category"
                field = "specs" if field == "spec" else field
                column = header_of.get(field, field)
                result.findings.append(CellFinding(
                    row=raw.number, column=column, text=clean_text(raw.cells.get(column, finding.term)),
                    term=finding.term, start=0, end=len(finding.term), rule=finding.rule, family=finding.category,
                    label="不能做广告的商品", severity=finding.severity, basis=finding.basis, reason=finding.reason,
                    suggestion="", rewrite="", advice="本商品不能生成带货视频。"))
    result.findings.sort(key=lambda f: (f.row, f.column, f.start))
    return result


def lint_sheet(path: Path, *, limits: SheetLimits | None = None) -> SheetLint:
    """Read a sheet file (any format generator.sheets reads) and review it. Raises SheetError when unreadable."""
    from generator.sheets import read_table

    limits = limits or SheetLimits()
    return lint_table(read_table(Path(path), max_rows=limits.max_rows, limits=limits), limits=limits)
