"""The shapes learned from blind rounds v14 and v15 (docs/compliance.md, "Learning from v14 and v15"), observed
through review_text.

Each positive names the family the reviewer must report (block or review); each look-alike must raise nothing of
that family. The lines are new wording, not copied from the rounds, so they test the shape rather than a literal.
"""

from __future__ import annotations

import pytest

from tests.compliance_shapes import families


@pytest.mark.parametrize(("text", "category", "family"), [
    # the medicine no longer needed or cut down; a blood value brought down, said value first; every illness kept away
    ("便秘不靠药，每天一碗燕麦粥", "粮油", "disease"),
    ("喝了半年，我爸的降糖药都减半了", "茶叶", "disease"),
    ("吃了这个果蔬粉，终于告别开塞露", "食品", "disease"),
    ("我妈的尿酸从520降到380了，全靠这个茶", "茶叶", "disease"),
    ("泡了这个足浴粉，一家人再也不生病", "-", "disease"),
    # a complaint stopped as the result, and an illness named by its cause
    ("孩子老咳嗽，喝了三天梨汤就好利索了", "食品", "disease"),
    ("狗狗吃了这款冻干，不软便了", "宠物", "disease"),
    ("这支洗发水能抑制真菌，头皮问题不用愁", "洗发水", "disease"),
    ("激素依赖性皮炎也能用的修护霜", "面霜", "disease"),
    # a general food's disease claim is also a food function (the second citation)
    ("秋梨膏一喝，咳嗽马上好了", "食品", "health_function"),
    # the complaint cream, powder or nail oil a shelf sells is a cosmetic (second citation)
    ("宝宝湿疹霜，红疹两天就退了", "母婴", "cosmetic_medical"),
    ("痱子粉不如这款爽身粉，尿布疹扑上第二天就消", "母婴", "cosmetic_medical"),
    # medical wording in other spellings: Rx级, 💊 for 药
    ("Rx级祛红精华", "精华", "cosmetic_medical"),
    ("💊妆面霜，敏感肌闭眼入", "面霜", "cosmetic_medical"),
    # promises: overnight, a sniff or a soak; skin made over into a kind; smooth to a degree; cleared out; regrown;
    # healed; eradicated; asleep at the pillow; in dialect
    ("这个除味盒放一宿，冰箱怪味全没", "家居", "promised"),
    ("闻一下薄荷膏，鼻子立刻通气", "-", "promised"),
    ("睡前敷一片，第二天秒变婴儿肌", "面膜", "promised"),
    ("眼霜用完第三天眼周就滑到发光", "眼霜", "promised"),
    ("清肠茶三天清空宿便", "茶叶", "promised"),
    ("生发液抹一个月，发际线新头发都长出来了", "-", "promised"),
    ("痘痘贴贴一晚，痘痘就消下去了", "-", "promised"),
    ("除臭鞋垫垫一周，脚臭根除", "鞋服", "promised"),
    ("喝一杯这个助眠奶，沾枕就睡", "乳制品", "promised"),
    ("这洗面奶洗两回黑头就莫得了", "洗面奶", "promised"),
    # guarantees: side effects of no kind; 100% on killing or repelling; a refund if the flaw does not fade
    ("纯草本配方，无任何毒副作用", "-", "promised"),
    ("驱蚊液 100%防蚊 出门放心", "-", "promised"),
    ("祛痘膏用完痘印不淡全额退款", "-", "promised"),
    # food functions by shape
    ("核桃粉促进孩子大脑发育", "冲饮", "health_function"),
    ("牛初乳奶片，娃个子蹭蹭往上长", "乳制品", "health_function"),
    ("猫粮加了软骨素，延缓关节老化", "猫粮", "health_function"),
    ("蓝莓果汁，追剧一整晚眼睛都不累", "饮料", "health_function"),
    ("燕麦片天天吃，血脂稳稳的", "粮油", "health_function"),
    ("胶原蛋白饮，口服美白", "饮料", "health_function"),
    ("红枣枸杞茶，调理气血", "茶叶", "health_function"),
    ("桑葚干天天嚼，吃出乌黑秀发", "食品", "health_function"),
    # 🥇 spells 第一
    ("全网🥇的螺蛳粉", "食品", "superlative"),
])
def test_new_shapes_are_reported(text: str, category: str, family: str) -> None:
    assert family in families(text, category), (text, families(text, category))


@pytest.mark.parametrize(("text", "category", "family"), [
    # medicine in ordinary sentences: a pharmacy, cosmetics that are not 药妆, asking a doctor
    ("药店同款包装，正品保障", "-", "disease"),
    ("不靠药妆，靠的是坚持防晒", "防晒", "disease"),
    ("血压计测量前请静坐五分钟", "医疗器械", "disease"),
    ("气温从30度降到20度了，注意添衣", "-", "disease"),
    ("孩子拉肚子了别乱喂东西，及时就医", "-", "disease"),
    ("会不会拉稀要看狗狗体质，换粮请七天过渡", "宠物", "disease"),
    ("激素脸也能用的修护乳", "面霜", "disease"),
    # a cream or powder named for what it is, with no claim
    ("宝宝爽身粉，玉米淀粉做的，不含滑石粉", "母婴", "cosmetic_medical"),
    # 一宿, 全没 and 长出来 with nothing promised about the body
    ("一宿没睡，赶着发货", "-", "promised"),
    ("库存全没了，明天补货", "-", "promised"),
    ("花盆里的种子三天就长出来了", "园艺", "promised"),
    ("不满意就退了吧，我们包运费", "服装", "promised"),
    ("一周敷三次，白到发光", "面膜", "promised"),
    ("一年都没去过医院的好习惯：早睡早起", "-", "promised"),
    ("无任何添加剂，配料只有面粉和水", "食品", "promised"),
    # food words that are not a function: a growing child's portion, steady prices, eyes in a recipe
    ("一岁以上宝宝可以吃的小饼干", "食品", "health_function"),
    ("价格稳了，放心囤", "粮油", "health_function"),
    ("鱼眼睛不要扔，炖汤更鲜", "生鲜", "health_function"),
])
def test_lawful_look_alikes_stay_clear(text: str, category: str, family: str) -> None:
    assert family not in families(text, category), (text, families(text, category))
