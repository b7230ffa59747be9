"""Hostile sheets, measured: how long reading each takes and how much memory it costs, in a fresh child each.

    python bench/hostile.py                       # this checkout
    python bench/hostile.py --code /path/to/old   # another checkout's generator/ (e.g. before a fix), side by side

Each read runs in its own process (tests/hostile/measure.py) under a time limit and an address-space cap, so
a bomb that would take the machine down shows as "killed" instead. Memory is the child's peak RSS above its
peak after importing the readers. See tests/hostile/README.md for what each case is.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.hostile.builders import (  # noqa: E402
    HEADER,
    csv_bytes,
    inline_row,
    write_xlsx,
    xlsx_padding_bomb,
    xlsx_sheet_xml,
    yaml_alias_bomb,
)
from tests.hostile.measure import measure_read  # noqa: E402


def _text(name: str, text: str) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        (folder / name).write_text(text, encoding="utf-8")
        return folder / name
    return build


def _bytes(name: str, data: Callable[[], bytes]) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        (folder / name).write_bytes(data())
        return folder / name
    return build


CASES: dict[str, Callable[[Path], Path]] = {
    "xlsx: 1 GiB of padding in 1 MB": lambda d: xlsx_padding_bomb(d / "bomb.xlsx", 1 << 30),
    "xlsx: dimension A1:XFD1048576": lambda d: xlsx_sheet_xml(
        d / "dim.xlsx", inline_row(1, HEADER) + inline_row(2, ["A1", "杯子", 10, "好"])
        + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', dimension="A1:XFD1048576"),
    "xlsx: 1M empty rows, then a product": lambda d: xlsx_sheet_xml(
        d / "gap.xlsx", inline_row(1, HEADER) + inline_row(2, ["A1", "杯子", 10, "好"])
        + "".join(f'<row r="{i}"><c r="A{i}" s="0"/></row>' for i in range(3, 1_000_003))
        + inline_row(1_000_003, ["A2", "碗", 5, "好"]), dimension="A1:D1000003"),
    "xlsx: 5000 columns": lambda d: write_xlsx(d / "wide.xlsx", [HEADER + [f"j{i}" for i in range(5000)],
                                                                 ["A1", "杯子", 10, "好"] + ["x"] * 5000]),
    "yaml: alias bomb (492 bytes)": _text("bomb.yaml", yaml_alias_bomb(9)),
    "json: 100,000 nested brackets": _text("deep.json", "[" * 100_000 + "]" * 100_000),
    "json: 2.5M numbers": _text("ints.json", "[" + "1," * 2_500_000 + "1]"),
    "csv: 1M empty rows, then a product": _bytes("gap.csv", lambda: csv_bytes([HEADER, ["A1", "杯子", "1", "好"]])
                                                 + b",,,\r\n" * 1_000_000 + csv_bytes([["A2", "碗", "5", "好"]])),
    "csv: header of 200,000 commas": _text("commas.csv", "商品编码,商品名称" + "," * 200_000 + "\nA1,杯子\n"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose generator/ reads the sheets")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    print(f"{'case':40} {'seconds':>8} {'extra MB':>9}  answer")
    with tempfile.TemporaryDirectory(prefix="daihuo-hostile-bench-") as name:
        for label, build in CASES.items():
            path = build(Path(name))
            m = measure_read(path, timeout=args.timeout, code=args.code)
            answer = m.answer.get("raised") or f"{m.answer.get('products')} product(s), {m.answer.get('error_count')} row error(s)"
            seconds = "killed" if m.killed and m.answer.get("raised") == "Timeout" else f"{m.seconds:.2f}"
            print(f"{label:40} {seconds:>8} {m.extra_mb:>9.0f}  {answer}")


if __name__ == "__main__":
    main()
