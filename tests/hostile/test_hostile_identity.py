"""Class 4, identity: every product gets its own output folder, and a sheet without SKUs still renders."""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import pytest

from generator.output import variant_dir
from generator.sheets import read_products_json, read_sheet
from tests.hostile.builders import write_csv


def folders(skus: list[str]) -> list[Path]:
    return [variant_dir(Path("/out"), "job", sku, 1) for sku in skus]


@pytest.mark.parametrize("pair", [("AB 1", "AB_1"), ("AB-2.", "AB-2"), ("a:b", "a_b"), ("  x", "x"),
                                  ("商品 1", "商品_1"), ("AB\t1", "AB_1")])
def test_skus_that_differ_get_different_folders(pair: tuple[str, str]) -> None:
    first, second = folders(list(pair))
    assert first != second  # was one folder: the second clip overwrote the first


def test_folder_names_stay_readable_and_unchanged_for_plain_skus() -> None:
    assert [p.parent.name for p in folders(["CUP-01", "保温杯_2", "A.B"])] == ["CUP-01", "保温杯_2", "A.B"]


@pytest.mark.parametrize("sku", ["CON", "nul", "Com1", "LPT9.txt", ".hidden", "-", "x" * 200])
def test_folder_names_that_windows_or_shells_mishandle_are_made_safe(sku: str) -> None:
    name = folders([sku])[0].parent.name
    assert name.split(".")[0].upper() not in {"CON", "NUL", "COM1", "LPT9"}
    assert not name.startswith(".") and 0 < len(name) <= 100


def test_many_similar_skus_never_share_a_folder_even_ignoring_case() -> None:
    rng = random.Random(7)
    alphabet = "aA _-.:/*?<>|1"
    skus = {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 5))) for _ in range(3000)}
    owner: dict[str, str] = {}
    for sku in sorted(skus):
        name = folders([sku])[0].parent.name.casefold()
        key = unicodedata.normalize("NFKC", sku).casefold()  # codes equal under this are refused at intake
        assert owner.setdefault(name, key) == key, (sku, name)


def test_colliding_skus_in_one_sheet_get_four_folders(tmp_path: Path) -> None:
    sheet = write_csv(tmp_path / "s.csv", [["sku", "title"], ["AB 1", "Cup"], ["AB_1", "Bowl"],
                                           ["AB-2.", "Pan"], ["AB-2", "Pot"]])
    result = read_sheet(sheet)
    assert [p.sku for p in result.products] == ["AB 1", "AB_1", "AB-2.", "AB-2"]
    assert len({variant_dir(tmp_path, "j", p.sku, 1) for p in result.products}) == 4


SMALL_MERCHANT = [["商品名称", "价格", "卖点", "主图"],
                  ["真空保温杯", "99", "保温12小时", ""],
                  ["陶瓷马克杯", "39", "可进洗碗机", ""],
                  ["真空保温杯", "129", "大容量", ""]]


def test_sheet_without_a_sku_column_gets_stable_derived_skus(tmp_path: Path) -> None:
    result = read_sheet(write_csv(tmp_path / "small.csv", SMALL_MERCHANT))  # was SheetError: sku missing
    assert result.errors == []
    skus = [p.sku for p in result.products]
    assert len(skus) == 3 and len(set(skus)) == 3  # the two 保温杯 rows (different prices) differ too
    assert any("SKU" in w or "商品编码" in w for w in result.warnings)
    # Stable across reruns and row reordering: each product keeps its code.
    shuffled = [SMALL_MERCHANT[0], SMALL_MERCHANT[3], SMALL_MERCHANT[1], SMALL_MERCHANT[2]]
    again = read_sheet(write_csv(tmp_path / "shuffled.csv", shuffled))
    by_price = {p.price: p.sku for p in result.products}
    assert {p.price: p.sku for p in again.products} == by_price
    assert len({variant_dir(tmp_path, "j", s, 1) for s in skus}) == 3


def test_identical_rows_without_skus_are_one_product_and_one_row_error(tmp_path: Path) -> None:
    rows = [["商品名称", "价格"], ["保温杯", "99"], ["保温杯", "99"]]
    result = read_sheet(write_csv(tmp_path / "dup.csv", rows))
    assert len(result.products) == 1
    assert [(e.row, e.field) for e in result.errors] == [(3, "sku")]
    assert "row 2" in result.errors[0].problem


def test_json_items_without_skus_for_the_api(tmp_path: Path) -> None:
    result = read_products_json([{"title": "Steel Bottle", "price": 29}, {"name": "Mug"}], base_dir=tmp_path)
    assert len({p.sku for p in result.products}) == 2 and result.errors == []
