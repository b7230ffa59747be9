"""Lexicon review: matching robustness, offsets, the three policies, disclosures, exemptions, the report."""

from __future__ import annotations

import time

import pytest

from generator.compliance.lexicon import LexiconError, category_names, parse_ruleset
from generator.compliance.matcher import Matcher
from generator.compliance.prompt import rules_for_prompt
from generator.compliance.report import batch_report
from generator.compliance.review import fix_text, review_script, review_text
from generator.models import Beat, Line, PlatformCopy, Product, Script


def _terms(text: str, category: str = "") -> list[str]:
    return [f.term for f in review_text(text, category=category)]


@pytest.mark.parametrize("text,term", [
    ("全 网 最 低 价", "全 网 最 低 价"),          # spaces inserted
    ("全·网·最·低·价", "全·网·最·低·价"),          # punctuation inserted
    ("全網最低價", "全網最低價"),                  # traditional characters
    ("ＴＯＰ１爆款", "ＴＯＰ１"),                    # full-width letters and digits
    ("第①名", "第①名"),                          # circled digit
    ("b e s t quality", "b e s t"),              # spelled-out English
])
def test_evasive_spellings_map_back_to_the_original_text(text: str, term: str) -> None:
    findings = review_text(f"前言：{text}！")
    assert [f.term for f in findings] == [term]
    f = findings[0]
    assert f"前言：{text}！"[f.start:f.end] == term


def test_findings_carry_rule_severity_reason_and_suggestion() -> None:
    (f,) = review_text("全网最低价")
    assert (f.rule, f.category, f.severity, f.suggestion) == ("general/price", "price", "block", "活动价")
    assert "价格" in f.reason


def test_categories_map_chinese_and_english_names() -> None:
    assert category_names("美妆") == ["cosmetics"]
    assert category_names("Skincare") == ["cosmetics"]
    assert category_names("保健食品") == ["health_food"]  # not also ordinary food
    assert category_names("零食") == ["food"]
    assert category_names("医疗器械") == ["medical_device"]
    assert category_names("理财") == ["finance"]
    assert category_names("婴幼儿配方奶粉") == ["infant_formula"]
    assert category_names("数码") == []


def test_category_rules_only_apply_to_their_category() -> None:
    assert _terms("祛痘精华", "美妆") == ["祛痘"]
    assert _terms("祛痘精华", "数码") == []
    assert _terms("每天一杯，增强免疫力", "食品") == ["增强免疫力"]
    assert _terms("每天一杯，有助于增强免疫力", "保健食品") == []          # the catalogue wording
    assert _terms("每天一杯，有助于增强免疫力", "食品") == ["增强免疫力"]   # ordinary food may not claim it
    assert _terms("治疗颈椎病", "医疗器械") == []                          # devices may state their use
    assert _terms("治疗颈椎病", "家居") == ["治疗颈椎病"]                  # Art. 17, whatever the category


@pytest.mark.parametrize("before,after", [
    ("全网最低价，只要99元！", "活动价，只要99元！"),
    ("这款面霜最好用", "这款面霜很好用"),
    ("史上最强吸力", "超强吸力"),
    ("这款医生推荐的面霜", "这款面霜"),
    ("好用，还能防癌", "好用"),
    ("销量第一的保温杯", "热销的保温杯"),
    ("The BEST serum, guaranteed results.", "A great serum, results."),
    ("This cream cures acne", "This cream soothes acne"),
])
def test_fix_rewrites_to_natural_text(before: str, after: str) -> None:
    from generator.compliance.matcher import matcher_for_category

    assert fix_text(before, matcher_for_category("")) == after


def _script() -> Script:
    return Script(
        sku="A1",
        beats=[
            Beat(kind="hook", lines=[Line(text="全网最低价！", caption="全网最低价"), Line(text="补水保湿不油腻")]),
            Beat(kind="proof", lines=[Line(text="祛痘消炎，效果立竿见影"), Line(text="已有10万人购买"),
                                      Line(text="完美日记出品")]),
            Beat(kind="cta", lines=[Line(text="点击下方链接")]),
        ],
        copy_by_platform={"douyin": PlatformCopy(title="最好用的面霜", description="顶级配方",
                                                 hashtags=["#全网最低价", "#面霜", "#100%"])},
    )


PRODUCT = Product(sku="A1", title="玻尿酸面霜", brand="完美日记", category="护肤")


def test_fix_policy_rewrites_everything_and_records_each_change() -> None:
    script = _script()
    out, report = review_script(script, PRODUCT, "fix")
    assert not report.blocked and report.policy == "fix" and report.reviewer == "lexicon"
    texts = [ln.text for ln in out.lines()]
    assert texts == ["活动价！", "补水保湿不油腻", "净肤舒缓", "完美日记出品", "点击下方链接"]
    assert out.lines()[0].caption == "活动价"
    assert out.copy_by_platform["douyin"].title == "很好用的面霜"
    assert out.copy_by_platform["douyin"].hashtags == ["#活动价", "#面霜"]
    wheres = {r["where"] for r in report.rewrites}
    assert {"narration[0]", "caption[0]", "narration[2]", "narration[3]", "title:douyin",
            "description:douyin", "hashtag:douyin[0]", "hashtag:douyin[2]"} <= wheres
    assert {"where": "narration[0]", "before": "全网最低价！", "after": "活动价！"} in report.rewrites
    # the brand 完美日记 is a trademark, not the banned 完美
    assert not [f for f in report.findings if f.term == "完美"]
    assert script.lines()[0].text == "全网最低价！"  # the input is not modified
    # reviewing the output again finds nothing that blocks
    _, again = review_script(out, PRODUCT, "block")
    assert not again.blocked


def test_block_policy_stops_with_reasons_and_changes_nothing() -> None:
    script = _script()
    out, report = review_script(script, PRODUCT, "block")
    assert report.blocked
    assert out == script and not report.rewrites
    assert any(f.term == "全网最低价" and f.where == "narration[0]" for f in report.findings)


def test_warn_policy_only_reports() -> None:
    out, report = review_script(_script(), PRODUCT, "warn")
    assert not report.blocked and not report.rewrites and out == _script()
    assert len(report.findings) >= 8


def test_health_food_gets_its_disclosure_and_catalogue_wording() -> None:
    product = Product(sku="H1", title="鱼油软胶囊", category="保健食品")
    script = Script(sku="H1", beats=[Beat(kind="hook", lines=[Line(text="每天两粒，增强免疫力")])])
    out, report = review_script(script, product, "fix")
    assert report.disclosures == ["本品不能代替药物"]
    assert out.lines()[0].text == "每天两粒，有助于增强免疫力"


def test_ranking_is_exempt_when_the_sheet_gives_period_and_source() -> None:
    script = Script(sku="B", beats=[Beat(kind="proof", lines=[Line(text="销量第一的面霜")])])
    plain = Product(sku="B", title="面霜", category="美妆")
    sourced = plain.model_copy(update={"selling_points": ["2024年天猫面霜类目销量第一（数据来源：天猫2024年度榜单）"]})
    assert review_script(script, plain, "block")[1].blocked
    assert not review_script(script, sourced, "block")[1].findings


def test_infant_formula_cannot_be_advertised_even_with_fix() -> None:
    product = Product(sku="F", title="婴儿配方奶粉1段", category="婴幼儿配方")
    script = Script(sku="F", beats=[Beat(kind="hook", lines=[Line(text="宝宝爱喝")])])
    _, report = review_script(script, product, "fix")
    assert report.blocked
    assert any(f.where.startswith("product") and f.rule == "infant_formula/breast-milk-substitute"
               for f in report.findings)


def test_batch_report_lists_skus_findings_and_rewrites() -> None:
    _, fixed = review_script(_script(), PRODUCT, "fix")
    _, blocked = review_script(_script(), PRODUCT, "block")
    md = batch_report([("A1", 1, fixed), ("A1", 2, blocked)])
    assert md.startswith("# 合规审核报告")
    assert "## A1 · v1" in md and "## A1 · v2" in md
    assert "全网最低价" in md and "活动价" in md and "已拦截" in md
    assert "| narration[0] | 全网最低价！ | 活动价！ |" in md
    assert "批次没有脚本" in batch_report([])


def test_lexicon_errors_name_the_problem() -> None:
    with pytest.raises(LexiconError, match="missing"):
        parse_ruleset({"name": "x", "rules": [{"id": "r"}]}, "x.yaml")
    with pytest.raises(LexiconError, match="bad regex"):
        parse_ruleset({"name": "x", "rules": [{"id": "r", "category": "c", "label": "l", "severity": "block",
                                               "reason": "r", "patterns": [{"re": "("}]}]}, "x.yaml")
    custom = parse_ruleset({"name": "x", "always": True, "rules": [
        {"id": "r", "category": "c", "label": "l", "severity": "block", "reason": "why", "terms": [{"爆款王": ["热门款"]}]}]})
    hits = Matcher((custom,)).find("今日爆款王")
    assert [(h.term, h.replace) for h in hits] == [("爆款王", ("热门款",))]


def test_prompt_rules_name_terms_and_disclosures() -> None:
    text = rules_for_prompt("保健食品")
    assert "全网最低价" in text and "本品不能代替药物" in text
    assert "best" in rules_for_prompt("", language="en")


def test_review_is_fast_enough_for_every_script() -> None:
    review_text("预热")  # build the matcher and the tokenizer once
    start = time.perf_counter()
    for _ in range(20):
        review_script(_script(), PRODUCT, "fix")
    assert (time.perf_counter() - start) / 20 < 0.25
