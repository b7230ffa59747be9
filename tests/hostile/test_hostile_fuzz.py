"""Generated sheets through `read_sheet`: never an exception other than SheetError, never a hang, and every
product row either becomes a Product or has a RowError.

Hypothesis builds sheets in every format the reader takes (CSV/TSV in UTF-8, UTF-8 with BOM, GB18030,
UTF-16 and a GBK/UTF-8 mix; XLSX; JSON; YAML), with Chinese and English column names and junk ones, cells
that carry prices in odd forms, bidi marks, emoji, line breaks, cue arrows, drawtext escapes and huge
numbers, 0–12 rows, and images that are fine, 16-bit, transparent, thin, broken, missing, outside the
folder or on a private address. Bounded for CI: 120 examples, each read under a 10 s alarm.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import signal
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from generator.settings import SheetLimits
from generator.sheets import SheetError, read_sheet

READ_SECONDS = 10
KNOWN = ["商品编码", "货号", "sku", "SKU", "商品名称", "品名", "title", "Name", "品牌", "brand", "类目", "原价", "价格",
         "price", "到手价", "sale_price", "卖点", "selling_points", "规格参数", "specs", "适用人群", "使用场景", "优惠信息",
         "offer", "主图", "images", "语言", "language", "币种", "currency", "原价（元）", "*商品名称", " Sale Price "]
ODD = ["\u202e", "\u2066", "\u200f", "\ufeff", "\x00", "\x1b", "\n", "\r\n", "-->", "%{localtime}", "%", "😀", "🔥",
       "\ufe0f", "\u2028", "¥", "$", "€", "元", "ＡＢ", "\t", '"', ",", "；", "<b>", "&", "\\", "../"]
PRICES = ["", "0", "-0", "¥129", "129元", "$5", "US$ 5.50", "5 USD", "€12", "HK$88", "RM 39", "฿199", "1,299.00",
          "１２９", "十元", "NaN", "Infinity", "1e999", "9" * 400, "-5", "$5 ¥5", "12元5角"]
IMAGES = ["good.png", "grey16.png", "cutout.png", "strip.png", "thin.png", "broken.png", "missing.png", "../outside.png",
          "http://127.0.0.1:9/x.png", "file:///etc/passwd", "C:\\x.png", "good.png；grey16.png"]
BIDI_AND_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\x00-\x08\x0b-\x1f\x7f]")


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="daihuo-fuzz-") as name:
        root = Path(name)
        Image.new("RGB", (64, 48), "red").save(root / "good.png")
        Image.fromarray(np.full((48, 64), 20000, dtype=np.uint16)).save(root / "grey16.png")
        Image.fromarray(np.zeros((32, 32, 4), dtype=np.uint8)).save(root / "cutout.png")
        Image.new("RGB", (2000, 20), "blue").save(root / "strip.png")
        Image.new("RGB", (3000, 2), "blue").save(root / "thin.png")
        (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3)
        yield root


texts = st.one_of(
    st.text(max_size=30),
    st.lists(st.sampled_from(ODD) | st.text(alphabet="保温杯ABCabc 12", max_size=6), max_size=6).map("".join),
    st.sampled_from(PRICES),
)
# Mostly sheets that can be read (a title column, often a SKU column), sometimes anything at all.
usable_headers = st.tuples(
    st.sampled_from(["商品编码", "sku", "货号", "SKU", None]), st.sampled_from(["商品名称", "title", "品名", "Name"]),
    st.lists(st.sampled_from(KNOWN) | st.text(max_size=8), max_size=6),
).map(lambda t: [h for h in (t[0], t[1], *t[2]) if h is not None]).flatmap(st.permutations)
headers = usable_headers | usable_headers | st.lists(st.sampled_from(KNOWN) | st.text(max_size=8), min_size=1, max_size=8)


@st.composite
def sheets(draw: st.DrawFn) -> tuple[str, list[str], list[list[object]]]:
    header = draw(headers)
    rows = draw(st.lists(st.lists(texts | st.sampled_from(IMAGES) | st.integers(-10, 10**6) | st.none(),
                                  min_size=0, max_size=len(header) + 1), max_size=12))
    fmt = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "mixed", "tsv", "xlsx", "json", "yaml"]))
    return fmt, header, rows


def _cell(value: object) -> object:
    return "" if value is None else value


def write_sheet(folder: Path, n: int, fmt: str, header: list[str], rows: list[list[object]]) -> Path:
    if fmt in ("json", "yaml"):
        items = [{h: v for h, v in zip(header, row, strict=False)} for row in rows]
        path = folder / f"s{n}.{fmt}"
        text = json.dumps(items, ensure_ascii=False) if fmt == "json" else yaml.safe_dump(items, allow_unicode=True)
        path.write_text(text, encoding="utf-8")
        return path
    if fmt == "xlsx":
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        for row in [header, *rows]:
            sheet.append([_xlsx_safe(v) for v in row])
        path = folder / f"s{n}.xlsx"
        workbook.save(path)
        return path
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter="\t" if fmt == "tsv" else ",").writerows([header, *[[_cell(v) for v in r] for r in rows]])
    text = buffer.getvalue()
    if fmt == "mixed":
        head, _, rest = text.partition("\n")
        data = head.encode("gb18030") + b"\n" + rest.encode("utf-8", "surrogatepass")
    else:
        data = text.encode({"tsv": "utf-8"}.get(fmt, fmt), "surrogatepass")
    path = folder / f"s{n}.{'tsv' if fmt == 'tsv' else 'csv'}"
    path.write_bytes(data)
    return path


_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xlsx_safe(value: object) -> object:
    # XML cannot hold these at all; openpyxl refuses them when writing, so no workbook can carry them.
    return _ILLEGAL_XML.sub("", value) if isinstance(value, str) else value


class Hang(Exception):
    pass


@contextlib.contextmanager
def alarm(seconds: int) -> Iterator[None]:
    def ring(*_: object) -> None:
        raise Hang(f"read_sheet ran for more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _non_empty(values: list[object]) -> bool:
    """A row that is certainly not empty: some cell holds a letter or digit."""
    return any(any(unicodedata.category(ch)[0] in "LN" for ch in str(v)) for v in values if v is not None)


COUNTER = iter(range(10**9))


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(sheet=sheets())
def test_generated_sheets_never_crash_hang_or_lose_a_row(folder: Path, sheet: tuple[str, list[str], list[list[object]]]) -> None:
    fmt, header, rows = sheet
    path = write_sheet(folder, next(COUNTER), fmt, header, rows)
    limits = SheetLimits(fetch_timeout=1.0, fetch_budget=2.0)
    try:
        with alarm(READ_SECONDS):
            result = read_sheet(path, image_cache=folder / "cache", limits=limits, allow_private={"127.0.0.1"})
    except SheetError as exc:
        assert "\n" not in str(exc) and "Traceback" not in str(exc)
        return
    found = {p.row for p in result.products} | {e.row for e in result.errors}
    moved = re.search(r"column names were found in row (\d+)", " ".join(result.warnings))
    first = int(moved.group(1)) if moved else 1
    for index, row in enumerate(rows, start=1):
        number = index if fmt in ("json", "yaml") else index + 1  # items count from 1; the header is row 1
        if fmt in ("json", "yaml"):
            row = list(dict(zip(header, row, strict=False)).values())  # what the item holds
        if _non_empty(row) and number > first:
            assert number in found, (number, row, result)
    for product in result.products:
        assert product.sku and product.title
        assert not BIDI_AND_CONTROLS.search(product.title + product.offer + "".join(product.selling_points))
        assert "\n" not in product.title
        for image in product.images:
            with Image.open(image) as im:
                assert im.mode in ("RGB", "L", "P", "1") and min(im.size) >= 16
    for line in [*map(str, result.errors), *result.warnings]:
        assert "\n" not in line and "Traceback" not in line, line
