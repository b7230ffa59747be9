"""A disease claim by a general food / pet food or an ordinary cosmetic: ONE finding citing both articles.

Labelling rules of 2026-11-28 (docs/compliance.md, "Learning from v11"): such a line is `disease|health_function`
(食品安全法第七十三条) or `disease|cosmetic_medical` (化妆品监督管理条例第三十七条); a registered 保健食品 keeps
`disease` alone. These tests read what the reviewer, `daihuo lint` and the batch report really return.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from generator.cli import app
from generator.compliance.report import batch_report
from generator.compliance.review import review_text
from generator.models import ComplianceReport, Finding

runner = CliRunner()


def _blocking(text: str, category: str) -> list[Finding]:
    return [f for f in review_text(text, category=category) if f.severity != "warn"]


def _cited(findings: list[Finding]) -> list[tuple[str, list[str]]]:
    return [(f.category, [a.category for a in f.also]) for f in findings]


def test_a_pet_food_disease_claim_is_one_finding_that_also_cites_the_health_function_rule() -> None:
    for category in ("猫粮", "宠物食品", "宠物"):  # 宠物 alone is a shelf: the line names 猫粮
        found = _blocking("这款猫粮能预防猫咪泌尿结石", category)
        assert _cited(found) == [("disease", ["health_function"])], (category, found)
        assert found[0].basis.startswith("广告法第十七条") and found[0].also[0].basis == "食品安全法第七十三条"


def test_a_general_food_cites_both_a_registered_health_food_only_the_disease() -> None:
    assert _cited(_blocking("蜂蜜专治慢性咽炎", "蜂蜜")) == [("disease", ["health_function"])]
    assert _cited(_blocking("这款胶囊能治疗失眠", "保健食品")) == [("disease", [])]


def test_an_ordinary_cosmetic_cites_the_medical_effect_rule_toothpaste_included() -> None:
    for text, category in (("这支牙膏专治牙周炎", "牙膏"), ("这支牙膏专治牙周炎", "口腔护理"),
                           ("这支牙膏专治牙周炎", "个护"), ("面霜能治好湿疹", "护肤")):
        found = _blocking(text, category)
        assert ("disease", ["cosmetic_medical"]) in _cited(found), (text, category, found)
        assert all(a.basis == "化妆品监督管理条例第三十七条" for f in found for a in f.also)


def test_a_shelf_category_reads_the_goods_the_line_names() -> None:
    # 个护 also sells 艾草贴, 宠物 cat litter and shampoo: a disease claim there is a disease claim alone
    assert _cited(_blocking("这个艾草贴专治颈椎病", "个护")) == [("disease", [])]
    assert _cited(_blocking("这款猫砂还能预防猫咪尿路结石", "宠物")) == [("disease", [])]
    assert _cited(_blocking("狗狗皮肤病用这款沐浴露", "宠物")) == [("disease", [])]
    assert _cited(_blocking("这款益生菌可以治疗宝宝湿疹", "母婴")) == [("disease", ["health_function"])]
    assert _cited(_blocking("这款枕头能治疗颈椎病", "家居")) == [("disease", [])]


def test_the_finding_json_only_gains_a_field() -> None:
    old = {"term": "根治", "rule": "disease/x", "category": "disease", "severity": "block", "start": 0, "end": 2}
    assert Finding.model_validate(old).also == []
    new = _blocking("这款猫粮能预防猫咪泌尿结石", "猫粮")[0].model_dump()
    assert set(old) <= set(new) and new["also"][0]["category"] == "health_function"


def test_lint_text_and_sheet_show_both_articles(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lint", "--category", "猫粮", "-"], input="这款猫粮能预防猫咪泌尿结石\n".encode())
    assert result.exit_code == 1
    assert "广告法第十七条" in result.stdout and "食品安全法第七十三条" in result.stdout
    assert "1 finding(s), 1 blocking" in result.stdout, result.stdout  # one finding, read once
    rows = [json.loads(line) for line in runner.invoke(
        app, ["lint", "--json", "--category", "猫粮", "-"], input="这款猫粮能预防猫咪泌尿结石\n".encode()).stdout.splitlines()]
    assert [a["category"] for f in rows[0]["findings"] for a in f.get("also", [])] == ["health_function"]

    sheet = tmp_path / "sheet.csv"
    sheet.write_text("商品编码,商品名称,类目,原价,卖点\nT-1,美白牙膏,牙膏,29,专治牙周炎\n", encoding="utf-8")
    result = runner.invoke(app, ["lint", str(sheet)])
    line = next(ln for ln in result.stdout.splitlines() if "专治牙周炎" in ln)
    assert "广告法第十七条" in line and "化妆品监督管理条例第三十七条" in line, result.stdout
    data = json.loads(runner.invoke(app, ["lint", "--json", str(sheet)]).stdout)
    assert any(a["basis"] == "化妆品监督管理条例第三十七条" for f in data["findings"] for a in f["also"])


def test_the_batch_report_shows_both_articles_on_one_row() -> None:
    findings = [f.model_copy(update={"where": "narration[0]"}) for f in _blocking("蜂蜜专治慢性咽炎", "蜂蜜")]
    md = batch_report([("SKU-1", 1, ComplianceReport(policy="block", findings=findings, blocked=True))])
    rows = [ln for ln in md.splitlines() if ln.startswith("| narration[0]")]
    assert len(rows) == 1, md  # one row a merchant reads once, with the disease rule and both articles' reasons
    assert "`disease/" in rows[0] and "另违反 also 食品安全法第七十三条" in rows[0], md


def test_cantonese_copy_is_read_in_mandarin_and_reported_on_what_was_written() -> None:
    text = "呢支面霜搽落去，暗疮消得好快，仲唔会留印"
    found = _blocking(text, "护肤")
    assert _cited(found) == [("disease", ["cosmetic_medical"])], found
    assert text[found[0].start:found[0].end] == found[0].term == "暗疮"
    drink = _blocking("呢款红豆薏米水饮咗之后，我啲湿疹都冇再出过", "饮料")
    assert ("disease", ["health_function"]) in _cited(drink)
    assert _blocking("呢款奶茶茶底好香，甜度可以调", "饮料") == []  # Cantonese, lawful
    assert _blocking("你呢？这款面霜很好推开", "护肤") == []  # Mandarin 呢 is left as written


def test_a_work_or_course_about_an_illness_is_not_a_disease_claim() -> None:
    for text, category in (("《抗癌日记》，作者记录了陪母亲治疗的三年", "图书"),
                           ("高血压患者居家护理在线课程，主讲为执业护士", "教育"),
                           ("阿尔茨海默病家属照护课程，共12讲", "教育"),
                           ("母婴护理师培训，教你观察新生儿黄疸的方法", "教育")):
        assert _blocking(text, category) == [], text
    # a course or a book that promises the illness gone is still a disease claim
    assert any(f.category == "disease" for f in _blocking("报名我们的站桩养生课，高血压、糖尿病都能调理好", "教育"))
    assert any(f.category == "disease" for f in _blocking("高血压课程学完，降压药都停了，高血压治好了", "教育"))
