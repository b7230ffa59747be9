"""Class 1, unbounded parsing: every sheet format is bounded in time and memory before it is parsed.

Each case reads a real hostile file in a child process (tests/hostile/measure.py) with a time and memory
cap, so a regression shows as a failed assertion, not as a hung or killed test run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.sheets import SheetError, read_sheet
from tests.hostile.builders import (
    HEADER,
    csv_bytes,
    inline_row,
    write_json,
    write_xlsx,
    xlsx_padding_bomb,
    xlsx_sheet_xml,
    yaml_alias_bomb,
)
from tests.hostile.measure import measure_read

ENTITY_BOMB = "<!DOCTYPE worksheet [<!ENTITY a0 \"lol\">" + "".join(
    f"<!ENTITY a{i} \"{f'&a{i - 1};' * 10}\">" for i in range(1, 10)) + "]>"


def one_line(message: str) -> bool:
    return "\n" not in message and "Traceback" not in message and len(message) < 600


@pytest.fixture(scope="session")
def padding_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """256 MiB of whitespace in the sheet XML, about 260 KB on disk (bench/hostile.py reads a 1 GiB one)."""
    return xlsx_padding_bomb(tmp_path_factory.mktemp("bomb") / "bomb.xlsx", 1 << 28)


def test_xlsx_padding_bomb_is_refused_before_parsing(padding_bomb: Path) -> None:
    assert padding_bomb.stat().st_size < 500_000
    measured = measure_read(padding_bomb)
    assert measured.answer.get("raised") == "SheetError", measured.answer
    message = measured.answer["message"]
    assert "bomb.xlsx" in message and "unpack" in message and one_line(message)
    assert measured.extra_mb < 100, measured  # was 260 MB here (1.1 GB and 7+ s for the 1 GiB one)
    assert measured.seconds < 5, measured


def test_xlsx_whose_dimension_claims_the_whole_grid(tmp_path: Path) -> None:
    """4 KB: <dimension ref="A1:XFD1048576"/> and one cell in the last row and column (was a hang)."""
    rows = inline_row(1, HEADER) + inline_row(2, ["A1", "杯子", 10, "好"])
    rows += '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    path = xlsx_sheet_xml(tmp_path / "dimension.xlsx", rows, dimension="A1:XFD1048576")
    measured = measure_read(path, timeout=20)
    assert measured.answer.get("products") == 1, measured.answer
    assert measured.seconds < 10


def test_xlsx_entity_expansion_is_a_sheet_error(tmp_path: Path) -> None:
    rows = inline_row(1, HEADER) + inline_row(2, ["A1", "&a9;", 10, "好"])
    path = xlsx_sheet_xml(tmp_path / "laughs.xlsx", rows, prolog=ENTITY_BOMB)
    with pytest.raises(SheetError) as caught:
        read_sheet(path)
    assert "laughs.xlsx" in str(caught.value) and one_line(str(caught.value))


def test_xlsx_with_thousands_of_columns(tmp_path: Path) -> None:
    header = HEADER + [f"junk{i}" for i in range(5000)]
    path = write_xlsx(tmp_path / "wide.xlsx", [header, ["A1", "杯子", 10, "好"] + ["x"] * 5000])
    measured = measure_read(path)
    assert measured.answer.get("products") == 1, measured.answer
    warnings = measured.answer["warnings"]
    assert len(warnings) <= 3, warnings  # was one warning per junk column: 5000 lines
    assert any("256" in w for w in warnings), warnings


def test_xlsx_with_a_million_empty_rows_between_products(tmp_path: Path) -> None:
    empty = "".join(f'<row r="{i}"><c r="A{i}" s="0"/></row>' for i in range(3, 1_000_003))
    rows = inline_row(1, HEADER) + inline_row(2, ["A1", "杯子", 10, "好"]) + empty
    rows += inline_row(1_000_003, ["A2", "碗", 5, "好"])
    path = xlsx_sheet_xml(tmp_path / "gap.xlsx", rows, dimension="A1:D1000003")
    measured = measure_read(path)
    assert measured.answer.get("products") == 1, measured.answer
    assert any("empty rows" in w and "1,000,003" in w for w in measured.answer["warnings"]), measured.answer
    assert measured.seconds < 5


def test_xlsx_formatted_empty_rows_below_the_products_cost_nothing(tmp_path: Path) -> None:
    """The common case behind the one above: a merchant formatted whole columns. No warning, all rows."""
    empty = "".join(f'<row r="{i}"><c r="A{i}" s="0"/></row>' for i in range(4, 300_000))
    rows = inline_row(1, HEADER) + inline_row(2, ["A1", "杯子", 10, "好"]) + inline_row(3, ["A2", "碗", 5, "好"]) + empty
    path = xlsx_sheet_xml(tmp_path / "formatted.xlsx", rows, dimension="A1:D300000")
    result = read_sheet(path)
    assert [p.sku for p in result.products] == ["A1", "A2"]
    assert not any("empty rows" in w for w in result.warnings), result.warnings


def test_yaml_alias_bomb_is_refused_small_and_fast(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(yaml_alias_bomb(9), encoding="utf-8")
    assert path.stat().st_size < 1024
    measured = measure_read(path)
    assert measured.answer.get("raised") == "SheetError", measured.answer  # was MemoryError after 16 s, 2.7 GB
    assert "alias" in measured.answer["message"] and one_line(measured.answer["message"])
    assert measured.extra_mb < 100 and measured.seconds < 5, measured


def test_yaml_small_anchors_still_work(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text("common: &c {brand: 暖暖, category: 家居}\nproducts:\n"
                    "  - {<<: *c, sku: A1, title: 杯子}\n  - {<<: *c, sku: A2, title: 碗}\n", encoding="utf-8")
    result = read_sheet(path)
    assert [(p.sku, p.brand) for p in result.products] == [("A1", "暖暖"), ("A2", "暖暖")]


@pytest.mark.parametrize("name, text", [
    ("deep.json", "[" * 100_000 + "]" * 100_000),
    ("deep.yaml", "[" * 10_000 + "]" * 10_000),
])
def test_deep_nesting_is_a_sheet_error(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SheetError) as caught:  # was RecursionError
        read_sheet(path)
    assert "nest" in caught.value.problem and one_line(str(caught.value))


@pytest.mark.parametrize("name, text", [
    ("bigint.json", '[{"sku": "A", "title": "杯子", "price": ' + "9" * 5000 + '}, {"sku": "B", "title": "碗"}]'),
    ("bigint.yaml", "- {sku: A, title: 杯子, price: " + "9" * 5000 + "}\n- {sku: B, title: 碗}\n"),
])
def test_a_5000_digit_number_is_a_row_error(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = read_sheet(path)  # was ValueError: Exceeds the limit (4300 digits)
    assert [p.sku for p in result.products] == ["B"]
    assert [(e.row, e.field) for e in result.errors] == [(1, "price")]


def test_yaml_impossible_date_is_kept_as_text(tmp_path: Path) -> None:
    path = tmp_path / "date.yaml"
    path.write_text("- {sku: A, title: 杯子, offer: 2024-02-30}\n", encoding="utf-8")
    result = read_sheet(path)  # was ValueError: day is out of range for month
    assert result.products[0].offer == "2024-02-30"


def test_json_list_of_millions_of_numbers(tmp_path: Path) -> None:
    path = tmp_path / "ints.json"
    path.write_text("[" + "1," * 2_500_000 + "1]", encoding="utf-8")
    measured = measure_read(path, max_rows=100)
    # was a RowError per number: MemoryError
    assert measured.answer.get("error_count", 0) <= 102, measured.answer
    assert measured.extra_mb < 200, measured


def test_json_millions_of_empty_lists_are_refused_before_parsing(tmp_path: Path) -> None:
    path = write_json(tmp_path / "empties.json", [[]] * 1_500_000)
    measured = measure_read(path)
    assert measured.answer.get("raised") == "SheetError", measured.answer
    assert measured.extra_mb < 60, measured


def test_csv_with_a_million_empty_rows_between_products(tmp_path: Path) -> None:
    path = tmp_path / "gap.csv"
    path.write_bytes(csv_bytes([HEADER, ["A1", "杯子", "1", "好"]]) + b",,,\r\n" * 1_000_000
                     + csv_bytes([["A2", "碗", "5", "好"]]))
    measured = measure_read(path)
    assert measured.answer.get("products") == 1, measured.answer
    assert any("empty rows" in w for w in measured.answer["warnings"]), measured.answer
    assert measured.seconds < 5


def test_csv_trailing_empty_rows_are_no_problem(tmp_path: Path) -> None:
    path = tmp_path / "trailing.csv"
    path.write_bytes(csv_bytes([HEADER, ["A1", "杯子", "1", "好"]]) + b",,,\r\n" * 200_000)
    result = read_sheet(path)
    assert [p.sku for p in result.products] == ["A1"] and result.warnings == []


def test_csv_header_with_200000_separators(tmp_path: Path) -> None:
    path = tmp_path / "commas.csv"
    path.write_text("商品编码,商品名称" + "," * 200_000 + "\nA1,杯子\n", encoding="utf-8")
    measured = measure_read(path, timeout=20)  # was a hang (quadratic header naming)
    assert not measured.killed, measured
    answer = measured.answer
    assert answer.get("raised") == "SheetError" or answer.get("products") == 1, answer
    assert measured.seconds < 5
