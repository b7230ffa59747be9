"""Readers per format (I/O edge): XLSX, CSV (UTF-8, BOM, GBK/GB18030, UTF-16, mixed), JSON and YAML into a Table.

Every reader is bounded before it parses (docs/security.md, "Sheets and images"): file sizes, the unpacked
size of a workbook (xlsx.py), the values a JSON/YAML document may expand to (documents.py), cells per CSV
line, columns per row and runs of empty rows (table.py).
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from pathlib import Path

from generator.settings import SheetLimits
from generator.sheets.columns import (
    MAX_CELLS_PER_LINE,
    MAX_SHEET_BYTES,
    MAX_TEXT_SHEET_BYTES,
    PRODUCT_COLUMNS,
    SHEET_SUFFIXES,
    Columns,
    SheetError,
    header_key,
)
from generator.sheets.decode import decode_sheet_text
from generator.sheets.documents import load_json, load_yaml
from generator.sheets.table import Table, table_from_grid, table_from_records
from generator.sheets.xlsx import read_xlsx

# The csv module refuses any field over 128 KB and takes the whole sheet down with it. Fields are bounded by
# the file size here, and an over-long cell becomes its row's error (DAIHUO_MAX_FIELD_CHARS). The limit is
# process-wide; raising it never makes another reader fail.
csv.field_size_limit(max(csv.field_size_limit(), min(sys.maxsize, MAX_TEXT_SHEET_BYTES * 4)))


def read_table(path: Path, *, max_rows: int, limits: SheetLimits | None = None,
               columns: Columns = PRODUCT_COLUMNS) -> Table:
    """Read any supported sheet file into a Table; raise SheetError for a file we cannot read at all."""
    limits = limits or SheetLimits(max_rows=max_rows)
    source = path.name
    if not path.is_file():
        raise SheetError(source, "the file does not exist or is not a file", "check the path")
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise SheetError(source, "old Excel 97-2003 .xls files are not supported", "save it as .xlsx or CSV (UTF-8) in Excel/WPS")
    if suffix not in SHEET_SUFFIXES:
        raise SheetError(source, f"unknown sheet type '{suffix or '(none)'}'", f"use one of {', '.join(SHEET_SUFFIXES)}")
    size = path.stat().st_size
    cap = MAX_SHEET_BYTES if suffix in (".xlsx", ".xlsm") else MAX_TEXT_SHEET_BYTES
    if size > cap:
        raise SheetError(source, f"the file is {size:,} bytes, over the limit of {cap:,}", "split it into smaller sheets")
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, limits=limits.model_copy(update={"max_rows": max_rows}), columns=columns)
    data = path.read_bytes()
    if not data.strip():
        raise SheetError(source, "the file is empty", "put the column names in row 1 and one product per row below")
    if suffix == ".json":
        return table_from_records(load_json(data, source=source, max_rows=max_rows), source=source, max_rows=max_rows)
    if suffix in (".yaml", ".yml"):
        decoded = decode_sheet_text(data, source=source)
        table = table_from_records(load_yaml(decoded.text, source=source, max_rows=max_rows), source=source,
                                   max_rows=max_rows)
        table.warnings[:0] = decoded.warnings
        return table
    return _read_csv(data, source=source, max_rows=max_rows, columns=columns)


def decode_text(data: bytes, *, source: str) -> tuple[str, str]:
    """Bytes of a text sheet -> (text, encoding); see decode.decode_sheet_text."""
    decoded = decode_sheet_text(data, source=source)
    return decoded.text, decoded.encoding


def _read_csv(data: bytes, *, source: str, max_rows: int, columns: Columns = PRODUCT_COLUMNS) -> Table:
    decoded = decode_sheet_text(data, source=source)
    # Rows of bare separators at the end (what Excel writes for formatted but empty rows) are no rows.
    text = decoded.text.rstrip(",;\t| \r\n")
    delimiter = guess_delimiter(text, columns)
    try:
        # Iterating lazily lets max_rows stop the reading; csv numbers records, not physical lines, which
        # is what a spreadsheet shows when a cell contains a line break.
        grid = csv.reader(_bounded_lines(text, delimiter, source), delimiter=delimiter)
        table = table_from_grid(source, grid, max_rows=max_rows, columns=columns)
    except csv.Error as exc:
        raise SheetError(source, f"the CSV is malformed ({exc})", "re-export it from Excel/WPS as CSV") from exc
    table.warnings[:0] = decoded.warnings
    return table


def _bounded_lines(text: str, delimiter: str, source: str) -> Iterator[str]:
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if line.count(delimiter) > MAX_CELLS_PER_LINE:
            raise SheetError(source, f"line {number:,} has {line.count(delimiter):,} '{delimiter}' separators, more "
                             "columns than a spreadsheet can have", "delete the extra columns and export the CSV again")
        yield line


def guess_delimiter(text: str, columns: Columns = PRODUCT_COLUMNS) -> str:
    """Pick the delimiter that makes the most recognised column names out of the header line.

    Recognising our own column names is more reliable than csv.Sniffer on Chinese text full of commas;
    the Sniffer is only asked when no delimiter yields a known column.
    """
    header = next((line for line in io.StringIO(text[:65_536]) if line.strip()), "")
    best, best_score = ",", 0
    for delimiter in (",", "\t", ";", "|"):
        try:
            cells = next(csv.reader([header[:65_536]], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        score = sum(1 for c in cells[:256] if header_key(c) in columns.index)
        if score > best_score:
            best, best_score = delimiter, score
    if best_score == 0:
        try:
            best = csv.Sniffer().sniff(text[:8192], delimiters=",\t;|").delimiter
        except csv.Error:
            best = ","
    return best
