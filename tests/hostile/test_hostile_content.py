"""Class 5, silent wrong content, fixed at intake: what a sheet says reaches the video as the merchant meant it,
or the merchant is told (a warning or a row error) — never silently changed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generator.sheets import read_products_json, read_sheet
from generator.sheets.cells import clean_text
from tests.hostile.builders import HEADER, csv_bytes, write_csv, write_xlsx


def test_gbk_header_with_utf8_rows(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(csv_bytes([HEADER], "gbk") + csv_bytes([["A1", "真空保温杯", "99", "保温12小时"]], "utf-8"))
    result = read_sheet(path)  # was mojibake (鐪熺┖淇濇俯鏉) without a word
    assert [p.title for p in result.products] == ["真空保温杯"]
    assert any("encoding" in w for w in result.warnings), result.warnings


def test_utf8_sheet_with_one_gbk_row(tmp_path: Path) -> None:
    path = tmp_path / "pasted.csv"
    path.write_bytes(csv_bytes([HEADER, ["A1", "真空保温杯", "99", "保温"]], "utf-8")
                     + csv_bytes([["A2", "陶瓷马克杯", "39", "耐热"]], "gbk")
                     + csv_bytes([["A3", "玻璃水杯", "19", "透明"]], "utf-8"))
    result = read_sheet(path)  # was every row decoded as GB18030: three titles of mojibake
    assert [p.title for p in result.products] == ["真空保温杯", "陶瓷马克杯", "玻璃水杯"]
    assert any("encoding" in w and "3" in w for w in result.warnings), result.warnings


def test_formula_without_a_cached_value_is_a_row_error(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "formula.xlsx", [HEADER, ["A1", "杯子", "=50*2", "好"], ["A2", "碗", 5, "好"]])
    result = read_sheet(path)  # was: price silently missing
    assert [p.sku for p in result.products] == ["A2"]
    (error,) = result.errors
    assert (error.row, error.field) == (2, "价格")
    assert "C2" in error.problem and "=50*2" in error.problem and "save" in error.fix


def test_merged_price_cells_give_each_row_the_price(tmp_path: Path) -> None:
    rows = [HEADER, ["A1", "杯子 红", 99, "好"], ["A2", "杯子 蓝", None, "好"], ["A3", "碗", 5, "好"]]
    result = read_sheet(write_xlsx(tmp_path / "merged.xlsx", rows, merges=["C2:C3"]))
    assert [(p.sku, p.price) for p in result.products] == [("A1", 99.0), ("A2", 99.0), ("A3", 5.0)]
    assert any("C2:C3" in w and "merged" in w for w in result.warnings), result.warnings


def test_merged_cells_across_columns_are_not_copied_sideways(tmp_path: Path) -> None:
    rows = [HEADER + ["品牌"], ["A1", "杯子", 99, "好", None]]
    result = read_sheet(write_xlsx(tmp_path / "wide_merge.xlsx", rows, merges=["D2:E2"]))
    assert result.products[0].brand == ""


@pytest.mark.parametrize("cell", ["0", "-0", "¥0", "0.00", "0元"])
def test_zero_price_is_no_price_with_a_warning(tmp_path: Path, cell: str) -> None:
    result = read_sheet(write_csv(tmp_path / "zero.csv", [["sku", "title", "price"], ["A1", "Cup", cell]]))
    (product,) = result.products  # was "¥0" (and "¥-0") on the badge and the card
    assert product.price is None
    assert any("0" in w and "price" in w for w in result.warnings), result.warnings


@pytest.mark.parametrize("cell, price, currency", [
    ("$5", 5.0, "USD"), ("US$ 5.50", 5.5, "USD"), ("5 USD", 5.0, "USD"), ("€12", 12.0, "EUR"),
    ("HK$88", 88.0, "HKD"), ("RM 39", 39.0, "MYR"), ("฿199", 199.0, "THB"), ("129元", 129.0, "CNY"),
    ("¥129", 129.0, "CNY"), ("129", 129.0, "CNY"),
])
def test_currency_symbols_are_read_not_dropped(tmp_path: Path, cell: str, price: float, currency: str) -> None:
    result = read_sheet(write_csv(tmp_path / "p.csv", [["sku", "title", "price"], ["A1", "Cup", cell]]))
    (product,) = result.products  # was: "$5" read as 5 yuan
    assert (product.price, product.currency) == (price, currency)


def test_currency_column(tmp_path: Path) -> None:
    rows = [["sku", "title", "price", "sale_price", "currency"],
            ["A1", "Cup", "39", "29", "USD"], ["A2", "Mug", "10", "", "美元"], ["A3", "Pan", "10", "", ""],
            ["A4", "Pot", "10", "", "doubloons"], ["A5", "Jar", "€10", "", "USD"]]
    result = read_sheet(write_csv(tmp_path / "c.csv", rows))
    assert [(p.sku, p.currency) for p in result.products] == [("A1", "USD"), ("A2", "USD"), ("A3", "CNY")]
    assert [(e.row, e.field) for e in result.errors] == [(5, "currency"), (6, "price")]
    assert "EUR" in result.errors[1].problem and "USD" in result.errors[1].problem


def test_prices_in_two_currencies_on_one_row_are_a_row_error(tmp_path: Path) -> None:
    rows = [["sku", "title", "price", "sale_price"], ["A1", "Cup", "$39", "¥29"]]
    result = read_sheet(write_csv(tmp_path / "two.csv", rows))
    assert result.products == [] and [e.field for e in result.errors] == ["sale_price"]


def test_price_text_uses_the_currency() -> None:
    from generator.formatting import price_text

    assert [price_text(5, "USD"), price_text(89, "CNY"), price_text(12.5, "EUR"), price_text(88, "HKD")] == \
        ["$5", "¥89", "€12.5", "HK$88"]
    assert price_text(None, "USD") == "" and price_text(-0.0, "CNY") == "¥0"


def test_badge_shows_the_products_currency(tmp_path: Path) -> None:
    from generator.platforms import get_preset
    from generator.video.layout import badge_layer

    result = read_sheet(write_csv(tmp_path / "b.csv", [["sku", "title", "price", "sale_price"], ["A1", "Cup", "$39", "$29"]]))
    badge = badge_layer(result.products[0], get_preset("douyin"), "en")
    assert badge is not None and badge.text[-1] == "$29"  # was "¥29"


def test_a_one_megabyte_cell_rejects_its_row_not_the_sheet(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "big.csv", [HEADER, ["A1", "杯子", "10", "好" * 1_000_000], ["A2", "碗", "5", "好"]])
    result = read_sheet(path)  # was SheetError: field larger than field limit (131072)
    assert [p.sku for p in result.products] == ["A2"]
    assert [(e.row, e.field) for e in result.errors] == [(2, "卖点")]
    assert "1,000,000" in result.errors[0].problem


BIDI = "\u202e\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d\u200e\u200f\u061c"


def test_bidi_and_control_characters_are_removed(tmp_path: Path) -> None:
    title = "\u202eCup\u2066 Pro\u2069\x00\x07\x1b[31m"
    result = read_sheet(write_csv(tmp_path / "bidi.csv", [["sku", "title", "selling_points"],
                                                          ["A1", title, f"Keeps{BIDI} cold"]]))
    (product,) = result.products  # was: the RLO mark reversed the title on screen and in the SRT
    assert product.title == "Cup Pro[31m"
    assert product.selling_points == ["Keeps cold"]
    assert not any(ch in product.model_dump_json() for ch in BIDI)


def test_line_breaks_in_one_line_fields_become_spaces(tmp_path: Path) -> None:
    rows = [["sku", "title", "offer", "selling_points"], ["A1", "Steel\nBottle", "满99减10\n前100名送杯套", "a\nb"]]
    (product,) = read_sheet(write_csv(tmp_path / "lines.csv", rows)).products
    # was drawn on the offer card as two lines on top of each other
    assert (product.title, product.offer) == ("Steel Bottle", "满99减10 前100名送杯套")
    assert product.selling_points == ["a", "b"]  # list fields still split on line breaks


def test_clean_text_keeps_line_breaks_and_text() -> None:
    assert clean_text("a\u202e\nb\tc\x0bd") == "a\nb cd"


def test_a_300_character_title_is_shortened_with_a_warning(tmp_path: Path) -> None:
    long_zh = "超长标题" * 75
    long_en = " ".join(["Stainless"] * 40)
    result = read_products_json([{"sku": "A1", "title": long_zh}, {"sku": "A2", "title": long_en}], base_dir=tmp_path)
    zh, en = result.products
    assert len(zh.title) <= 41 and zh.title.endswith("…") and zh.title.startswith("超长标题")
    assert len(en.title) <= 81 and en.title.endswith("…") and not en.title.endswith(" …")
    assert sum("title" in w and "shortened" in w for w in result.warnings) == 2


# --------------------------------------------------------------------------------------------------
# Images, normalised at intake: what the renderer gets is 8-bit RGB with a sane shape
# --------------------------------------------------------------------------------------------------


def _image_sheet(folder: Path, *names: str) -> Path:
    return write_csv(folder / "s.csv", [["sku", "title", "images"], *[[f"A{i}", "Cup", n] for i, n in enumerate(names)]])


def _loaded(path: str) -> np.ndarray:
    from generator.video.visuals import load_photo

    photo = load_photo(path)
    assert photo is not None
    return np.asarray(photo)


def test_16_bit_greyscale_png_keeps_its_tone(tmp_path: Path) -> None:
    Image.fromarray(np.full((48, 64), 16000, dtype=np.uint16)).save(tmp_path / "grey16.png")
    result = read_sheet(_image_sheet(tmp_path, "grey16.png"))
    (image,) = result.products[0].images
    pixels = _loaded(image)  # was pure white: 16-bit values clipped at 255
    assert abs(int(pixels.mean()) - 16000 * 255 // 65535) <= 2


def test_transparent_cutout_is_put_on_white(tmp_path: Path) -> None:
    pixels = np.zeros((64, 64, 4), dtype=np.uint8)
    pixels[16:48, 16:48] = (220, 30, 30, 255)
    Image.fromarray(pixels).save(tmp_path / "cutout.png")
    result = read_sheet(_image_sheet(tmp_path, "cutout.png"))
    loaded = _loaded(result.products[0].images[0])  # was black around the product
    assert tuple(loaded[2, 2]) == (255, 255, 255) and tuple(loaded[32, 32]) == (220, 30, 30)


@pytest.mark.parametrize("size", [(20000, 1), (1, 20000), (3000, 40)])
def test_extreme_aspect_ratio_is_refused_or_fitted_and_never_crashes_the_render(tmp_path: Path, size) -> None:
    from generator.platforms import get_preset
    from generator.video.visuals import photo_background

    Image.new("RGB", size, "red").save(tmp_path / "strip.png")
    result = read_sheet(_image_sheet(tmp_path, "strip.png"))
    product = result.products[0]
    preset = get_preset("douyin")
    for image in product.images:  # whatever intake kept must render (was: ValueError in the render)
        photo = Image.fromarray(_loaded(image))
        w, h = photo.size
        assert max(w, h) / min(w, h) <= 4
        photo_background(photo, (270, 480), (0, 0, 270, 480), preset.scaled(0.25), 0)
    if not product.images:
        assert any("strip.png" in w for w in result.warnings)
    else:
        assert any("strip.png" in w and "crop" in w for w in result.warnings)


def test_phone_photo_orientation_survives_normalising(tmp_path: Path) -> None:
    pixels = np.zeros((30, 60), dtype=np.uint16)
    pixels[:, :30] = 60000  # left half bright
    img = Image.fromarray(pixels)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    img.save(tmp_path / "phone.png", exif=exif)
    result = read_sheet(_image_sheet(tmp_path, "phone.png"))
    loaded = _loaded(result.products[0].images[0])
    assert loaded.shape[:2] == (60, 30)  # upright: taller than wide
    assert loaded[5, 15].mean() > 200 and loaded[55, 15].mean() < 50  # bright half on top after rotation
