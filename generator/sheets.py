"""Product sheets in: XLSX, CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16), JSON and YAML.

Three steps, only the outer two touch the world:

1. read the file into a `Table` (header names + cells keyed by header, each with the row number the
   merchant sees in a spreadsheet: the header is row 1);
2. `parse_table` (pure): map Chinese/English column aliases, clean and validate every row into a
   `Product` or `RowError`s; image references are kept as written;
3. `attach_images`: resolve image paths inside the sheet's folder, fetch URLs (generator.fetch), verify
   each image with Pillow; a bad image is a warning and is dropped, never a crash.

A missing required column (sku, title) is a sheet-level failure (`SheetError`); everything else is per
row, and every good row is still returned.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import re
import tempfile
import unicodedata
import warnings as pywarnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import ValidationError

from generator.errors import DaihuoError
from generator.fetch import AllowPrivate, FetchError, ImageProblem, check_image, fetch_image
from generator.models import Language, Product, RowError, SheetResult
from generator.settings import Settings, get_settings

# ---------------------------------------------------------------------------------------------------
# Columns
# ---------------------------------------------------------------------------------------------------

# Canonical field -> accepted column names (matched after `header_key`: width, case, spaces, "*" and a
# bracketed unit such as "（元）" do not matter).
ALIASES: dict[str, tuple[str, ...]] = {
    "sku": ("商品编码", "商品编号", "货号", "编码", "sku", "sku_id", "item_code", "product_id"),
    "title": ("商品名称", "名称", "品名", "商品标题", "标题", "title", "name", "product_name"),
    "brand": ("品牌", "brand"),
    "category": ("类目", "品类", "分类", "category"),
    "price": ("原价", "划线价", "价格", "price", "list_price", "original_price"),
    "sale_price": ("到手价", "售价", "现价", "活动价", "sale_price", "final_price"),
    "selling_points": ("卖点", "核心卖点", "商品卖点", "selling_points", "features"),
    "specs": ("规格参数", "规格", "参数", "specs", "specifications"),
    "audience": ("适用人群", "人群", "目标人群", "audience"),
    "scenes": ("使用场景", "场景", "scenes", "scene"),
    "offer": ("优惠信息", "优惠", "促销", "offer", "promotion"),
    "images": ("主图", "图片", "商品图片", "images", "image", "pictures"),
    "language": ("语言", "language", "lang"),
}
REQUIRED: tuple[str, ...] = ("sku", "title")

# Language column values -> code (matched case-insensitively after NFKC).
LANGUAGE_NAMES: dict[str, str] = {
    "zh": "zh", "zh-cn": "zh", "zh_cn": "zh", "zh-hans": "zh", "cn": "zh", "chinese": "zh",
    "中文": "zh", "汉语": "zh", "简体中文": "zh", "普通话": "zh",
    "en": "en", "en-us": "en", "en-gb": "en", "english": "en", "英文": "en", "英语": "en",
    "id": "id", "indonesian": "id", "bahasa indonesia": "id", "印尼语": "id",
    "ms": "ms", "malay": "ms", "bahasa melayu": "ms", "马来语": "ms",
    "th": "th", "thai": "th", "泰语": "th",
    "vi": "vi", "vietnamese": "vi", "越南语": "vi",
}
LANGUAGES: tuple[str, ...] = get_args(Language)

# Separators. Selling points and scenes are sentences that may contain commas, so commas do not split them.
LIST_SEPARATORS = re.compile(r"[;；、\r\n]+")
SPEC_SEPARATORS = re.compile(r"[;；、,，\r\n]+")
IMAGE_SEPARATORS = re.compile(r"[;；,，、\r\n]+")
SPEC_COLON = re.compile(r"[:：=]")

# Limits that are not settings: they guard memory and file names, not taste.
MAX_SHEET_BYTES = 50_000_000
MAX_SKU_CHARS = 64
MAX_IMAGES_PER_PRODUCT = 12
SHEET_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".tsv", ".txt", ".json", ".yaml", ".yml")

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
_SKU_FORBIDDEN = re.compile(r"[\\/:*?\"<>|\x00-\x1f\x7f]")


class SheetError(DaihuoError, ValueError):
    """The sheet as a whole cannot be read (wrong format, no header, a required column missing)."""

    def __init__(self, file: str, problem: str, fix: str) -> None:
        self.file = file
        super().__init__(problem, fix)

    @property
    def message(self) -> str:
        return f"{self.file}: {self.problem} — {self.fix}"


def header_key(name: str) -> str:
    """Column name as compared: NFKC, no bracketed unit, no spaces/underscores/dashes/stars, casefolded."""
    text = unicodedata.normalize("NFKC", name)
    text = re.sub(r"\(.*?\)|\[.*?\]|【.*?】", "", text)
    return re.sub(r"[\s_\-*.:/]+", "", text).casefold()


_ALIAS_INDEX: dict[str, str] = {header_key(a): f for f, names in ALIASES.items() for a in names}


@dataclass(frozen=True)
class Columns:
    """The column names a kind of sheet knows (header_key(alias) -> field) and the fields its header row must
    name; product sheets by default, `daihuo learn` passes the analytics export's."""

    index: dict[str, str]
    required: tuple[str, ...]


PRODUCT_COLUMNS = Columns(_ALIAS_INDEX, REQUIRED)


def accepted_names(field_name: str) -> str:
    return " / ".join(ALIASES[field_name])


# ---------------------------------------------------------------------------------------------------
# Tables: what every reader produces
# ---------------------------------------------------------------------------------------------------


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
    overflow_row: int | None = None  # first data row past settings.max_rows (not read)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not clean_text(value)
    if isinstance(value, (list, tuple, dict)):
        return all(_is_empty(v) for v in (value.values() if isinstance(value, dict) else value))
    return False


HEADER_SEARCH_ROWS = 10


def _non_empty_rows(grid: Iterable[Sequence[Any]]) -> Iterator[tuple[int, list[Any]]]:
    for number, raw in enumerate(grid, start=1):
        cells = list(raw)
        if not all(_is_empty(c) for c in cells):  # empty rows are skipped silently, and do not count
            yield number, cells


def _is_header(cells: Sequence[Any], columns: Columns = PRODUCT_COLUMNS) -> bool:
    names = {columns.index.get(header_key(clean_text(c))) for c in cells if isinstance(c, str)}
    return all(f in names for f in columns.required)


def _table_from_grid(source: str, grid: Iterable[Sequence[Any]], *, max_rows: int,
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
        if any(not _is_empty(c) for c in cells[len(headers) :]):
            # Typically a hand-written CSV with an unquoted comma inside a cell: the columns shift.
            notes.append(f"{source}: row {number} has more cells than the header; the extra cells are ignored "
                         "(a comma inside a cell must be quoted — export the CSV from Excel/WPS)")
        padded = cells + [None] * (len(headers) - len(cells))
        rows.append(RawRow(number, dict(zip(headers, padded, strict=False))))
    return Table(source=source, headers=headers, rows=rows, overflow_row=overflow, warnings=notes)


def _unique_headers(cells: Sequence[Any]) -> list[str]:
    headers: list[str] = []
    for i, cell in enumerate(cells, start=1):
        name = clean_text(cell) if not _is_empty(cell) else f"(column {i})"
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
        if _is_empty(item):
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


# ---------------------------------------------------------------------------------------------------
# Readers (I/O edge)
# ---------------------------------------------------------------------------------------------------


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
        return _table_from_grid(source, grid, max_rows=max_rows, columns=columns)
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
        table = _table_from_grid(source, sheet.iter_rows(min_row=1, values_only=True), max_rows=max_rows,
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


# ---------------------------------------------------------------------------------------------------
# Cleaning values (pure)
# ---------------------------------------------------------------------------------------------------


class CellProblem(ValueError):
    def __init__(self, problem: str, fix: str) -> None:
        self.problem, self.fix = problem, fix
        super().__init__(problem)


def clean_text(value: Any) -> str:
    """One cell as text: NFC, full-width/odd spaces to one space, no zero-width characters, trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, (date, time)):
        text = value.isoformat()
    else:
        text = str(value)
    text = unicodedata.normalize("NFC", _INVISIBLE.sub("", text))
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(line for line in lines if line)


def _scalar_text(value: Any) -> str:
    if isinstance(value, (list, tuple, dict)):
        raise CellProblem("is a list/object where text was expected", "write it as plain text")
    return clean_text(value)


def _text_list(value: Any, separators: re.Pattern[str]) -> list[str]:
    if isinstance(value, dict):
        raise CellProblem("is an object where a list was expected", "write a list, or text separated by ；")
    items = value if isinstance(value, (list, tuple)) else separators.split(clean_text(value))
    out: list[str] = []
    for item in items:
        if isinstance(item, (list, tuple, dict)):
            # Also stops YAML alias tricks that would expand nested lists into huge strings.
            raise CellProblem("contains a nested list/object", "write a flat list of texts")
        text = clean_text(item)
        if text and text not in out:
            out.append(text)
    return out


def parse_price(value: Any) -> float | None:
    """'¥129', '129元', '1,299.00', '１２９', 129 -> float; empty -> None; anything else -> CellProblem."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (bool, list, tuple, dict)):
        raise CellProblem(f"{value!r} is not a number", "write the price in yuan, e.g. 129 or 129.90")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()  # full-width digits, ￥ -> ¥
        bare = re.sub(r"(?i)^(?:¥|\$|rmb|cny)\s*|\s*(?:元|块|rmb|cny)$", "", text).strip().replace(" ", "")
        if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", bare):
            bare = bare.replace(",", "")
        if not re.fullmatch(r"-?\d+(\.\d+)?|-?\.\d+", bare):
            raise CellProblem(f"'{clean_text(value)}' is not a number", "write the price in yuan, e.g. 129 or 129.90 (¥ and 元 are fine)")
        number = float(bare)
    if not math.isfinite(number):
        raise CellProblem(f"'{value}' is not a number", "write the price in yuan, e.g. 129")
    if number < 0:
        raise CellProblem(f"the price {clean_text(value)} is negative", "write the price as a positive number")
    return round(number, 2)


def parse_specs(value: Any) -> tuple[dict[str, str], list[str]]:
    """'容量:500ml；材质：304不锈钢' or a mapping -> ({key: value}, notes about parts without a key)."""
    if isinstance(value, dict):
        specs: dict[str, str] = {}
        for k, v in value.items():
            key, text = _scalar_text(k), _scalar_text(v)
            if key and text:
                specs[key] = text
        return specs, []
    if isinstance(value, (list, tuple)):
        parts = [_scalar_text(v) for v in value]
    else:
        parts = SPEC_SEPARATORS.split(clean_text(value))
    # A part without a colon continues the previous value ("尺寸:10,20cm" split on the comma).
    merged: list[str] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if SPEC_COLON.search(part) or not merged:
            merged.append(part)
        else:
            merged[-1] = f"{merged[-1]},{part}"
    specs, notes = {}, []
    for part in merged:
        pieces = SPEC_COLON.split(part, maxsplit=1)
        if len(pieces) == 2 and pieces[0].strip() and pieces[1].strip():
            specs[pieces[0].strip()] = pieces[1].strip()
        else:
            notes.append(f"'{part}' is not a key:value pair and was left out (write e.g. 容量:500ml)")
    return specs, notes


def parse_language(value: Any, title: str) -> str:
    text = unicodedata.normalize("NFKC", clean_text(value)).casefold()
    if not text:
        return "zh" if _CJK.search(title) else "en"
    code = LANGUAGE_NAMES.get(text)
    if code is None:
        raise CellProblem(
            f"'{clean_text(value)}' is not a supported language",
            f"use one of {', '.join(LANGUAGES)} (中文 and English are accepted too), or leave it empty",
        )
    return code


def parse_sku(value: Any) -> str:
    sku = _scalar_text(value)
    if len(sku) > MAX_SKU_CHARS:
        raise CellProblem(f"the SKU is {len(sku)} characters, over {MAX_SKU_CHARS}", "use a shorter product code")
    if _SKU_FORBIDDEN.search(sku) or sku in (".", "..") or "\n" in sku:
        raise CellProblem(
            f"the SKU '{sku}' contains characters that cannot be part of a folder name (\\ / : * ? \" < > |)",
            "use letters, digits, - and _ in product codes",
        )
    return sku


def _length(value: Any) -> int:
    if isinstance(value, dict):
        return sum(len(clean_text(k)) + len(clean_text(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return sum(len(clean_text(v)) for v in value)
    return len(clean_text(value))


# ---------------------------------------------------------------------------------------------------
# Table -> products (pure)
# ---------------------------------------------------------------------------------------------------


def map_columns(table: Table) -> tuple[dict[str, str], list[str]]:
    """Every recognised header -> canonical field, plus warnings; raise SheetError when sku or title has
    no column. (JSON items may each use a different alias, so all aliases are kept; `fields_of` picks.)"""
    mapping: dict[str, str] = {}
    notes: list[str] = []
    used: dict[str, str] = {}
    for header in table.headers:
        name = _ALIAS_INDEX.get(header_key(re.sub(r"#\d+$", "", header)))
        if name is None:
            if not header.startswith("(column ") or any(not _is_empty(r.cells.get(header)) for r in table.rows):
                notes.append(f"{table.source}: column '{header}' is not used (not a known column name)")
            continue
        mapping[header] = name
        if name not in used:
            used[name] = header
        elif not table.items:
            notes.append(f"{table.source}: columns '{used[name]}' and '{header}' both mean {name}; using '{used[name]}'")
    missing = [f for f in REQUIRED if f not in used]
    if missing and (table.rows or not table.items):
        found = ", ".join(h for h in table.headers if not h.startswith("(column ")) or "(none)"
        wanted = "; ".join(f"{f}: {accepted_names(f)}" for f in missing)
        raise SheetError(
            table.source,
            f"required column(s) missing: {', '.join(missing)} (columns found: {found})",
            f"add a column named {wanted}",
        )
    return mapping, notes


def fields_of(headers: Iterable[str], mapping: dict[str, str]) -> dict[str, str]:
    """Canonical field -> the first of HEADERS that names it."""
    header_of: dict[str, str] = {}
    for header in headers:
        name = mapping.get(header)
        if name is not None and name not in header_of:
            header_of[name] = header
    return header_of


def parse_table(table: Table, *, settings: Settings | None = None) -> SheetResult:
    """Validate every row of TABLE; good rows become Products whose `images` are still as written."""
    settings = settings or get_settings()
    mapping, notes = map_columns(table)
    sheet_fields = fields_of(table.headers, mapping)
    result = SheetResult(errors=list(table.errors), warnings=[*table.warnings, *notes])
    if table.overflow_row is not None:
        unit = "items" if table.items else "product rows"
        result.errors.append(
            RowError(
                file=table.source, row=table.overflow_row, field="(rows)",
                problem=f"the sheet has more than {settings.max_rows} {unit}; "
                f"{'item' if table.items else 'row'} {table.overflow_row} and after were not read",
                fix="split it into sheets of at most that many products, or raise DAIHUO_MAX_ROWS",
            )
        )
    seen: dict[str, int] = {}
    for raw in table.rows:
        header_of = fields_of(raw.cells, mapping) if table.items else sheet_fields
        product, errors = parse_row(raw, header_of, table=table, settings=settings, seen=seen)
        result.errors.extend(errors)
        if product is not None:
            result.products.append(product)
            result.warnings.extend(product.warnings)
    if not table.rows and not result.errors:
        result.warnings.append(f"{table.source}: the sheet has no product rows")
    result.errors.sort(key=lambda e: e.row)
    return result


def parse_row(
    raw: RawRow, header_of: dict[str, str], *, table: Table, settings: Settings, seen: dict[str, int]
) -> tuple[Product | None, list[RowError]]:
    """One row -> a Product, or the RowErrors that keep it out (all of them, so one edit fixes the row)."""
    errors: list[RowError] = []
    where = f"item {raw.number} of the list: " if table.items else ""
    label = "item" if table.items else "row"

    def fail(name: str, problem: str, fix: str) -> None:
        errors.append(RowError(file=table.source, row=raw.number, field=header_of.get(name, name), problem=where + problem, fix=fix))

    def cell(name: str) -> Any:
        header = header_of.get(name)
        return raw.cells.get(header) if header else None

    for name, header in header_of.items():
        length = _length(raw.cells.get(header))
        if length > settings.max_field_chars:
            fail(name, f"the text is {length:,} characters, over the limit of {settings.max_field_chars:,}",
                 "shorten it (or raise DAIHUO_MAX_FIELD_CHARS)")
    if errors:
        return None, errors

    values: dict[str, Any] = {}
    row_notes: list[str] = []

    def take(name: str, parse: Any) -> None:
        try:
            values[name] = parse(cell(name))
        except CellProblem as exc:
            fail(name, exc.problem, exc.fix)

    take("sku", parse_sku)
    take("title", _scalar_text)
    for name in ("brand", "category", "audience", "offer"):
        take(name, _scalar_text)
    take("price", parse_price)
    take("sale_price", parse_price)
    take("selling_points", lambda v: _text_list(v, LIST_SEPARATORS))
    take("scenes", lambda v: _text_list(v, LIST_SEPARATORS))
    take("images", lambda v: _text_list(v, IMAGE_SEPARATORS))
    try:
        specs, spec_notes = parse_specs(cell("specs"))
        values["specs"] = specs
        row_notes.extend(f"{table.source} {label} {raw.number}, {header_of.get('specs', 'specs')}: {n}" for n in spec_notes)
    except CellProblem as exc:
        fail("specs", exc.problem, exc.fix)

    sku, title = values.get("sku"), values.get("title")
    if sku == "":
        fail("sku", "the product code (SKU) is empty", f"fill in a unique code in the {header_of.get('sku', 'sku')} column")
    if title == "":
        fail("title", "the product name is empty", f"fill in the {header_of.get('title', 'title')} column")
    if sku:
        key = unicodedata.normalize("NFKC", sku).casefold()  # "ＡＢ-1" and "ab-1" would share an output folder
        if key in seen:
            fail("sku", f"the SKU '{sku}' is already used on {label} {seen[key]}",
                 "give every product its own SKU, or delete the repeated row")
        else:
            seen[key] = raw.number
    price, sale = values.get("price"), values.get("sale_price")
    if price is not None and sale is not None and sale > price:
        fail("sale_price", f"the sale price {sale:g} is higher than the original price {price:g}",
             f"check the two columns: {header_of.get('price', 'price')} is the list price, "
             f"{header_of.get('sale_price', 'sale_price')} the price after discounts (swap them if reversed)")
    try:
        values["language"] = parse_language(cell("language"), title or "")
    except CellProblem as exc:
        fail("language", exc.problem, exc.fix)
    images = values.get("images") or []
    if len(images) > MAX_IMAGES_PER_PRODUCT:
        row_notes.append(f"{table.source} {label} {raw.number}: {len(images)} images listed; only the first {MAX_IMAGES_PER_PRODUCT} are used")
        values["images"] = images[:MAX_IMAGES_PER_PRODUCT]
    if errors:
        return None, errors
    try:
        return Product(**values, source=table.source, row=raw.number, warnings=row_notes), []
    except ValidationError as exc:  # the checks above should make this unreachable; never crash a sheet on it
        fail("(row)", f"the row could not be read ({exc.errors()[0].get('msg', exc)})", "check the values in this row")
        return None, errors


# ---------------------------------------------------------------------------------------------------
# Images (I/O edge)
# ---------------------------------------------------------------------------------------------------

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]|^\\\\")


@dataclass
class ImageResolver:
    """Turns image references into verified absolute paths; remembers answers so a shared image is checked once."""

    base_dir: Path
    settings: Settings
    image_cache: Path | None = None
    allow_private: AllowPrivate = False  # tests only: lets fetch reach a 127.0.0.1 server
    _memo: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)

    def resolve(self, ref: str) -> tuple[str | None, str | None]:
        """(absolute path, None) or (None, why it was dropped)."""
        if ref not in self._memo:
            try:
                self._memo[ref] = (str(self._resolve(ref)), None)
            except ImageProblem as exc:
                self._memo[ref] = (None, str(exc))
            except FetchError as exc:
                self._memo[ref] = (None, f"could not be fetched: {exc}")
        return self._memo[ref]

    def _resolve(self, ref: str) -> Path:
        if ref.lower().startswith(("http://", "https://")):
            return fetch_image(ref, self._cache(), settings=self.settings, allow_private=self.allow_private)
        if _WINDOWS_ABSOLUTE.match(ref):
            raise ImageProblem("is an absolute Windows path; copy the image next to the sheet and write its file name")
        if _URL.match(ref) and not ref.startswith(("./", "../")):
            scheme = ref.split(":", 1)[0]
            raise ImageProblem(f"uses '{scheme}:', but only http(s) links and files next to the sheet are read")
        base = self.base_dir.resolve()
        candidate = Path(ref.replace("\\", "/"))
        # resolve() follows symlinks, so a link inside the folder that points outside it is caught here too.
        target = (candidate if candidate.is_absolute() else base / candidate).resolve()
        if not target.is_relative_to(base):
            raise ImageProblem("points outside the sheet's folder; put the image in the sheet's folder (or below it)")
        if not target.is_file():
            raise ImageProblem("was not found in the sheet's folder; check the file name (it is case-sensitive)")
        size = target.stat().st_size
        if size > self.settings.max_image_bytes:
            raise ImageProblem(f"is {size:,} bytes, over the limit of {self.settings.max_image_bytes:,}; "
                               "save it smaller (or raise DAIHUO_MAX_IMAGE_BYTES)")
        check_image(target, max_pixels=self.settings.max_image_pixels)
        return target

    def _cache(self) -> Path:
        if self.image_cache is None:
            self.image_cache = Path(tempfile.mkdtemp(prefix="daihuo-images-"))
        return self.image_cache


def attach_images(result: SheetResult, resolver: ImageResolver, *, items: bool = False) -> SheetResult:
    """Replace each product's image references by verified absolute paths; failures become warnings."""
    products: list[Product] = []
    warnings = list(result.warnings)
    for product in result.products:
        paths: list[str] = []
        notes = list(product.warnings)
        for ref in product.images:
            path, why = resolver.resolve(ref)
            if path is None:
                note = f"{product.source} {'item' if items else 'row'} {product.row}: image '{ref}' {why}; it is left out (a generated card is shown instead)"
                notes.append(note)
                warnings.append(note)
            elif path not in paths:
                paths.append(path)
        products.append(product.model_copy(update={"images": paths, "warnings": notes}))
    return result.model_copy(update={"products": products, "warnings": warnings})


# ---------------------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------------------


def read_sheet(path: Path, *, image_cache: Path | None = None, settings: Settings | None = None, allow_private: AllowPrivate = False) -> SheetResult:
    """Read a product sheet file. Raises SheetError when the file as a whole is unusable; bad rows are
    RowErrors in the result and the other rows are still returned. allow_private is for tests only."""
    settings = settings or get_settings()
    path = Path(path)
    table = read_table(path, max_rows=settings.max_rows)
    result = parse_table(table, settings=settings)
    resolver = ImageResolver(path.parent, settings, image_cache, allow_private)
    return attach_images(result, resolver, items=table.items)


def read_products_json(
    data: list[dict[str, Any]] | dict[str, Any],
    *,
    base_dir: Path,
    source: str = "<json>",
    image_cache: Path | None = None,
    settings: Settings | None = None,
    allow_private: AllowPrivate = False,
) -> SheetResult:
    """Products from an already-parsed JSON body (the HTTP API); image paths are relative to BASE_DIR."""
    settings = settings or get_settings()
    table = table_from_records(data, source=source, max_rows=settings.max_rows)
    result = parse_table(table, settings=settings)
    return attach_images(result, ImageResolver(Path(base_dir), settings, image_cache, allow_private), items=True)

