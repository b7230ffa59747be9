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
