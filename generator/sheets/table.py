"""The Table every reader produces: header names and cells keyed by header, with spreadsheet row numbers."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.models import RowError
from generator.sheets.cells import clean_text
from generator.sheets.columns import PRODUCT_COLUMNS, Columns, SheetError, header_key


@dataclass(frozen=True)
class RawRow:
    number: int  # spreadsheet row (header = 1), or the 1-based item index for JSON/YAML
    cells: dict[str, Any]


@dataclass
class Table:
    source: str
    headers: list[str]
    rows: list[RawRow]
    items: bool = False  # JSON/YAML: numbers are list items, not spreadsheet rows
    overflow_row: int | None = None  # first data row past limits.max_rows (not read)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not clean_text(value)
    if isinstance(value, (list, tuple, dict)):
        return all(is_empty(v) for v in (value.values() if isinstance(value, dict) else value))
    return False


HEADER_SEARCH_ROWS = 10


def _non_empty_rows(grid: Iterable[Sequence[Any]]) -> Iterator[tuple[int, list[Any]]]:
    for number, raw in enumerate(grid, start=1):
        cells = list(raw)
        if not all(is_empty(c) for c in cells):  # empty rows are skipped silently, and do not count
            yield number, cells


def _is_header(cells: Sequence[Any], columns: Columns = PRODUCT_COLUMNS) -> bool:
    names = {columns.index.get(header_key(clean_text(c))) for c in cells if isinstance(c, str)}
    return all(f in names for f in columns.required)


def table_from_grid(source: str, grid: Iterable[Sequence[Any]], *, max_rows: int,
                    columns: Columns = PRODUCT_COLUMNS) -> Table:
    """Rows of cells -> Table; stops reading after max_rows data rows.

    The header is the first row naming both sku and title among the first few non-empty rows (merchant
    sheets often carry a title row such as "双11活动商品表" above it), else the first non-empty row.
    """
    rows_in = _non_empty_rows(grid)
    head = list(itertools.islice(rows_in, HEADER_SEARCH_ROWS))
    if not head:
        raise SheetError(source, "the sheet is empty (no header row)", "put the column names in row 1 and one product per row below")
    at = next((i for i, (_, cells) in enumerate(head) if _is_header(cells, columns)), 0)
    header_number, header_cells = head[at]
    headers = _unique_headers(header_cells)
    notes: list[str] = []
    if at:
        notes.append(f"{source}: the column names were found in row {header_number}; the rows above it are ignored")
    rows: list[RawRow] = []
    overflow: int | None = None
    for number, cells in itertools.chain(head[at + 1 :], rows_in):
        if len(rows) >= max_rows:
            overflow = number
            break
        if any(not is_empty(c) for c in cells[len(headers) :]):
            # Typically a hand-written CSV with an unquoted comma inside a cell: the columns shift.
            notes.append(f"{source}: row {number} has more cells than the header; the extra cells are ignored "
                         "(a comma inside a cell must be quoted — export the CSV from Excel/WPS)")
        padded = cells + [None] * (len(headers) - len(cells))
        rows.append(RawRow(number, dict(zip(headers, padded, strict=False))))
    return Table(source=source, headers=headers, rows=rows, overflow_row=overflow, warnings=notes)


def _unique_headers(cells: Sequence[Any]) -> list[str]:
    headers: list[str] = []
    for i, cell in enumerate(cells, start=1):
        name = clean_text(cell) if not is_empty(cell) else f"(column {i})"
        base, n = name, 2
        while name in headers:
            name, n = f"{base}#{n}", n + 1
        headers.append(name)
    return headers


def table_from_records(data: Any, *, source: str, max_rows: int) -> Table:
    """A JSON/YAML document (a list of objects, or {"products": [...]}) -> Table of items."""
    if isinstance(data, dict):
        if "products" not in data:
            raise SheetError(
                source,
                f"the document is an object with keys {', '.join(map(str, list(data)[:8])) or '(none)'} but no 'products'",
                'write a list of products, or {"products": [ {...}, {...} ]}',
            )
        data = data["products"]
    if not isinstance(data, list):
        raise SheetError(source, f"expected a list of products, found {type(data).__name__}", 'write [ {"sku": ..., "title": ...}, ... ]')
    table = Table(source=source, headers=[], rows=[], items=True)
    for index, item in enumerate(data, start=1):
        if is_empty(item):
            continue
        if not isinstance(item, dict):
            table.errors.append(
                RowError(
                    file=source, row=index, field="(item)",
                    problem=f"item {index} of the list is a {type(item).__name__}, not an object with fields",
                    fix='write each product as {"sku": "...", "title": "...", ...}',
                )
            )
            continue
        if len(table.rows) >= max_rows:
            table.overflow_row = index
            break
        cells = {clean_text(k): v for k, v in item.items()}
        for key in cells:
            if key not in table.headers:
                table.headers.append(key)
        table.rows.append(RawRow(index, cells))
    return table
