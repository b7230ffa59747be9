"""Table → products (pure): map the columns, validate every row into a Product or RowErrors."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from generator.models import Product, RowError, SheetResult
from generator.settings import SheetLimits
from generator.sheets.cells import (
    CellProblem,
    display_width,
    nested_length,
    one_line_text,
    parse_currency,
    parse_language,
    parse_money,
    parse_sku,
    parse_specs,
    shorten_title,
    text_list,
)
from generator.sheets.columns import (
    ALIAS_INDEX,
    IMAGE_SEPARATORS,
    LIST_SEPARATORS,
    MAX_IMAGES_PER_PRODUCT,
    MAX_TITLE_WIDTH,
    REQUIRED,
    SheetError,
    accepted_names,
    header_key,
)
from generator.sheets.identity import assign_derived_skus
from generator.sheets.table import MissingValue, RawRow, Table, is_empty

UNUSED_NAMED = 6  # unknown columns named in the one warning about them


def map_columns(table: Table) -> tuple[dict[str, str], list[str]]:
    """Every recognised header -> canonical field, plus warnings; raise SheetError when sku or title has
    no column. (JSON items may each use a different alias, so all aliases are kept; `fields_of` picks.)"""
    mapping: dict[str, str] = {}
    notes: list[str] = []
    used: dict[str, str] = {}
    unused: list[str] = []
    for header in table.headers:
        name = ALIAS_INDEX.get(header_key(re.sub(r"#\d+$", "", header)))
        if name is None:
            if not header.startswith("(column ") or any(not is_empty(r.cells.get(header)) for r in table.rows):
                unused.append(header)
            continue
        mapping[header] = name
        if name not in used:
            used[name] = header
        elif not table.items:
            notes.append(f"{table.source}: columns '{used[name]}' and '{header}' both mean {name}; using '{used[name]}'")
    if unused:
        named = ", ".join(f"'{h[:40]}'" for h in unused[:UNUSED_NAMED])
        more = f" and {len(unused) - UNUSED_NAMED:,} more" if len(unused) > UNUSED_NAMED else ""
        notes.append(f"{table.source}: columns {named}{more} are not used (not known column names)" if len(unused) > 1
                     else f"{table.source}: column {named} is not used (not a known column name)")
    missing = [f for f in REQUIRED if f not in used]
    if missing and (table.rows or not table.items):
        found = ", ".join(h for h in table.headers if not h.startswith("(column ")) or "(none)"
        wanted = "; ".join(f"{f}: {accepted_names(f)}" for f in missing)
        also = "" if "sku" in used else f" (and best a product-code column too, sku: {accepted_names('sku')})"
        raise SheetError(
            table.source,
            f"required column(s) missing: {', '.join(missing)} (columns found: {found[:300]})",
            f"add a column named {wanted}{also}",
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


def parse_table(table: Table, *, limits: SheetLimits | None = None) -> SheetResult:
    """Validate every row of TABLE; good rows become Products whose `images` are still as written."""
    limits = limits or SheetLimits()
    mapping, notes = map_columns(table)
    sheet_fields = fields_of(table.headers, mapping)
    result = SheetResult(errors=list(table.errors), warnings=[*table.warnings, *notes])
    if table.overflow_row is not None:
        unit = "items" if table.items else "product rows"
        result.errors.append(
            RowError(
                file=table.source, row=table.overflow_row, field="(rows)",
                problem=f"the sheet has more than {limits.max_rows} {unit}; "
                f"{'item' if table.items else 'row'} {table.overflow_row} and after were not read",
                fix="split it into sheets of at most that many products, or raise DAIHUO_MAX_ROWS",
            )
        )
    seen: dict[str, int] = {}
    derive = "sku" not in mapping.values()
    for raw in table.rows:
        header_of = fields_of(raw.cells, mapping) if table.items else sheet_fields
        product, errors = parse_row(raw, header_of, table=table, limits=limits, seen=seen, derive_sku=derive)
        result.errors.extend(errors)
        if product is not None:
            result.products.append(product)
            result.warnings.extend(product.warnings)
    if derive:
        result.products, repeats, notes = assign_derived_skus(result.products, source=table.source, items=table.items)
        result.errors.extend(repeats)
        result.warnings.extend(notes)
    if not table.rows and not result.errors:
        result.warnings.append(f"{table.source}: the sheet has no product rows")
    result.errors.sort(key=lambda e: e.row)
    return result


def parse_row(
    raw: RawRow, header_of: dict[str, str], *, table: Table, limits: SheetLimits, seen: dict[str, int],
    derive_sku: bool = False,
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
        value = raw.cells.get(header)
        if isinstance(value, MissingValue):
            fail(name, f"cell {value.ref} holds the formula ={value.formula[:60]} but no calculated value "
                 "(the file was saved by a program that does not calculate formulas)",
                 "open the file in Excel or WPS and save it again (that stores the results), or type the value")
            continue
        length = nested_length(value)
        if length > limits.max_field_chars:
            swallowed = isinstance(value, str) and value.count("\n") > 20
            fail(name, f"the text is {length:,} characters, over the limit of {limits.max_field_chars:,}",
                 "shorten it (or raise DAIHUO_MAX_FIELD_CHARS)"
                 + ("; a quote (\") that is never closed makes the rows after it one cell" if swallowed else ""))
    if errors:
        return None, errors

    values: dict[str, Any] = {}
    row_notes: list[str] = []

    def take(name: str, parse: Any) -> None:
        try:
            values[name] = parse(cell(name))
        except CellProblem as exc:
            fail(name, exc.problem, exc.fix)

    if derive_sku:
        values["sku"] = ""  # assigned from the row's content once every row is read (identity.py)
    else:
        take("sku", parse_sku)
    take("title", one_line_text)
    for name in ("brand", "category", "audience", "offer"):
        take(name, one_line_text)
    take("price", parse_money)
    take("sale_price", parse_money)
    take("currency", parse_currency)
    take("selling_points", lambda v: text_list(v, LIST_SEPARATORS))
    take("scenes", lambda v: text_list(v, LIST_SEPARATORS))
    take("images", lambda v: text_list(v, IMAGE_SEPARATORS))
    try:
        specs, spec_notes = parse_specs(cell("specs"))
        values["specs"] = specs
        row_notes.extend(f"{table.source} {label} {raw.number}, {header_of.get('specs', 'specs')}: {n}" for n in spec_notes)
    except CellProblem as exc:
        fail("specs", exc.problem, exc.fix)

    sku, title = values.get("sku"), values.get("title")
    if sku == "" and not derive_sku:
        fail("sku", "the product code (SKU) is empty", f"fill in a unique code in the {header_of.get('sku', 'sku')} column")
    if title == "":
        fail("title", "the product name is empty", f"fill in the {header_of.get('title', 'title')} column")
    elif title and display_width(title) > MAX_TITLE_WIDTH:
        values["title"] = shorten_title(title)
        row_notes.append(f"{table.source} {label} {raw.number}: the title is {len(title)} characters; shortened to "
                         f"'{values['title']}' for the video (keep titles under about 40 Chinese or 80 Latin characters)")
    if sku:
        key = unicodedata.normalize("NFKC", sku).casefold()  # "ＡＢ-1" and "ab-1" would share an output folder
        if key in seen:
            fail("sku", f"the SKU '{sku}' is already used on {label} {seen[key]}",
                 "give every product its own SKU, or delete the repeated row")
        else:
            seen[key] = raw.number
    price, sale = _prices(values, header_of, fail, row_notes, f"{table.source} {label} {raw.number}")
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


def _prices(values: dict[str, Any], header_of: dict[str, str], fail: Any, notes: list[str],
            where: str) -> tuple[float | None, float | None]:
    """Split (amount, currency) cells into amounts and one currency for the row; 0 means no price."""
    price, price_code = values.pop("price", None) or (None, None)
    sale, sale_code = values.pop("sale_price", None) or (None, None)
    column_code = values.pop("currency", None)
    named = column_code or price_code
    if column_code and price_code and price_code != column_code:
        fail("price", f"the price is in {price_code} but the {header_of.get('currency', 'currency')} column says "
             f"{column_code}", "write the price without a currency sign, or correct the currency column")
    elif named and sale_code and sale_code != named:
        fail("sale_price", f"the sale price is in {sale_code} but the price is in {named}",
             "write both prices in one currency")
    values["currency"] = named or sale_code or "CNY"
    for name, amount in (("price", price), ("sale_price", sale)):
        if amount == 0:
            notes.append(f"{where}, {header_of.get(name, name)}: the price is 0, so no price is shown (write the real "
                         "price, or leave the cell empty)")
            amount = None
        values[name] = amount
    return values["price"], values["sale_price"]
