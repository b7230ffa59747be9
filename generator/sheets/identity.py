"""Product codes for sheets without a SKU column (pure).

Small merchants often keep only 商品名称, 价格, 卖点, 主图. Each row then gets a code derived from what it
says, so the code is the same on every rerun and whatever the row order: from the brand and the title when
those are unique in the sheet, else from every value of the row. Rows that agree on every value are one
product said twice; the repeats become row errors.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

from generator.models import Product, RowError, stable_hash

DERIVED_PREFIX_CHARS = 12


def derived_sku(product: Product, *, whole_row: bool) -> str:
    """'真空保温杯-1a2b3c4d': a readable head from the title and a hash of the brand+title (or the whole row)."""
    fold = lambda text: unicodedata.normalize("NFKC", text).casefold()  # noqa: E731
    if whole_row:
        data = product.model_dump(exclude={"sku", "source", "row", "warnings"})
        key = stable_hash({k: fold(v) if isinstance(v, str) else v for k, v in data.items()}, 8)
    else:
        key = stable_hash([fold(product.brand), fold(product.title)], 8)
    head = re.sub(r"[^\w]+", "-", product.title[:DERIVED_PREFIX_CHARS], flags=re.UNICODE).strip("-_") or "item"
    return f"{head}-{key}"


def assign_derived_skus(products: list[Product], *, source: str, items: bool) -> tuple[list[Product], list[RowError], list[str]]:
    """Give each product its derived SKU; repeated rows become RowErrors naming the first occurrence."""
    label = "item" if items else "row"
    by_name: dict[str, list[Product]] = defaultdict(list)
    for product in products:
        by_name[derived_sku(product, whole_row=False)].append(product)
    kept: list[Product] = []
    errors: list[RowError] = []
    first_of: dict[str, int] = {}
    for product in products:
        sku = derived_sku(product, whole_row=len(by_name[derived_sku(product, whole_row=False)]) > 1)
        if sku in first_of:
            errors.append(RowError(
                file=source, row=product.row, field="sku",
                problem=f"this {label} repeats {label} {first_of[sku]} (same name, brand and every other value)",
                fix="delete the repeated row, or add a 商品编码 (SKU) column to tell the products apart",
            ))
            continue
        first_of[sku] = product.row
        kept.append(product.model_copy(update={"sku": sku}))
    notes = []
    if kept:
        notes.append(f"{source}: there is no SKU column (商品编码/货号/sku), so each product got a code made from its "
                     f"content, e.g. {label} {kept[0].row} → {kept[0].sku}; add a 商品编码 column to choose your own")
    return kept, errors, notes
