"""XLSX workbooks, bounded before openpyxl touches them (I/O edge).

An .xlsx is a zip of XML parts, so a 1 MB upload can unpack to gigabytes, declare a sheet of 16,384 × 1M
cells in one line, or carry an XML entity bomb. Before parsing: the zip directory is read from its last
bytes (entry count and size), every entry's unpacked size and compression ratio is checked, and every XML
part is refused if it declares a DTD (Excel never writes one). Then one streaming pass (regular expressions
over 1 MB chunks) over the active sheet finds where its values really end, its merged cells and its formulas
that were never calculated; openpyxl reads only that many rows and at most MAX_COLUMNS columns.
"""

from __future__ import annotations

import re
import struct
import warnings as pywarnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

from generator.settings import SheetLimits
from generator.sheets.columns import MAX_COLUMNS, PRODUCT_COLUMNS, Columns, SheetError
from generator.sheets.table import MissingValue, Table, table_from_grid

MAX_ZIP_ENTRIES = 10_000
MAX_ZIP_DIRECTORY_BYTES = 8_000_000
MAX_RATIO = 200  # deflate packs real sheet XML 5–30:1; padding packs ~1000:1
RATIO_CHECKED_ABOVE = 4_000_000  # small parts may compress as well as they like
MAX_CELLS_PER_ROW = 16_384  # Excel's column limit
NEVER_PARSED = ("xl/media/", "xl/embeddings/", "xl/printerSettings/")  # pictures and OLE objects: never unpacked
_FIX = "open and re-save it as .xlsx in Excel/WPS"
_REF = re.compile(r"([A-Za-z]{1,3})(\d{1,7})")


def read_xlsx(path: Path, *, limits: SheetLimits, columns: Columns = PRODUCT_COLUMNS) -> Table:
    import openpyxl

    source = path.name
    check_archive(path, source=source, max_unpacked=limits.max_unpacked_bytes)
    try:
        with zipfile.ZipFile(path) as archive:
            refuse_dtds(archive, source=source)
        with pywarnings.catch_warnings():
            pywarnings.simplefilter("ignore")  # "Workbook contains no default style" and similar noise
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except SheetError:
        raise
    except Exception as exc:  # openpyxl meets malformed parts with any kind of exception; all mean the same
        raise SheetError(source, f"the file is not a readable .xlsx workbook ({_short(exc)})", _FIX) from exc
    try:
        sheet = workbook.active or workbook.worksheets[0]
        with zipfile.ZipFile(path) as archive:
            scan = scan_sheet(archive, getattr(sheet, "_worksheet_path", ""), source=source)
        grid: Iterable[Sequence[Any]] = []
        if scan.last_row:
            last = scan.last_row if scan.last_row > 0 else None
            width = max(1, min(scan.max_col, MAX_COLUMNS)) if last else MAX_COLUMNS
            rows = sheet.iter_rows(min_row=1, max_row=last, max_col=width, values_only=True)
            grid = with_merges_and_formulas(rows, scan)
        table = table_from_grid(source, grid, max_rows=limits.max_rows, last_row=max(scan.last_row, 0) or None,
                                columns=columns)
    except SheetError:
        raise
    except Exception as exc:
        raise SheetError(source, f"the worksheet could not be read ({_short(exc)})", _FIX) from exc
    finally:
        workbook.close()
    table.warnings.extend(scan.notes(source))
    others = [ws.title for ws in workbook.worksheets if ws.title != sheet.title]
    if others:
        table.warnings.append(f"{source}: read the worksheet '{sheet.title}'; other worksheets ({', '.join(others[:10])}) are ignored")
    return table


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:160] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# --------------------------------------------------------------------------------------------------
# The archive
# --------------------------------------------------------------------------------------------------


def check_archive(path: Path, *, source: str, max_unpacked: int) -> None:
    """Refuse a zip that would unpack too far, before its directory is even loaded."""
    entries, directory_bytes = _end_of_directory(path, source=source)
    if entries > MAX_ZIP_ENTRIES or directory_bytes > MAX_ZIP_DIRECTORY_BYTES:
        raise SheetError(source, f"the workbook is a zip of {entries:,} parts ({directory_bytes:,} bytes of directory); "
                         "Excel writes a few dozen", _FIX)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SheetError(source, f"the file is not a readable .xlsx workbook ({_short(exc)})", _FIX) from exc
    unpacked = 0
    for info in infos:
        if info.filename.startswith(NEVER_PARSED):
            continue
        unpacked += info.file_size
        ratio = info.file_size / max(1, info.compress_size)
        if info.file_size > RATIO_CHECKED_ABOVE and ratio > MAX_RATIO:
            raise SheetError(source, f"the part {info.filename[:60]} would unpack {ratio:,.0f}:1 to {info.file_size:,} bytes "
                             "(a zip bomb, or a sheet full of padding)", _FIX + " (or export it as CSV)")
    if unpacked > max_unpacked:
        raise SheetError(source, f"the workbook would unpack to {unpacked:,} bytes of XML, over the limit of "
                         f"{max_unpacked:,}", "delete unused rows, columns and sheets, export it as CSV, or raise "
                         "DAIHUO_MAX_UNPACKED_BYTES")


def _end_of_directory(path: Path, *, source: str) -> tuple[int, int]:
    """(entries, directory bytes) from the zip's end record, read from the last 64 KB of the file."""
    with path.open("rb") as f:
        size = f.seek(0, 2)
        f.seek(max(0, size - 65_557))
        tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise SheetError(source, "the file is not a readable .xlsx workbook (no zip directory)", _FIX)
    _disk, _start, _here, entries, directory_bytes, _offset = struct.unpack("<HHHHII", tail[at + 4 : at + 20])
    return entries, directory_bytes  # a zip64 archive says 0xFFFF / 0xFFFFFFFF here: refused as too big


def refuse_dtds(archive: zipfile.ZipFile, *, source: str) -> None:
    """No XML part may declare a DTD: entities are how XML bombs expand, and Excel never writes one."""
    for info in archive.infolist():
        if not info.filename.lower().endswith((".xml", ".rels", ".vml")) or info.filename.startswith(NEVER_PARSED):
            continue
        parser = expat.ParserCreate()

        def doctype(*_args: Any, name: str = info.filename) -> None:
            raise SheetError(source, f"the part {name[:60]} declares XML entities (a DTD), which Excel never writes", _FIX)

        def root(*_args: Any) -> None:
            raise _RootReached

        parser.StartDoctypeDeclHandler = doctype
        parser.StartElementHandler = root
        try:
            with archive.open(info) as part:
                while chunk := part.read(1 << 16):
                    parser.Parse(chunk, False)
                parser.Parse(b"", True)
        except _RootReached:
            continue
        except expat.ExpatError as exc:
            raise SheetError(source, f"the part {info.filename[:60]} is not well-formed XML ({exc})", _FIX) from exc


class _RootReached(Exception):
    pass


# --------------------------------------------------------------------------------------------------
# One pass over the sheet XML
# --------------------------------------------------------------------------------------------------


@dataclass
class SheetScan:
    last_row: int = 0  # last row holding a value (or an uncalculated formula); -1: unknown (cells without r="")
    max_col: int = 0  # rightmost column holding a value, up to MAX_COLUMNS
    values_beyond: int = 0  # values right of MAX_COLUMNS (not read)
    merges: list[tuple[int, int, int, int, str]] = field(default_factory=list)  # col1, row1, col2, row2, "C2:C3"
    missing: dict[tuple[int, int], MissingValue] = field(default_factory=dict)  # (row, col) -> formula without value
    merged_rows: dict[str, list[int]] = field(default_factory=dict)

    def notes(self, source: str) -> list[str]:
        notes = [f"{source}: cells {ref} are merged; row{'s' if len(rows) > 1 else ''} "
                 f"{', '.join(map(str, rows[:10]))} took the value of the merged cell"
                 for ref, rows in self.merged_rows.items() if rows]
        if self.values_beyond:
            notes.append(f"{source}: only the first {MAX_COLUMNS} columns are read; {self.values_beyond:,} filled "
                         f"cell(s) right of column {MAX_COLUMNS} were ignored")
        return notes


_ROOT = re.compile(rb"<(?:([\w.-]+):)?worksheet\b")
_ROW_NUMBER = re.compile(rb"\br=\"(\d{1,7})\"")
_CELL_REF = re.compile(rb'\br="([A-Za-z]{1,3})(\d{1,7})"')
_CELL_TYPE = re.compile(rb'\bt="(\w+)"')


@dataclass(frozen=True)
class _Patterns:
    """The scan's regular expressions for one namespace prefix: none (<c>, as Excel writes) or e.g. "x:"
    (<x:c>, as the OpenXML SDK writes). A literal prefix keeps the regex engine fast."""

    marker: re.Pattern[bytes]
    cell_open: tuple[bytes, bytes]
    cell_close: bytes
    value: re.Pattern[bytes]
    formula: re.Pattern[bytes]
    merge: re.Pattern[bytes]
    rows_end: re.Pattern[bytes]
    row: bytes

    @classmethod
    def for_prefix(cls, prefix: bytes) -> _Patterns:
        p = re.escape(prefix)
        return cls(
            # What makes a cell worth a look: a value, an inline string or a formula. Formatting-only cells
            # (<c r="A5" s="1"/>) have none, so the regex engine passes a million of them without a Python step.
            marker=re.compile(rb"<" + p + rb"(?:v|is|f)\b"),
            cell_open=(b"<" + prefix + b"c ", b"<" + prefix + b"c>"),
            cell_close=b"</" + prefix + b"c>",
            value=re.compile(rb"<" + p + rb"v\b[^>]*>(.*?)</" + p + rb"v>|<" + p + rb"is\b", re.S),
            formula=re.compile(rb"<" + p + rb"f\b[^>]*?(?:/>|>(.*?)</" + p + rb"f>)", re.S),
            merge=re.compile(rb"<" + p + rb"mergeCell\b[^>]*?\bref=\"([^\"]{1,40})\""),
            rows_end=re.compile(rb"</" + p + rb"sheetData>"),
            row=b"<" + prefix + b"row",
        )


MAX_ROW_BYTES = 2_000_000  # XML of one row; a product row is a few KB, a row of a million empty cells is 15 MB
_CHUNK = 1 << 20


def scan_sheet(archive: zipfile.ZipFile, part: str, *, source: str) -> SheetScan:
    """One pass over the sheet XML with regular expressions over 1 MB chunks, each cut at a row start.

    Work in Python happens only per cell that holds a value or a formula, per merged range and per chunk,
    so a million formatted-but-empty rows cost well under a second. A row over MAX_ROW_BYTES is refused:
    openpyxl would build it whole in memory.
    """
    scan = SheetScan()
    if not part:
        return scan
    name = part.lstrip("/")
    buffer = b""
    in_rows = True
    patterns: _Patterns | None = None
    try:
        with archive.open(name) as xml:
            while True:
                chunk = xml.read(_CHUNK)
                buffer += chunk
                if patterns is None:
                    root = _ROOT.search(buffer)
                    if root is None and chunk and len(buffer) < MAX_ROW_BYTES:
                        continue
                    patterns = _Patterns.for_prefix(root.group(1) + b":" if root and root.group(1) else b"")
                was_in_rows = in_rows
                if in_rows and patterns.rows_end.search(buffer):
                    in_rows = False
                cut = (max(buffer.rfind(patterns.row), 0) if in_rows else max(buffer.rfind(b"<"), 0)) if chunk else len(buffer)
                _scan_cells(scan, buffer[:cut], patterns, merges=not (was_in_rows and in_rows))
                buffer = buffer[cut:]
                if not chunk:
                    return scan
                if len(buffer) > MAX_ROW_BYTES:
                    number = _ROW_NUMBER.search(buffer[:300])
                    row = f"row {int(number.group(1)):,}" if number else "a row"
                    raise SheetError(source, f"{row} of the worksheet is over {MAX_ROW_BYTES // 1_000_000} MB of XML "
                                     "(a product row is a few KB)", _FIX)
    except KeyError as exc:
        raise SheetError(source, f"the worksheet part {name[:60]} is missing", _FIX) from exc


def _scan_cells(scan: SheetScan, text: bytes, patterns: _Patterns, *, merges: bool) -> None:
    done = -1  # start of the last cell looked at (a cell has up to two markers: <f> and <v>)
    for marker in patterns.marker.finditer(text):
        at = marker.start()
        spaced = text.rfind(patterns.cell_open[0], 0, at)  # <c r="A1" …>, the usual form
        bare = text.rfind(patterns.cell_open[1], max(spaced, at - 100_000, 0), at)  # <c>, searched only nearby
        start = max(spaced, bare)
        end = text.find(patterns.cell_close, at, at + MAX_ROW_BYTES)
        if start < 0 or end < 0 or start == done:
            continue
        done = start
        tag_end = text.find(b">", start)
        _scan_cell(scan, text[start:tag_end], text[tag_end + 1 : end], patterns)
    if merges:  # <mergeCells> comes after <sheetData>: the rows need not be searched for it
        for match in patterns.merge.finditer(text):
            _add_merge(scan, match.group(1).decode("ascii", "replace"))


def _scan_cell(scan: SheetScan, attrs: bytes, inner: bytes, patterns: _Patterns) -> None:
    value = patterns.value.search(inner)
    formula = patterns.formula.search(inner)
    typed = _CELL_TYPE.search(attrs)
    has_value = bool(value) and (value.group(1) is None or bool(value.group(1).strip())
                                 or bool(typed and typed.group(1) == b"str"))  # a text formula may give ""
    if not has_value and formula is None:
        return
    ref = _CELL_REF.search(attrs)
    if ref is None:  # cells without positions: leave the row range to openpyxl (empty runs still stop it)
        scan.last_row = -1
        return
    col, row = _column_number(ref.group(1).decode()), int(ref.group(2))
    if col > MAX_COLUMNS:
        scan.values_beyond += 1
        return
    if scan.last_row >= 0:
        scan.last_row = max(scan.last_row, row)
    scan.max_col = max(scan.max_col, col)
    if formula is not None and not has_value:
        text_of = (formula.group(1) or b"").decode("utf-8", "replace")[:200]
        scan.missing[(row, col)] = MissingValue(ref.group(0)[3:-1].decode(), text_of or "…(a shared formula)")


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def _add_merge(scan: SheetScan, ref: str) -> None:
    corners = [_REF.fullmatch(part) for part in ref.split(":")]
    if len(corners) != 2 or not all(corners):
        return
    (c1, r1), (c2, r2) = ((_column_number(m.group(1)), int(m.group(2))) for m in corners if m)
    if r2 > r1 and len(scan.merges) < 10_000:  # only merges down rows matter: across columns is one cell
        scan.merges.append((c1, r1, c2, r2, ref.upper()))
        scan.merged_rows[ref.upper()] = []


def with_merges_and_formulas(rows: Iterable[Sequence[Any]], scan: SheetScan) -> Iterator[list[Any]]:
    """Rows with each vertical merge's value copied down its first column, and formulas that have no
    calculated value replaced by MissingValue markers."""
    merges_by_top: dict[int, list[tuple[int, int, int, int, str]]] = {}
    for merge in scan.merges:
        merges_by_top.setdefault(merge[1], []).append(merge)
    missing_by_row: dict[int, list[tuple[int, MissingValue]]] = {}
    for (row, col), marker in scan.missing.items():
        missing_by_row.setdefault(row, []).append((col, marker))
    active: list[tuple[int, int, Any, str]] = []  # (column, last row, value, ref)
    for number, raw in enumerate(rows, start=1):
        cells = list(raw)
        for c1, _r1, _c2, r2, ref in merges_by_top.get(number, []):
            if c1 <= len(cells) and cells[c1 - 1] is not None:
                active.append((c1, r2, cells[c1 - 1], ref))
        active = [m for m in active if m[1] >= number]
        for column, _last, value, ref in active:
            if column <= len(cells) and cells[column - 1] is None and number > _top(ref):
                cells[column - 1] = value
                scan.merged_rows[ref].append(number)
        for col, marker in missing_by_row.get(number, ()):
            if col <= len(cells) and cells[col - 1] is None:
                cells[col - 1] = marker
        yield cells


def _top(ref: str) -> int:
    match = _REF.fullmatch(ref.split(":")[0])
    return int(match.group(2)) if match else 0
