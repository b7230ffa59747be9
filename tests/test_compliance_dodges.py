"""The filter-dodge reader, observed through the reviewer's real output (review_text and `daihuo lint`'s engine).

A dodged form (pinyin syllables or initials standing in for part of a banned word) must be reported on the span the
merchant wrote, with the hidden word named in the reason; lawful latin (brands, slang, SPF/PA ratings, codes,
ingredient names, pinyin that spells nothing of ours) must raise nothing.
"""

from __future__ import annotations

import pytest

from generator.compliance.review import review_text

DODGED = [
    # text, category, the span reported, the hidden word named, the family
    ("这款绞股蓝茶能jiang糖，爸妈都爱喝", "茶叶", "jiang糖", "降糖", "disease"),
    ("这款胶囊可以kang癌", "保健食品", "kang癌", "抗癌", "disease"),
    ("m白精华，暗沉黄皮看过来", "护肤", "m白精华", "美白精华", "special_cosmetic"),
    ("fang晒霜不搓泥不闷痘", "护肤", "fang晒霜", "防晒霜", "special_cosmetic"),
    ("这不是普通面霜，是y-a-o妆", "护肤", "y-a-o妆", "药妆", "cosmetic_medical"),
    ("这款燕窝能提高mian疫力", "食品", "提高mian疫力", "提高免疫力", "health_function"),
    ("告别三gao，从换一桶油开始", "粮油", "三gao", "三高", "disease"),
    ("tang尿病人放心吃的燕麦片", "粮油", "tang尿病", "糖尿病", "disease"),
    ("q斑精华，熬夜肌也能用", "护肤", "q斑", "祛斑", "special_cosmetic"),
    ("生姜防tuo洗发水", "个护", "防tuo", "防脱", "special_cosmetic"),
]


@pytest.mark.parametrize(("text", "category", "span", "hidden", "family"), DODGED)
def test_a_dodged_word_is_found_with_the_word_it_hides(text: str, category: str, span: str, hidden: str,
                                                       family: str) -> None:
    findings = [f for f in review_text(text, category=category) if f.category == family]
    assert findings, (text, [(f.term, f.category) for f in review_text(text, category=category)])
    f = findings[0]
    assert span in f.term and text[f.start:f.end] == f.term
    assert hidden in f.reason and f"「{f.term}」读作" in f.reason


LAWFUL = [
    ("yyds！这款奶茶我能喝一辈子", "饮品"),
    ("防晒霜SPF50+ PA++++，国妆特字G20230123，户外两小时补涂", "护肤"),
    ("型号KQ-2305B，支持Type-C快充", "数码"),
    ("成分：Niacinamide、Hyaluronic Acid、Ceramide", "护肤"),
    ("Anta安踏跑鞋，轻便透气", "鞋靴"),
    ("Meiji明治巧克力，办公室零食", "零食"),
    ("T恤宽松版型，M码L码XL码都有", "服装"),
    ("Q弹的手打鱼丸，火锅必备", "食品"),
    ("A醇精华，建议晚上使用并做好防晒", "护肤"),
    ("K金项链，AU750，附鉴定证书", "配饰"),
    ("5G手机，256GB大内存", "数码"),
    ("jiang湖菜馆同款辣酱", "食品"),
    ("mei天一杯，元气满满", "饮料"),
    ("尺码最小S，最大3XL", "服装"),
    ("最小尺码是S，最大到3XL", "服装"),
    ("货号YS-2024-088，七天无理由退换", "服装"),
]


@pytest.mark.parametrize(("text", "category"), LAWFUL)
def test_lawful_latin_raises_nothing(text: str, category: str) -> None:
    found = [(f.term, f.category, f.reason[:30]) for f in review_text(text, category=category) if f.severity != "warn"]
    assert found == []


def test_separators_inside_a_word_are_read_through() -> None:
    for text in ("美/白精华，素颜也透亮", "祛*斑霜，黄脸婆也能逆袭", "美 白 身 体 乳，夏天必备"):
        assert any(f.category == "special_cosmetic" for f in review_text(text, category="护肤")), text


def test_the_plain_word_is_reported_once_and_without_a_dodge_note() -> None:
    findings = review_text("美白精华，素颜也透亮", category="护肤")
    assert findings and all("读作" not in f.reason for f in findings)
