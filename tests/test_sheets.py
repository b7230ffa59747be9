"""Product sheets: formats, encodings, column aliases, row errors, images and the URL guard.

Every fixture is generated here (tiny files under tmp_path); the URL tests talk to a real HTTP server
on 127.0.0.1 through the real httpx client.
"""

from __future__ import annotations

import contextlib
import csv
import http.server
import io
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from PIL import Image

from generator.settings import SheetLimits
from generator.sheets import SheetError, parse_price, parse_specs, read_products_json, read_sheet
from generator.sheets.fetch import (
    FetchError,
    cache_name,
    check_image,
    fetch_image,
    is_public_address,
    resolve_public,
)

ROOT = Path(__file__).resolve().parent.parent

HEADER_ZH = ["商品编码", "商品名称", "品牌", "类目", "原价", "到手价", "卖点", "规格参数", "适用人群", "使用场景", "优惠信息", "主图", "语言"]
ROW_CUP = ["CUP-01", "真空保温杯", "暖暖", "家居", "¥129", "99元", "保温12小时；一键开盖、轻巧便携", "容量:500ml；材质：316不锈钢", "上班族", "通勤\n露营", "前100名送杯套", "", "中文"]
ROW_MUG = ["MUG-02", "Ceramic Mug", "Kiln", "Kitchen", "1,299.00", "１２９", "Dishwasher safe", "capacity: 350ml", "", "", "", "", ""]


def limits(**overrides: object) -> SheetLimits:
    return SheetLimits(**overrides)  # type: ignore[arg-type]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def png(path: Path, size: tuple[int, int] = (64, 48), color: str = "red") -> Path:
    Image.new("RGB", size, color).save(path, "PNG")
    return path


def png_bytes(size: tuple[int, int] = (32, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "blue").save(buffer, "PNG")
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------
# Formats and encodings
# --------------------------------------------------------------------------------------------------


def _assert_cup_and_mug(result, source: str) -> None:
    assert result.errors == []
    cup, mug = result.products
    assert (cup.sku, cup.title, cup.brand, cup.category) == ("CUP-01", "真空保温杯", "暖暖", "家居")
    assert (cup.price, cup.sale_price) == (129.0, 99.0)
    assert cup.selling_points == ["保温12小时", "一键开盖", "轻巧便携"]
    assert cup.specs == {"容量": "500ml", "材质": "316不锈钢"}
    assert cup.scenes == ["通勤", "露营"]
    assert (cup.audience, cup.offer, cup.language) == ("上班族", "前100名送杯套", "zh")
    assert (cup.source, cup.row) == (source, 2)
    assert (mug.price, mug.sale_price, mug.language, mug.row) == (1299.0, 129.0, "en", 3)
    assert mug.specs == {"capacity": "350ml"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    rows = [HEADER_ZH, [c.replace("¥", "￥") for c in ROW_CUP], ROW_MUG]  # ¥ (U+00A5) is not in GBK
    path = write_csv(tmp_path / "products.csv", rows, encoding)
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    _assert_cup_and_mug(read_sheet(path), "products.csv")


def test_gb18030_only_characters(tmp_path: Path) -> None:
    # 𠮷 is outside GBK; GB18030 encodes it, and UTF-8 decoding of those bytes fails, so detection matters.
    path = write_csv(tmp_path / "p.csv", [["商品编码", "商品名称"], ["A", "𠮷野家饭团"]], "gb18030")
    assert read_sheet(path).products[0].title == "𠮷野家饭团"


def test_tab_and_semicolon_separated_and_utf16(tmp_path: Path) -> None:
    rows = [HEADER_ZH, ROW_CUP, ROW_MUG]
    _assert_cup_and_mug(read_sheet(write_csv(tmp_path / "a.tsv", rows, delimiter="\t")), "a.tsv")
    _assert_cup_and_mug(read_sheet(write_csv(tmp_path / "b.csv", rows, delimiter=";")), "b.csv")
    # Excel's "Unicode text" export: UTF-16 with a BOM, tab-separated.
    _assert_cup_and_mug(read_sheet(write_csv(tmp_path / "c.txt", rows, "utf-16", "\t")), "c.txt")


def test_xlsx_with_chinese_headers(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "商品"
    sheet.append(HEADER_ZH)
    sheet.append(ROW_CUP)
    sheet.append([None] * len(HEADER_ZH))  # an empty row: skipped, but row numbers stay as Excel shows them
    numeric = list(ROW_MUG)
    numeric[0], numeric[4], numeric[5] = 10086, 1299, 129.5  # numbers typed as numbers
    sheet.append(numeric)
    workbook.create_sheet("说明").append(["填写说明"])
    path = tmp_path / "货品.xlsx"
    workbook.save(path)

    result = read_sheet(path)
    assert result.errors == []
    cup, mug = result.products
    assert (cup.sku, cup.title, cup.price, cup.sale_price, cup.row) == ("CUP-01", "真空保温杯", 129.0, 99.0, 2)
    assert cup.selling_points == ["保温12小时", "一键开盖", "轻巧便携"]
    assert (mug.sku, mug.price, mug.sale_price, mug.row) == ("10086", 1299.0, 129.5, 4)
    assert any("说明" in w for w in result.warnings)  # other worksheets are named as ignored


def test_json_list_and_products_object(tmp_path: Path) -> None:
    items = [
        {"sku": "J1", "title": "Water Bottle", "price": 59, "sale_price": "49", "selling_points": ["BPA free", "1 L"],
         "specs": {"volume": "1 L", "weight": 120}, "images": [], "language": "English"},
        {"商品编码": "J2", "商品名称": "保温杯", "卖点": "保温；便携"},
    ]
    for name, document in (("list.json", items), ("object.json", {"products": items, "meta": {"v": 1}})):
        path = tmp_path / name
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        result = read_sheet(path)
        assert result.errors == []
        first, second = result.products
        assert first.specs == {"volume": "1 L", "weight": "120"}
        assert (first.language, first.sale_price, first.row) == ("en", 49.0, 1)
        assert (second.title, second.selling_points, second.row, second.language) == ("保温杯", ["保温", "便携"], 2, "zh")


def test_yaml_sheet(tmp_path: Path) -> None:
    path = tmp_path / "products.yaml"
    path.write_text(
        "products:\n"
        "  - 商品编码: Y1\n"
        "    商品名称: 竹纤维毛巾\n"
        "    到手价: 19.9\n"
        "    规格参数: {尺寸: 34x76cm, 材质: 竹纤维}\n"
        "    使用场景: [浴室, 健身房]\n"
        "    语言: zh\n",
        encoding="utf-8",
    )
    (product,) = read_sheet(path).products
    assert product.specs == {"尺寸": "34x76cm", "材质": "竹纤维"}
    assert (product.scenes, product.sale_price, product.row) == (["浴室", "健身房"], 19.9, 1)


def test_read_products_json_for_the_api(tmp_path: Path) -> None:
    png(tmp_path / "main.png")
    result = read_products_json([{"sku": "A", "title": "Lamp", "images": "main.png"}, {"sku": "B"}], base_dir=tmp_path, source="upload")
    (product,) = result.products
    assert product.images == [str((tmp_path / "main.png").resolve())]
    (error,) = result.errors
    assert (error.file, error.row, error.field) == ("upload", 2, "title")
    assert error.problem.startswith("item 2 of the list")


def test_bundled_example_sheet_reads_cleanly() -> None:
    path = ROOT / "examples" / "products.csv"
    if not path.exists():
        pytest.skip("examples/products.csv is not in this checkout")
    result = read_sheet(path)
    assert result.errors == []
    assert len(result.products) >= 3
    assert all(p.sku and p.title for p in result.products)


# --------------------------------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------------------------------


def test_aliases_ignore_case_spaces_units_and_stars(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [[" SKU ", "*商品名称", "Sale Price", "原价（元）", "Selling_Points", "备注"], ["S1", "Kettle", "10", "12", "fast", "x"]])
    result = read_sheet(path)
    (product,) = result.products
    assert (product.sku, product.title, product.sale_price, product.price, product.selling_points) == ("S1", "Kettle", 10.0, 12.0, ["fast"])
    assert result.warnings == ["p.csv: column '备注' is not used (not a known column name)"]


def test_missing_required_column_is_a_sheet_error(tmp_path: Path) -> None:
    # Without a SKU column codes are derived (tests/hostile/test_hostile_identity.py); a title is a must.
    path = write_csv(tmp_path / "p.csv", [["商品编码", "价格"], ["A1", "10"]])
    with pytest.raises(SheetError) as caught:
        read_sheet(path)
    message = str(caught.value)
    assert "title" in message and "商品编码, 价格" in message  # what is missing, and what was found
    assert "商品名称" in caught.value.fix and "品名" in caught.value.fix  # the accepted names


def test_title_row_above_the_header_and_shifted_cells(tmp_path: Path) -> None:
    rows = [["双11活动商品表", "", ""], ["", "", ""], ["商品编码", "商品名称", "原价"], ["A1", "保温杯", "129"], ["A2", "毛巾", "9", "多余"]]
    result = read_sheet(write_csv(tmp_path / "p.csv", rows, "gbk"))
    assert [(p.sku, p.row) for p in result.products] == [("A1", 4), ("A2", 5)]
    assert result.errors == []
    assert "found in row 3" in result.warnings[0]
    assert "row 5 has more cells than the header" in result.warnings[1]


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("p.xls", b"\xd0\xcf\x11\xe0", ".xls"),
        ("p.csv", b"", "empty"),
        ("p.csv", b"PK\x03\x04rest", "rename it to .xlsx"),
        ("p.json", b"{not json", "invalid JSON at line 1"),
        ("p.yaml", b"a: [1,\n", "invalid YAML"),
        ("p.json", b'{"items": []}', "no 'products'"),
        ("p.xlsx", b"not a zip", "not a readable .xlsx"),
        ("p.pdf", b"%PDF", "unknown sheet type"),
    ],
)
def test_unreadable_files_are_sheet_errors(tmp_path: Path, name: str, content: bytes, problem: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SheetError, match=problem):
        read_sheet(path)


# --------------------------------------------------------------------------------------------------
# Bad rows: each gives its RowError and the good rows are still returned
# --------------------------------------------------------------------------------------------------

BAD_ROWS = [
    # (商品编码, 商品名称, 原价, 到手价, 语言), bad field, words in the problem, words in the fix
    (["", "无编码商品", "10", "", ""], "商品编码", "empty", "unique code"),
    (["B1", "", "10", "", ""], "商品名称", "name is empty", "商品名称"),
    (["GOOD", "重复编码", "10", "", ""], "商品编码", "already used on row 2", "own SKU"),
    (["B3", "价格乱写", "十元", "", ""], "原价", "'十元' is not a number", "129.90"),
    (["B4", "负价格", "-5", "", ""], "原价", "negative", "positive"),
    (["B5", "到手价更高", "50", "80", ""], "到手价", "higher than the original price", "swap"),
    (["B6", "法语商品", "10", "", "法语"], "语言", "'法语' is not a supported language", "zh, en, id, ms, th, vi"),
    (["a/b", "斜杠编码", "10", "", ""], "商品编码", "folder name", "letters, digits"),
]


@pytest.mark.parametrize(("cells", "field", "problem", "fix"), BAD_ROWS, ids=[r[1] + ":" + r[2][:12] for r in BAD_ROWS])
def test_each_bad_row_kind(tmp_path: Path, cells: list[str], field: str, problem: str, fix: str) -> None:
    header = ["商品编码", "商品名称", "原价", "到手价", "语言"]
    path = write_csv(tmp_path / "p.csv", [header, ["GOOD", "好商品", "10", "8", ""], cells, ["LAST", "最后一个", "", "", ""]], "gbk")
    result = read_sheet(path)
    assert [p.sku for p in result.products] == ["GOOD", "LAST"]  # the other rows still come through
    (error,) = result.errors
    assert (error.file, error.row, error.field) == ("p.csv", 3, field)
    assert problem in error.problem
    assert fix in error.fix
    assert str(error).startswith("p.csv: row 3, field")


def test_all_problems_of_a_row_are_reported_at_once(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [["sku", "title", "price", "language"], ["X", "", "abc", "klingon"]])
    result = read_sheet(path)
    assert result.products == []
    assert sorted(e.field for e in result.errors) == ["language", "price", "title"]


@pytest.mark.parametrize(
    ("text", "value"),
    [("¥129", 129.0), ("￥ 129", 129.0), ("129元", 129.0), ("1,299.00", 1299.0), ("１２９", 129.0), ("129.9", 129.9),
     (" 59.90 ", 59.9), ("", None), (None, None), (88, 88.0), (12.345, 12.35)],
)
def test_price_formats(text: object, value: float | None) -> None:
    assert parse_price(text) == value


@pytest.mark.parametrize("text", ["abc", "12,34", "1.2.3", "NaN", "Infinity", "¥", "12元5角", True])
def test_prices_that_are_not_numbers(text: object) -> None:
    with pytest.raises(ValueError):
        parse_price(text)


def test_field_too_long(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [["sku", "title", "卖点"], ["A", "ok", "x" * 50], ["B", "long", "很长" * 30]])
    result = read_sheet(path, limits=limits(max_field_chars=50))
    assert [p.sku for p in result.products] == ["A"]
    (error,) = result.errors
    assert (error.row, error.field) == (3, "卖点")
    assert "60 characters, over the limit of 50" in error.problem
    assert "DAIHUO_MAX_FIELD_CHARS" in error.fix


def test_too_many_rows_stops_reading(tmp_path: Path) -> None:
    rows = [["sku", "title"]] + [[f"S{i}", f"Product {i}"] for i in range(1, 8)]
    result = read_sheet(write_csv(tmp_path / "p.csv", rows), limits=limits(max_rows=5))
    assert [p.sku for p in result.products] == ["S1", "S2", "S3", "S4", "S5"]
    (error,) = result.errors
    assert (error.row, error.field) == (7, "(rows)")  # the first row not read, as the spreadsheet numbers it
    assert "more than 5" in error.problem and "DAIHUO_MAX_ROWS" in error.fix


def test_empty_rows_are_skipped_silently_and_text_is_cleaned(tmp_path: Path) -> None:
    decomposed = "Cafe\u0301"  # e + combining acute: NFC makes it one character
    rows = [["sku", "title", "brand", "卖点"], ["", "", "", ""], ["\u3000A1\u200b ", f"  {decomposed}\u3000 Mug  ", "Ｋｉｌｎ", "  甲 ； ；乙 "], [" ", "\u3000", "", ""]]
    result = read_sheet(write_csv(tmp_path / "p.csv", rows))
    assert result.errors == [] and result.warnings == []
    (product,) = result.products
    assert (product.sku, product.title, product.row) == ("A1", "Café Mug", 3)
    assert len(product.title) == 8
    assert product.brand == "Ｋｉｌｎ"  # NFC, not NFKC: the merchant's own characters are kept
    assert product.selling_points == ["甲", "乙"]


def test_json_items_are_numbered_and_non_objects_reported(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps([{"sku": "A", "title": "ok"}, "oops", {}, {"sku": "C", "title": "t", "price": "x"}]), encoding="utf-8")
    result = read_sheet(path)
    assert [p.sku for p in result.products] == ["A"]
    assert [(e.row, e.field) for e in result.errors] == [(2, "(item)"), (3, "(item)"), (4, "price")]
    assert "empty" in result.errors[1].problem and "sku" in result.errors[1].fix, "an empty item is named, not dropped"
    assert result.errors[2].problem.startswith("item 4 of the list:")


def test_nested_yaml_values_are_refused_not_expanded(tmp_path: Path) -> None:
    # YAML aliases can make small files describe huge nested lists; we never stringify nested values.
    path = tmp_path / "p.yaml"
    path.write_text("- a: &a [x, x, x]\n  sku: A\n  title: t\n  卖点: [*a, *a]\n", encoding="utf-8")
    result = read_sheet(path)
    assert result.products == []
    assert result.errors[0].field == "卖点" and "nested" in result.errors[0].problem


def test_language_defaults() -> None:
    result = read_products_json(
        [{"sku": "1", "title": "保温杯"}, {"sku": "2", "title": "Thermos"}, {"sku": "3", "title": "Thermos", "lang": "中文"}, {"sku": "4", "title": "x", "语言": "泰语"}],
        base_dir=Path("."),
    )
    assert [p.language for p in result.products] == ["zh", "en", "zh", "th"]


def test_specs_parsing() -> None:
    specs, notes = parse_specs("容量:500ml；材质：304不锈钢、尺寸: 7,20cm\n颜色=白")
    assert specs == {"容量": "500ml", "材质": "304不锈钢", "尺寸": "7,20cm", "颜色": "白"}
    assert notes == []
    specs, notes = parse_specs("随便写写; 重量:1kg")
    assert specs == {"重量": "1kg"}
    assert "随便写写" in notes[0]


# --------------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------------


def _image_sheet(folder: Path, images: str) -> Path:
    return write_csv(folder / "p.csv", [["sku", "title", "主图"], ["A", "Lamp", images], ["B", "Desk", ""]])


def test_good_images_become_absolute_paths(tmp_path: Path) -> None:
    sheet_dir = tmp_path / "sheet"
    (sheet_dir / "img").mkdir(parents=True)
    png(sheet_dir / "img" / "front.png")
    Image.new("RGB", (40, 30), "green").save(sheet_dir / "side.jpg", "JPEG")
    result = read_sheet(_image_sheet(sheet_dir, "img/front.png；side.jpg, img\\front.png"))
    product = result.products[0]
    assert product.images == [str((sheet_dir / "img" / "front.png").resolve()), str((sheet_dir / "side.jpg").resolve())]
    assert all(Path(p).is_absolute() for p in product.images)
    assert product.warnings == [] and result.warnings == []


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("missing.png", "was not found"),
        ("../outside.png", "outside the sheet's folder"),
        ("OUTSIDE_ABS", "outside the sheet's folder"),
        ("link.png", "outside the sheet's folder"),
        ("corrupt.png", "not an image"),
        ("truncated.png", "damaged"),
        ("C:\\Users\\me\\a.png", "Windows path"),
        ("file:///etc/passwd", "only http(s)"),
    ],
)
def test_bad_images_are_warnings_and_dropped(tmp_path: Path, ref: str, reason: str) -> None:
    sheet_dir = tmp_path / "sheet"
    sheet_dir.mkdir()
    outside = png(tmp_path / "outside.png")
    (sheet_dir / "link.png").symlink_to(outside)  # a link inside the folder that escapes it
    (sheet_dir / "corrupt.png").write_bytes(b"this is not a picture")
    whole = png_bytes((300, 300))
    (sheet_dir / "truncated.png").write_bytes(whole[: len(whole) // 2])
    png(sheet_dir / "good.png")
    ref = ref.replace("OUTSIDE_ABS", str(outside))
    result = read_sheet(_image_sheet(sheet_dir, f"{ref}; good.png"))
    assert result.errors == []
    product = result.products[0]
    assert product.images == [str((sheet_dir / "good.png").resolve())]  # the bad one dropped, the good one kept
    (warning,) = product.warnings
    assert reason in warning and f"'{ref}'" in warning and "row 2" in warning
    assert result.warnings == [warning]


def test_decompression_bomb_guard(tmp_path: Path) -> None:
    png(tmp_path / "big.png", (200, 150))
    result = read_sheet(_image_sheet(tmp_path, "big.png"), limits=limits(max_image_pixels=10_000))
    product = result.products[0]
    assert product.images == []
    (warning,) = product.warnings
    assert "'big.png'" in warning and "200×150 = 30,000 pixels" in warning and "10,000" in warning
    with pytest.raises(ValueError, match="30,000 pixels"):
        check_image(tmp_path / "big.png", max_pixels=10_000)
    assert check_image(tmp_path / "big.png", max_pixels=30_000) == "PNG"


def test_image_over_byte_limit_is_a_warning(tmp_path: Path) -> None:
    png(tmp_path / "a.png", (100, 100))
    result = read_sheet(_image_sheet(tmp_path, "a.png"), limits=limits(max_image_bytes=50))
    assert result.products[0].images == []
    assert "over the limit of 50" in result.products[0].warnings[0]


# --------------------------------------------------------------------------------------------------
# URL fetching: a real server on 127.0.0.1, the real httpx client
# --------------------------------------------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    image = png_bytes()
    hosts: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        type(self).hosts.append(self.headers.get("Host", ""))
        port = self.server.server_address[1]
        routes = {
            "/img.png": lambda: self._send(self.image),
            "/hop1": lambda: self._redirect("/hop2"),
            "/hop2": lambda: self._redirect(f"http://127.0.0.1:{port}/img.png"),
            "/loop": lambda: self._redirect("/loop"),
            "/to-other-private": lambda: self._redirect(f"http://127.0.0.2:{port}/img.png"),
            "/big": lambda: self._send(self.image + b"\0" * 5000),
            "/big-no-length": lambda: self._send(self.image + b"\0" * 5000, length=False),
            "/text": lambda: self._send(b"<html>not an image</html>", "text/html"),
            "/missing": lambda: self.send_error(404),
            "/stall": self._stall,
            "/drip": self._drip,
        }
        routes.get(self.path, lambda: self.send_error(404))()

    def _send(self, body: bytes, kind: str = "image/png", length: bool = True) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _stall(self) -> None:
        time.sleep(1.5)
        self._send(self.image)

    def _drip(self) -> None:
        self.send_response(200)
        self.end_headers()
        for _ in range(30):  # one byte every 0.1 s: never idle long enough for a read timeout
            self.wfile.write(b"\0")
            self.wfile.flush()
            time.sleep(0.1)

    def log_message(self, *args: object) -> None:
        pass

    def handle(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().handle()  # the client may give up on purpose (size cap, timeout)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


FAST = {"fetch_timeout": 0.5}


def test_fetch_success_is_cached_atomically_under_the_url_hash(server: str, tmp_path: Path) -> None:
    url = f"{server}/img.png"
    _Handler.hosts.clear()
    path = fetch_image(url, tmp_path, limits=limits(**FAST), allow_private=True)
    assert path == tmp_path / f"{cache_name(url)}.png"
    assert path.read_bytes() == _Handler.image
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp files left behind
    assert _Handler.hosts == [url.split("//")[1].split("/")[0]]  # connected by IP, Host header kept
    # Cached: a second call does not ask the server again.
    assert fetch_image(url, tmp_path, limits=limits(**FAST), allow_private=True) == path
    assert len(_Handler.hosts) == 1


def test_sheet_with_image_url(server: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    sheet = _image_sheet(tmp_path, f"{server}/hop1")  # two redirects, then the image
    result = read_sheet(sheet, image_cache=cache, limits=limits(**FAST), allow_private=True)
    (image,) = result.products[0].images
    assert Path(image).parent == cache and Image.open(image).size == (32, 32)
    assert result.warnings == []


def test_loopback_url_is_refused_without_contacting_the_server(server: str, tmp_path: Path) -> None:
    _Handler.hosts.clear()
    result = read_sheet(_image_sheet(tmp_path, f"{server}/img.png"), image_cache=tmp_path / "c", limits=limits(**FAST))
    assert result.products[0].images == []
    (warning,) = result.warnings
    assert "could not be fetched" in warning and "non-public address (127.0.0.1)" in warning
    assert _Handler.hosts == []  # refused before any connection
    assert not (tmp_path / "c").exists() or list((tmp_path / "c").iterdir()) == []


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/a.png", "http://localhost/a.png", "http://[::1]/a.png", "http://10.1.2.3/a.png",
     "http://192.168.0.1/a.png", "http://169.254.169.254/latest", "http://[::ffff:127.0.0.1]/a.png",
     "http://0.0.0.0/a.png", "http://2130706433/a.png", "http://224.0.0.1/a.png", "http://100.64.0.1/a.png",
     "ftp://example.com/a.png", "http://user:pw@example.com/a.png"],
)
def test_url_guard_refuses_non_public_targets(tmp_path: Path, url: str) -> None:
    with pytest.raises(FetchError, match="non-public address|only http|user name"):
        fetch_image(url, tmp_path, limits=limits(**FAST))  # refused before any connection


def test_address_classification() -> None:
    import ipaddress

    public = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"]
    private = ["127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.1.1", "100.64.0.1", "0.0.0.0",
               "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
               "::ffff:10.0.0.1", "2002:7f00:1::1"]
    assert all(is_public_address(ipaddress.ip_address(a)) for a in public)
    assert not any(is_public_address(ipaddress.ip_address(a)) for a in private)
    with pytest.raises(FetchError, match="non-public"):
        resolve_public("127.0.0.1", 80)
    assert str(resolve_public("127.0.0.1", 80, allow_private=True)) == "127.0.0.1"


def test_redirect_targets_are_rechecked(server: str, tmp_path: Path) -> None:
    # 127.0.0.1 is allowed for this test, 127.0.0.2 is not: the redirect must be checked again.
    with pytest.raises(FetchError, match=r"non-public address \(127\.0\.0\.2\)"):
        fetch_image(f"{server}/to-other-private", tmp_path, limits=limits(**FAST), allow_private={"127.0.0.1"})
    with pytest.raises(FetchError, match="more than 3 redirects"):
        fetch_image(f"{server}/loop", tmp_path, limits=limits(**FAST), allow_private=True)


@pytest.mark.parametrize(
    ("path", "overrides", "problem"),
    [
        ("/big", {"max_image_bytes": 1000}, "over the limit of 1,000"),
        ("/big-no-length", {"max_image_bytes": 1000}, "stopped"),
        ("/stall", {}, "0.5 s"),
        ("/drip", {}, "longer than 0.5 s"),
        ("/text", {}, "not an image"),
        ("/missing", {}, "HTTP 404"),
    ],
)
def test_fetch_limits(server: str, tmp_path: Path, path: str, overrides: dict, problem: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match=problem):
        fetch_image(f"{server}{path}", tmp_path, limits=limits(**FAST, **overrides), allow_private=True)
    assert time.monotonic() - started < 1.4  # the limit stopped it, not the server finishing
    assert list(tmp_path.iterdir()) == []  # nothing half-written in the cache


def test_yaml_python_tags_are_refused(tmp_path: Path) -> None:
    # safe_load: a sheet cannot make the reader build Python objects (or run commands).
    path = tmp_path / "p.yaml"
    path.write_text("- !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    with pytest.raises(SheetError, match="invalid YAML"):
        read_sheet(path)
