"""Hostile inputs, built small and on the spot: bombs, odd encodings, odd images, odd workbooks.

Every builder writes real files (a real zip, real XML, real PNG bytes) so the readers meet them exactly as
a merchant's upload would arrive.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import openpyxl
from PIL import Image

HEADER = ["商品编码", "商品名称", "价格", "卖点"]


def csv_bytes(rows: Sequence[Sequence[object]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def write_csv(path: Path, rows: Sequence[Sequence[object]], encoding: str = "utf-8") -> Path:
    path.write_bytes(csv_bytes(rows, encoding))
    return path


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[object]], *, merges: Sequence[str] = ()) -> Path:
    """A workbook as openpyxl writes it: formulas ("=B2*2") are stored without a cached value."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    for ref in merges:
        sheet.merge_cells(ref)
    workbook.save(path)
    return path


def rewrite_zip_entry(path: Path, name: str, transform: Callable[[bytes], bytes | Callable[[zipfile.ZipFile], None]]) -> Path:
    """Copy the workbook at PATH with entry NAME replaced by transform(old bytes)."""
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info.filename)) for info in src.infolist()]
    tmp = path.with_suffix(".tmp.zip")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in entries:
            if info.filename == name:
                new = transform(data)
                if callable(new):
                    new(dst)
                    continue
                data = new
            dst.writestr(info.filename, data)
    tmp.replace(path)
    return path


def xlsx_padding_bomb(path: Path, padding_bytes: int) -> Path:
    """A small workbook whose sheet XML holds PADDING_BYTES of whitespace inside <sheetData>.

    Deflate packs the padding about 1000:1, so 1 GB of padding is about 1 MB on disk. The entry is
    streamed into the zip chunk by chunk, so building it needs little memory."""
    write_xlsx(path, [HEADER, ["A1", "杯子", 10, "好"]])

    def pad(xml: bytes) -> Callable[[zipfile.ZipFile], None]:
        head, tail = xml.split(b"<sheetData>", 1)

        def write(dst: zipfile.ZipFile) -> None:
            with dst.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
                f.write(head + b"<sheetData>")
                chunk = b" " * (1 << 22)
                left = padding_bytes
                while left > 0:
                    f.write(chunk[: min(left, len(chunk))])
                    left -= len(chunk)
                f.write(tail)
        return write

    return rewrite_zip_entry(path, "xl/worksheets/sheet1.xml", pad)


def xlsx_sheet_xml(path: Path, sheet_data: str, *, dimension: str = "A1:D2", prolog: str = "", extra: str = "") -> Path:
    """A workbook whose sheet1.xml is written by hand (for what openpyxl itself would never write)."""
    write_xlsx(path, [HEADER])
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           f'<dimension ref="{dimension}"/><sheetData>{sheet_data}</sheetData>{extra}</worksheet>')
    return rewrite_zip_entry(path, "xl/worksheets/sheet1.xml", lambda _old: xml.encode("utf-8"))


def inline_row(number: int, values: Sequence[object], *, first_column: int = 1) -> str:
    cells = []
    for i, value in enumerate(values):
        ref = f"{column_letter(first_column + i)}{number}"
        if isinstance(value, (int, float)):
            cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        else:
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def yaml_alias_bomb(levels: int = 9) -> str:
    """The classic "billion laughs" in YAML: under 1 KB, 9**levels strings once expanded."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines.append("products:")
    lines.append(f"  - {{sku: X1, title: 杯子, selling_points: *a{levels - 1}}}")
    return "\n".join(lines) + "\n"


def png_16bit_grey(path: Path, size: tuple[int, int] = (64, 48), level: int = 16000) -> Path:
    """A 16-bit greyscale PNG at LEVEL/65535 (dark grey by default)."""
    Image.fromarray(np.full((size[1], size[0]), level, dtype=np.uint16)).save(path, "PNG")
    return path


def png_rgba_cutout(path: Path, size: tuple[int, int] = (64, 64)) -> Path:
    """A product cut-out: a red square on a fully transparent background (transparent pixels are black)."""
    pixels = np.zeros((size[1], size[0], 4), dtype=np.uint8)
    h, w = size[1], size[0]
    pixels[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4] = (220, 30, 30, 255)
    Image.fromarray(pixels).save(path, "PNG")
    return path


def deflate_ratio(data: bytes) -> float:
    return len(data) / max(1, len(zlib.compress(data)))
