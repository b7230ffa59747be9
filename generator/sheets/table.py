"""The Table every reader produces: header names and cells keyed by header, with spreadsheet row numbers."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.models import RowError
from generator.sheets.cells import clean_text
from generator.sheets.columns import (
    MAX_COLUMNS,
    MAX_EMPTY_RUN,
    PRODUCT_COLUMNS,
    Columns,
    SheetError,
    header_key,
)


@dataclass(frozen=True)
class MissingValue:
    """A workbook cell that holds a formula but no calculated value (saved by a program that does not
    calculate): the row that uses it gets a RowError instead of silently losing the value."""

    ref: str  # "C2"
    formula: str

    def __str__(self) -> str:
        return ""


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


def is_empty(value: Any, depth: int = 0) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not clean_text(value)
    if isinstance(value, (list, tuple, dict)):
        if depth >= 2:  # deeper values are refused later anyway; never walk a nested (aliased) structure
            return False
        return all(is_empty(v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
    return False


HEADER_SEARCH_ROWS = 10


class _Rows:
    """The non-empty rows of a grid with their spreadsheet numbers, at most MAX_COLUMNS cells each.

    Empty rows are skipped silently and do not count; after MAX_EMPTY_RUN of them in a row, reading stops
    (`stopped_at`), so a million formatted-but-empty rows cost milliseconds, not minutes.
    """

    def __init__(self, grid: Iterable[Sequence[Any]]) -> None:
        self.grid = grid
        self.stopped_at: int | None = None
        self.widest = 0  # cells in the widest row, when over MAX_COLUMNS

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        run = 0
        for number, raw in enumerate(self.grid, start=1):
            cells = list(itertools.islice(raw, MAX_COLUMNS))
            if len(cells) == MAX_COLUMNS and isinstance(raw, (list, tuple)) and len(raw) > MAX_COLUMNS:
                self.widest = max(self.widest, len(raw))
            if any(not is_empty(c) for c in cells):
                run = 0
                yield number, cells
                continue
            run += 1
            if run >= MAX_EMPTY_RUN:
                self.stopped_at = number
                return


def _is_header(cells: Sequence[Any], columns: Columns) -> bool:
    names = {columns.index.get(header_key(clean_text(c))) for c in cells if isinstance(c, str)}
    names.discard(None)
    return columns.is_header(names)  # type: ignore[arg-type]


def table_from_grid(source: str, grid: Iterable[Sequence[Any]], *, max_rows: int, last_row: int | None = None,
                    columns: Columns = PRODUCT_COLUMNS) -> Table:
    """Rows of cells -> Table; stops reading after max_rows data rows.

    The header is the first row naming the title and the SKU (or two more known columns) among the first
    few non-empty rows (merchant sheets often carry a title row such as "双11活动商品表" above it), else
    the first non-empty row. LAST_ROW, when the reader knows it, is the last row with content.
    """
    scanner = _Rows(grid)
    rows_in = iter(scanner)
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
    if scanner.widest:
        notes.append(f"{source}: only the first {MAX_COLUMNS} columns are read (a row has {scanner.widest:,} cells)")
    if scanner.stopped_at is not None and overflow is None:
        further = f" (the sheet goes on to row {last_row:,})" if last_row else ""
        notes.append(f"{source}: reading stopped at row {scanner.stopped_at:,} after {MAX_EMPTY_RUN:,} empty rows in "
                     f"a row; the rows below it were not read{further} — delete the empty rows")
    return Table(source=source, headers=headers, rows=rows, overflow_row=overflow, warnings=notes)


def _unique_headers(cells: Sequence[Any]) -> list[str]:
    headers: list[str] = []
    taken: set[str] = set()
    for i, cell in enumerate(cells, start=1):
        name = "" if isinstance(cell, MissingValue) or is_empty(cell) else clean_text(cell).replace("\n", " ")[:100]
        name = name or f"(column {i})"
        base, n = name, 2
        while name in taken:
            name, n = f"{base}#{n}", n + 1
        headers.append(name)
        taken.add(name)
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
    known: set[str] = set()
    for index, item in enumerate(data, start=1):
        if len(table.rows) + len(table.errors) >= max_rows:  # non-objects count too: a list of a million numbers
            table.overflow_row = index
            break
        # Unlike a blank spreadsheet row, an empty item was written on purpose: it is named, not skipped.
        unusable = _unusable_item(item, index)
        if unusable is not None:
            problem, fix = unusable
            table.errors.append(RowError(file=source, row=index, field="(item)", problem=problem, fix=fix))
            continue
        cells = {clean_text(k).replace("\n", " ")[:100]: v for k, v in itertools.islice(item.items(), MAX_COLUMNS)}
        for key in cells:
            if key not in known:
                known.add(key)
                table.headers.append(key)
        table.rows.append(RawRow(index, cells))
    return table


def _unusable_item(item: Any, index: int) -> tuple[str, str] | None:
    """(problem, fix) for a list item that cannot be a product, or None."""
    if is_empty(item):
        return (f"item {index} of the list is empty (no field has a value)",
                'fill in at least "sku" and "title", or remove the item')
    if not isinstance(item, dict):
        return (f"item {index} of the list is a {type(item).__name__}, not an object with fields",
                'write each product as {"sku": "...", "title": "...", ...}')
    return None

