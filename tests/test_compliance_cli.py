"""`daihuo lint`: JSON lines, exit codes, categories, stdin and files."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from generator.cli import app

runner = CliRunner()


def test_lint_json_gives_one_object_per_input_line_and_fails_on_block() -> None:
    text = "全网最低价，只要99元\n最近天气干燥\n\nThe best serum, guaranteed\n"
    result = runner.invoke(app, ["lint", "--json", "-"], input=text.encode("utf-8"))
    assert result.exit_code == 1, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 3, 4]
    assert rows[0]["text"] == "全网最低价，只要99元"
    assert rows[0]["findings"] == [{"term": "全网最低价", "rule": "general/price", "category": "price",
                                    "severity": "block", "start": 0, "end": 5, "suggestion": "活动价"}]
    assert rows[1]["findings"] == [] and rows[2]["findings"] == []
    assert [f["term"] for f in rows[3]["findings"]] == ["The best", "guaranteed"]


def test_lint_exit_zero_without_blocking_findings(tmp_path: Path) -> None:
    clean = tmp_path / "clean.txt"
    clean.write_text("最近天气干燥，记得补水\n限时优惠，到手价99元\n", encoding="utf-8")
    result = runner.invoke(app, ["lint", str(clean)])
    assert result.exit_code == 0, result.output  # 限时 is only a warning
    assert "限时" in result.stdout and "0 blocking" in result.stdout


def test_lint_category_switches_rule_sets_and_reads_gbk(tmp_path: Path) -> None:
    f = tmp_path / "gbk.txt"
    f.write_bytes("祛痘精华，温和不刺激\n".encode("gbk"))
    assert runner.invoke(app, ["lint", "--json", str(f)]).exit_code == 0
    result = runner.invoke(app, ["lint", "--json", "--category", "美妆", str(f)])
    finding = json.loads(result.stdout)["findings"][0]
    assert (finding["term"], finding["severity"], finding["suggestion"]) == ("祛痘", "review", "净肤")


def test_lint_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lint", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2


# -- sheets ---------------------------------------------------------------------------------------------

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_lint_sheet_lists_findings_by_row_and_column_and_fails_on_block() -> None:
    result = runner.invoke(app, ["lint", str(EXAMPLES / "banned_claims.csv")])
    assert result.exit_code == 1, result.output
    out = " ".join(result.stdout.split())  # rich wraps long lines
    assert 'row 2, 商品名称: "全网最低价美白精华" — ' in out and '「全网最低价」; rewrite: "活动价提亮肤色"' in out
    assert 'row 3, 卖点: "调节肠道菌群；100%有效，根治便秘" — 广告法第十七条 疾病当作功效「根治便秘」' in out
    assert "row 4" not in out  # OK-03 is clean
    assert "3 row(s)" in out and "blocking" in out


def test_lint_sheet_lists_rows_that_cannot_be_made(tmp_path: Path) -> None:
    """The pre-check says what `daihuo make` would skip (a price that is not a number, an empty name), by row and
    field, next to the claims; such a row fails the pre-check even when no claim blocks."""
    sheet = tmp_path / "rows.csv"
    sheet.write_text("商品名称,价格,卖点\n保温杯,abc,保温12小时\n,39,轻便好带\n陶瓷碗,29,微波炉可用\n", encoding="utf-8")
    result = runner.invoke(app, ["lint", str(sheet)])
    out = " ".join(result.stdout.split())
    assert result.exit_code == 1, out
    assert "row error:" in out and "row 2, field '价格': 'abc' is not a number" in out
    assert "row 3, field '商品名称'" in out and "2 row error(s)" in out
    data = json.loads(runner.invoke(app, ["lint", "--json", str(sheet)]).stdout)
    assert [(e["row"], e["field"]) for e in data["row_errors"]] == [(2, "价格"), (3, "商品名称")]
    assert data["blocking"] == 0


def test_lint_sheet_json_and_clean_sheet(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lint", "--json", str(EXAMPLES / "banned_claims.csv")])
    data = json.loads(result.stdout)
    assert result.exit_code == 1 and data["blocking"] >= 5 and data["rows"] == 3
    first = data["findings"][0]
    assert {"row", "column", "text", "term", "family", "basis", "rewrite", "severity"} <= set(first)
    disease = {(f["row"], f["column"], f["term"], f["basis"]) for f in data["findings"] if f["family"] == "disease"}
    assert (3, "卖点", "根治便秘", "广告法第十七条") in disease
    assert runner.invoke(app, ["lint", str(EXAMPLES / "products.csv")]).exit_code == 0


def test_lint_reads_every_sheet_format_and_uses_each_rows_evidence(tmp_path: Path) -> None:
    """JSON lists, YAML, XLSX; a 国妆特字 number in a row's specs clears that row's whitening claim only."""
    import openpyxl
    import yaml

    rows = [
        {"sku": "W-1", "title": "美白精华液", "category": "美妆", "selling_points": ["淡斑提亮", "质地清爽"],
         "specs": {"特殊化妆品注册证": "国妆特字G20230123"}},
        {"sku": "W-2", "title": "美白精华液", "category": "美妆", "selling_points": ["淡斑提亮"]},
    ]
    (tmp_path / "s.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(rows, allow_unicode=True), encoding="utf-8")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["商品编码", "商品名称", "类目", "卖点", "规格参数"])
    sheet.append(["W-1", "美白精华液", "美妆", "淡斑提亮", "特殊化妆品注册证:国妆特字G20230123"])
    sheet.append(["W-2", "美白精华液", "美妆", "淡斑提亮", "净含量:30ml"])
    book.save(tmp_path / "s.xlsx")
    for name in ("s.json", "s.yaml", "s.xlsx"):
        result = runner.invoke(app, ["lint", "--json", str(tmp_path / name)])
        data = json.loads(result.stdout)
        special = [f for f in data["findings"] if f["family"] == "special_cosmetic"]
        assert result.exit_code == 1, name
        assert special and {f["row"] for f in special} == {3 if name == "s.xlsx" else 2}, (name, special)
        assert any(f["column"].startswith(("卖点", "selling_points")) for f in special), name


def test_lint_unreadable_sheet_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "empty.csv"
    bad.write_bytes(b"")
    result = runner.invoke(app, ["lint", str(bad)])
    assert result.exit_code == 2 and "empty" in result.output
