"""Analytics exports in: files -> `ExportRow`s and per-row issues (reading at the edge, parsing pure).

The file readers are the product sheets' own (generator.sheets: XLSX, CSV in UTF-8/GBK/UTF-16, JSON, YAML;
a title row above the header is skipped), told the export's column names. A row whose views cannot be read
is an error and is left out; a bad optional cell (likes "abc") is a warning and only that number is left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from generator.learn.columns import (
    COUNT_FIELDS,
    EXPORT_COLUMNS,
    RATE_FIELDS,
    accepted,
    is_missing,
    parse_count,
    parse_number,
    parse_rate,
    parse_seconds,
    parse_time,
    percent_scale,
)
from generator.learn.models import ExportRow, RowIssue
from generator.sheets import CellProblem, SheetError, Table, clean_text, header_key, read_table

MAX_EXPORT_ROWS = 50_000
CLIP_ID = re.compile(r"(?<![0-9a-z])dh[0-9a-f]{10}(?![0-9a-z])")
_EXTRA_PLATFORM_NAMES = {"b站": "bilibili", "视频号": "wechat_channels", "wechat": "wechat_channels",
                         "channels": "wechat_channels", "shorts": "youtube_shorts", "reels": "instagram_reels",
                         "ins": "instagram_reels", "红书": "xiaohongshu", "xhs": "xiaohongshu", "dy": "douyin",
                         "ks": "kuaishou", "tb": "taobao"}


def platform_names() -> dict[str, str]:
    """Every name a platform goes by (keys, Chinese and English names) -> preset key."""
    from generator.platforms import load_presets

    names: dict[str, str] = {}
    for key, preset in load_presets().items():
        names[header_key(key)] = key
        first = re.split(r"[\s(（]", preset.name.strip())[0]
        names.setdefault(header_key(first), key)
    for name, key in _EXTRA_PLATFORM_NAMES.items():
        names.setdefault(header_key(name), key)
    return names


def platform_of(text: str, *, within: bool = False) -> str | None:
    """The preset key TEXT names ('抖音', 'Douyin', 'douyin' -> 'douyin'); with WITHIN, the one platform whose
    name appears inside TEXT (a file name such as '抖音作品数据0501.xlsx'), None when none or several do."""
    key = header_key(text)
    names = platform_names()
    if key in names:
        return names[key]
    if not within:
        return None
    found = {platform for name, platform in names.items() if len(name) >= 2 and name in key}
    return found.pop() if len(found) == 1 else None


def read_export(path: Path) -> tuple[list[ExportRow], list[RowIssue], list[str]]:
    """Rows, issues and file-level warnings of one export; SheetError when the file cannot be used at all."""
    table = read_table(path, max_rows=MAX_EXPORT_ROWS, columns=EXPORT_COLUMNS)
    return rows_from_table(table)


def map_export_columns(table: Table) -> tuple[dict[str, str], list[str]]:
    """Field -> the first header naming it, and warnings; SheetError without a views column."""
    header_of: dict[str, str] = {}
    notes: list[str] = []
    for header in table.headers:
        field = EXPORT_COLUMNS.index.get(header_key(re.sub(r"#\d+$", "", header)))
        if field is None:
            continue
        if field in header_of:
            notes.append(f"{table.source}: columns '{header_of[field]}' and '{header}' both mean {field}; "
                         f"using '{header_of[field]}'")
            continue
        header_of[field] = header
    if "views" not in header_of:
        found = ", ".join(h for h in table.headers if not h.startswith("(column ")) or "(none)"
        raise SheetError(table.source, f"no views column (columns found: {found})",
                         f"export the views too, in a column named {accepted('views')}")
    if "title" not in header_of and "clip_id" not in header_of:
        notes.append(f"{table.source}: no title or clip_id column; rows can only match by a clip id (dh…) "
                     f"written in some cell — add a column named {accepted('title')}")
    if not any(f in header_of for f in ("completion", "clicks", "click_rate", "orders")):
        notes.append(f"{table.source}: no completion, click or order column; there is nothing to compare "
                     f"(add {accepted('completion')} or {accepted('clicks')})")
    return header_of, notes


def rows_from_table(table: Table) -> tuple[list[ExportRow], list[RowIssue], list[str]]:
    """Every row of TABLE as an ExportRow or an error (pure)."""
    header_of, notes = map_export_columns(table)
    percent = {f: percent_scale([r.cells.get(header_of[f]) for r in table.rows]) for f in RATE_FIELDS
               if f in header_of}
    rows: list[ExportRow] = []
    issues: list[RowIssue] = []
    if table.overflow_row is not None:
        issues.append(RowIssue(file=table.source, row=table.overflow_row, kind="error", field="(rows)",
                               problem=f"the export has more than {MAX_EXPORT_ROWS:,} rows; this one and after "
                                       "were not read", fix="split the export by date range"))
    for raw in table.rows:
        cells = {field: raw.cells.get(header) for field, header in header_of.items()}
        row, row_issues = parse_export_row(table.source, raw.number, cells, percent,
                                           others=[v for h, v in raw.cells.items() if h not in header_of.values()])
        issues += row_issues
        if row is not None:
            rows.append(row)
    return rows, issues, [*table.warnings, *notes]


def parse_export_row(file: str, number: int, cells: dict[str, Any], percent: dict[str, bool],
                     others: Sequence[Any] = ()) -> tuple[ExportRow | None, list[RowIssue]]:
    """One row: (the row, or None when it cannot be used; its issues)."""
    issues: list[RowIssue] = []

    def bad(field: str, problem: str, fix: str, kind: str = "warning") -> None:
        issues.append(RowIssue(file=file, row=number, kind=kind, field=field, problem=problem, fix=fix))  # type: ignore[arg-type]

    try:
        views = parse_count(cells.get("views"))
    except CellProblem as exc:
        bad("views", f"views {exc.problem}", exc.fix or "write the number of views", "error")
        return None, issues
    if views is None:
        bad("views", "views are empty", "fill in the views (播放量) of this video", "error")
        return None, issues
    values: dict[str, Any] = {"views": views}
    parsers = {**dict.fromkeys(COUNT_FIELDS, parse_count), "gmv": parse_number, "avg_watch": parse_seconds,
               "published": parse_time}
    for field, parse in parsers.items():
        if field == "views" or field not in cells:
            continue
        try:
            values[field] = parse(cells[field])
        except CellProblem as exc:
            bad(field, f"{field} {exc.problem}; this number is left out, the rest of the row is used", exc.fix)
    for field in RATE_FIELDS:
        if field in cells:
            try:
                values[field] = parse_rate(cells[field], percent.get(field, False))
            except CellProblem as exc:
                bad(field, f"{field} {exc.problem}; this number is left out, the rest of the row is used", exc.fix)
    click_rate = values.pop("click_rate", None)
    if values.get("clicks") is None and click_rate is not None:
        values["clicks"] = round(click_rate * views)
    for field in ("clicks", "orders"):
        if values.get(field) is not None and values[field] > views:
            bad(field, f"{field} ({values[field]:,}) exceed the views ({views:,}); counted as {views:,}",
                "check that the columns are not shifted")
    text = {f: clean_text(cells.get(f)) if not is_missing(cells.get(f)) else "" for f in ("title", "clip_id", "platform")}
    clip_id = text["clip_id"].casefold()
    if not clip_id:  # a clip id written anywhere in the row (a note, a remark column) counts too
        found = {m for v in [cells.get("title"), *others] for m in CLIP_ID.findall(clean_text(v).casefold())}
        clip_id = found.pop() if len(found) == 1 else ""
    platform = None
    if text["platform"]:
        platform = platform_of(text["platform"])
        if platform is None:
            bad("platform", f"'{text['platform']}' is not a platform daihuo knows; the row matches on any platform",
                "write a preset name such as douyin, kuaishou, xiaohongshu (see `daihuo platforms`)")
    if not text["title"] and not clip_id:
        bad("title", "neither a title nor a clip id; the row cannot be matched to a clip",
            "fill in the video's title (作品名称)", "error")
        return None, issues
    if views == 0:
        bad("views", "0 views: nothing to learn from this video yet", "export again once it has been watched",
            "warning")
        return None, issues
    row = ExportRow(file=file, row=number, title=text["title"], clip_id=clip_id, platform=platform, **values)
    return row, issues
