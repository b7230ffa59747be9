"""Readers per format (I/O edge): XLSX, CSV (UTF-8, BOM, GBK/GB18030, UTF-16), JSON and YAML into a Table."""

from __future__ import annotations

import csv
import io
import json
import warnings as pywarnings
import zipfile
from pathlib import Path

import yaml

from generator.sheets.columns import (
    MAX_SHEET_BYTES,
    PRODUCT_COLUMNS,
    SHEET_SUFFIXES,
    Columns,
    SheetError,
    header_key,
)
from generator.sheets.table import Table, table_from_grid, table_from_records


def read_table(path: Path, *, max_rows: int, columns: Columns = PRODUCT_COLUMNS) -> Table:
    """Read any supported sheet file into a Table; raise SheetError for a file we cannot read at all."""
    source = path.name
    if not path.is_file():
        raise SheetError(source, "the file does not exist or is not a file", "check the path")
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise SheetError(source, "old Excel 97-2003 .xls files are not supported", "save it as .xlsx or CSV (UTF-8) in Excel/WPS")
    if suffix not in SHEET_SUFFIXES:
        raise SheetError(source, f"unknown sheet type '{suffix or '(none)'}'", f"use one of {', '.join(SHEET_SUFFIXES)}")
    size = path.stat().st_size
    if size > MAX_SHEET_BYTES:
        raise SheetError(source, f"the file is {size:,} bytes, over the limit of {MAX_SHEET_BYTES:,}", "split it into smaller sheets")
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, max_rows=max_rows, columns=columns)
    data = path.read_bytes()
    if not data.strip():
        raise SheetError(source, "the file is empty", "put the column names in row 1 and one product per row below")
    if suffix == ".json":
        return _read_json(data, source=source, max_rows=max_rows)
    if suffix in (".yaml", ".yml"):
        return _read_yaml(data, source=source, max_rows=max_rows)
    return _read_csv(data, source=source, max_rows=max_rows, columns=columns)


def decode_text(data: bytes, *, source: str) -> tuple[str, str]:
    """Bytes of a text sheet -> (text, encoding). UTF-8 (with or without BOM) first, then GB18030 (a
    superset of GBK and GB2312, what Excel/WPS on Chinese Windows save as "CSV"), charset-normalizer last."""
    if data.startswith(b"PK\x03\x04"):
        raise SheetError(source, "this is an Excel workbook (.xlsx) with a text file name", "rename it to .xlsx")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data[:4096]:
        raise SheetError(source, "this looks like a binary file, not a text sheet", "export the sheet as CSV (UTF-8) or .xlsx")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise SheetError(source, "the text encoding could not be recognised", "save the sheet as CSV UTF-8 in Excel/WPS")
    return str(best), best.encoding


def _read_csv(data: bytes, *, source: str, max_rows: int, columns: Columns = PRODUCT_COLUMNS) -> Table:
    text, _encoding = decode_text(data, source=source)
    delimiter = guess_delimiter(text, columns)
    try:
        # Iterating lazily lets max_rows stop the reading; csv numbers records, not physical lines, which
        # is what a spreadsheet shows when a cell contains a line break.
        grid = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return table_from_grid(source, grid, max_rows=max_rows, columns=columns)
    except csv.Error as exc:
        raise SheetError(source, f"the CSV is malformed ({exc})", "re-export it from Excel/WPS as CSV") from exc


def guess_delimiter(text: str, columns: Columns = PRODUCT_COLUMNS) -> str:
    """Pick the delimiter that makes the most recognised column names out of the header line.

    Recognising our own column names is more reliable than csv.Sniffer on Chinese text full of commas;
    the Sniffer is only asked when no delimiter yields a known column.
    """
    header = next((line for line in text.splitlines() if line.strip()), "")
    best, best_score = ",", 0
    for delimiter in (",", "\t", ";", "|"):
        try:
            cells = next(csv.reader([header], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        score = sum(1 for c in cells if header_key(c) in columns.index)
        if score > best_score:
            best, best_score = delimiter, score
    if best_score == 0:
        try:
            best = csv.Sniffer().sniff(text[:8192], delimiters=",\t;|").delimiter
        except csv.Error:
            best = ","
    return best


def _read_xlsx(path: Path, *, max_rows: int, columns: Columns = PRODUCT_COLUMNS) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    source = path.name
    try:
        with pywarnings.catch_warnings():
            pywarnings.simplefilter("ignore")  # "Workbook contains no default style" and similar noise
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise SheetError(source, f"the file is not a readable .xlsx workbook ({exc})", "open and re-save it as .xlsx in Excel/WPS") from exc
    try:
        sheet = workbook.active or workbook.worksheets[0]
        table = table_from_grid(source, sheet.iter_rows(min_row=1, values_only=True), max_rows=max_rows,
                                columns=columns)
        others = [ws.title for ws in workbook.worksheets if ws.title != sheet.title]
        if others:
            table.warnings.append(
                f"{source}: read the worksheet '{sheet.title}'; other worksheets ({', '.join(others)}) are ignored"
            )
        return table
    finally:
        workbook.close()


def _read_json(data: bytes, *, source: str, max_rows: int) -> Table:
    try:
        # NaN/Infinity are kept as text so that a price of NaN is a row error, not a float.
        document = json.loads(data.decode("utf-8-sig"), parse_constant=lambda name: name)
    except UnicodeDecodeError as exc:
        raise SheetError(source, "JSON must be UTF-8", "save the file as UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise SheetError(source, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", "fix the syntax (a JSON validator shows where)") from exc
    return table_from_records(document, source=source, max_rows=max_rows)


def _read_yaml(data: bytes, *, source: str, max_rows: int) -> Table:
    try:
        text, _ = decode_text(data, source=source)
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SheetError(source, f"invalid YAML{where}: {problem}", "fix the indentation/syntax there") from exc
    return table_from_records(document, source=source, max_rows=max_rows)
