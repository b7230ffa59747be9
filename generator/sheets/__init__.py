"""Product sheets in: XLSX, CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16), JSON and YAML.

Three steps, only the outer two touch the world:

1. `readers`: read the file into a `Table` (header names + cells keyed by header, each with the row number
   the merchant sees in a spreadsheet: the header is row 1);
2. `rows.parse_table` (pure): map Chinese/English column aliases (`columns`), clean (`cells`) and validate
   every row into a `Product` or `RowError`s; image references are kept as written;
3. `images.attach_images`: resolve image paths inside the sheet's folder, fetch URLs (`fetch`), verify each
   image; a bad image is a warning and is dropped, never a crash.

A missing title column is a sheet-level failure (`SheetError`); without a SKU column each row gets a code
derived from its content (`identity`). Everything else is per row, and every good row is still returned.
Every reader is bounded in time and memory before it parses (docs/security.md, "Sheets and images").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.models import SheetResult
from generator.settings import SheetLimits
from generator.sheets.cells import CellProblem, clean_text, parse_price, parse_specs
from generator.sheets.columns import ALIASES, PRODUCT_COLUMNS, SHEET_SUFFIXES, Columns, SheetError, header_key
from generator.sheets.fetch import AllowPrivate
from generator.sheets.images import ImageResolver, attach_images
from generator.sheets.readers import read_table
from generator.sheets.rows import fields_of, map_columns, parse_table
from generator.sheets.table import Table, table_from_records

__all__ = [
    "ALIASES", "PRODUCT_COLUMNS", "SHEET_SUFFIXES", "CellProblem", "Columns", "SheetError", "SheetLimits", "Table",
    "clean_text", "fields_of", "header_key", "map_columns", "parse_price", "parse_specs", "parse_table", "read_products_json", "read_sheet",
    "read_table",
]


def read_sheet(path: Path, *, image_cache: Path | None = None, limits: SheetLimits | None = None,
               allow_private: AllowPrivate = False) -> SheetResult:
    """Read a product sheet file. Raises SheetError when the file as a whole is unusable; bad rows are
    RowErrors in the result and the other rows are still returned. allow_private is for tests only."""
    limits = limits or SheetLimits()
    path = Path(path)
    table = read_table(path, max_rows=limits.max_rows, limits=limits)
    result = parse_table(table, limits=limits)
    resolver = ImageResolver(path.parent, limits, image_cache, allow_private)
    return single_lines(attach_images(result, resolver, items=table.items))


def read_products_json(
    data: list[dict[str, Any]] | dict[str, Any],
    *,
    base_dir: Path,
    source: str = "<json>",
    image_cache: Path | None = None,
    limits: SheetLimits | None = None,
    allow_private: AllowPrivate = False,
) -> SheetResult:
    """Products from an already-parsed JSON body (the HTTP API); image paths are relative to BASE_DIR."""
    limits = limits or SheetLimits()
    table = table_from_records(data, source=source, max_rows=limits.max_rows)
    result = parse_table(table, limits=limits)
    return single_lines(attach_images(result, ImageResolver(Path(base_dir), limits, image_cache, allow_private), items=True))


def single_lines(result: SheetResult) -> SheetResult:
    """Every RowError and warning is one line: a cell's line breaks show as ↵ where a message quotes it."""
    def flat(text: str) -> str:
        return text.replace("\r\n", "↵").replace("\n", "↵").replace("\r", "↵")

    errors = [e.model_copy(update={"problem": flat(e.problem), "fix": flat(e.fix), "field": flat(e.field)})
              for e in result.errors]
    products = [p.model_copy(update={"warnings": [flat(w) for w in p.warnings]}) for p in result.products]
    return result.model_copy(update={"products": products, "errors": errors, "warnings": [flat(w) for w in result.warnings]})
