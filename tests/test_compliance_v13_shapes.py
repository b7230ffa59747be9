"""The shapes learned from blind round v13 (docs/compliance.md, "Learning from v13"), observed through review_text.

Each positive names the family the reviewer must report (block or review); each look-alike must raise nothing of
that family. The lines are new wording, not copied from the rounds, so they test the shape rather than a literal.
"""

from __future__ import annotations

import pytest

from tests.compliance_shapes import families


@pytest.mark.parametrize(("text", "category", "family"), [
    # a whitening or freckle RESULT on a cosmetic or goods not named, and before/after
    ("姐妹们，用了这瓶精华，我脸上的黄褐斑真的淡了", "精华", "special_cosmetic"),
    ("用前满脸晒斑，用后基本看不见了", "-", "special_cosmetic"),
    ("搽咗一個月，塊面白咗", "面霜", "special_cosmetic"),
    # promises carried by a result: a day count, a device switched on, a sip count, 秒变, smooth all over, eyes clear
    ("打卡Day14：脸上的痘印淡了一大半", "精华", "promised"),
    ("这台香薰机一开鼻子就通了", "-", "promised"),
    ("枇杷膏含两口，嗓子就止住了", "食品", "promised"),
    ("身体乳涂两周，胳膊上的鸡皮全光滑了", "身体乳", "promised"),
    ("睡前敷一片，眼睛立马明亮", "家居", "promised"),
    ("黄黑皮用了它秒变奶白皮", "身体乳", "promised"),
    ("白发一洗就黑的洗发水", "洗发水", "promised"),
    ("呢支面霜包你水潤，唔得就退錢", "面霜", "promised"),
    # disease effects said as a result
    ("偏头痛再也不来找我了，多亏这个按摩仪", "家电", "disease"),
    ("孩子近视度数不再加深的护眼台灯", "家电", "disease"),
    ("湿疹宝宝，这个润肤霜一抹就退", "母婴", "disease"),
    ("血糖高的叔叔阿姨，坚持吃这个荞麦面，血糖就降下来了", "粮油", "disease"),
    # health-food functions said as benefits of a general food
    ("芝麻核桃粉，乌发养发", "冲饮", "health_function"),
    ("红枣桂圆茶天天喝，气血足了脸色也好", "茶叶", "health_function"),
    ("燕窝饮，喝出水光肌", "饮料", "health_function"),
    ("人参茶一喝完整天都不困", "茶叶", "health_function"),
    ("酸奶天天喝，脸上的斑都淡了", "乳制品", "health_function"),
    ("早餐奶，免疫力UP⬆️", "乳制品", "health_function"),
    ("纳豆粉喝了半年，高血压不头晕了", "-", "health_function"),
    # medical wording on a cosmetic, whatever the shelf; backers who push it; a hospital's own formula
    ("医护级婴儿护臀膏", "母婴", "cosmetic_medical"),
    ("临床级修护面霜", "面霜", "cosmetic_medical"),
    ("眼科主任都在推的眼霜", "眼霜", "cosmetic_medical"),
    ("三甲医院内部配方的护手霜", "护手霜", "cosmetic_medical"),
    # state media with a programme named, an astronaut's habit in Cantonese
    ("人民日报《新时代》栏目报道过的大米", "粮油", "state"),
    ("呢款奶粉係航天员都飲開嘅", "母婴", "state"),
    # superlatives jieba keeps whole, and 醉 for 最
    ("天下第一鲜的蚝油", "调味品", "superlative"),
    ("醉便宜的抽纸，囤起来", "家居", "superlative"),
])
def test_new_shapes_are_reported(text: str, category: str, family: str) -> None:
    assert family in families(text, category), (text, families(text, category))


@pytest.mark.parametrize(("text", "category", "family"), [
    # questions that doubt or offer another way ask; a hook answered yes does not
    ("这款面霜真的能祛斑吗？", "-", "special_cosmetic"),
    ("防脱洗发水到底有没有用？还是得去医院看看？", "-", "special_cosmetic"),
    ("宝宝红屁屁能用这个护臀膏吗？还是先去看医生？", "母婴", "disease"),
    ("人民日报推荐的那些牌子靠谱吗？", "-", "state"),
    # notices, house rules and training slides quote what may not be said
    ("培训须知：主播不得说最好、第一", "-", "superlative"),
    ("温馨提示：不要相信一周根治这类说法", "-", "promised"),
    ("公告：宣称祛斑的产品必须取得特殊化妆品注册证", "-", "special_cosmetic"),
    ("小贴士：面霜的宣传里不能出现医学护肤四个字", "-", "cosmetic_medical"),
    # a clinician or a hospital speaking for itself; a personal record marked as no ad
    ("医生提醒：血糖高要按时复查，别乱吃偏方", "-", "disease"),
    ("区人民医院：流感高发季，请注意防护", "-", "disease"),
    ("我是儿科医生，今天讲讲手足口病的护理要点", "-", "disease"),
    ("#高血压 今日三餐记录（非广告）", "-", "disease"),
    # 最/第一 in specs, sequences and names
    ("冷藏保存，3天内口感最佳", "食品", "superlative"),
    ("本季上新的第一件羊绒衫", "服装", "superlative"),
    ("色号No.1 豆沙色", "彩妆", "superlative"),
    ("八一快乐，向最可爱的人致敬", "-", "superlative"),
    ("天下第一关景区门票", "旅游", "superlative"),
    ("醉蟹礼盒，黄酒腌制", "生鲜", "superlative"),
    # a result that is not the skin's, a faded spot with no date, refunds on size, cooling
    ("浴室瓷砖的霉斑淡了好多", "-", "special_cosmetic"),
    ("脸上那块斑淡了不少", "-", "promised"),
    ("尺码不行就退，运费险已买", "服装", "promised"),
    ("空调一开就凉快了", "家电", "promised"),
    ("卤味口感好，吃完还想吃", "熟食", "health_function"),
    # a department named for what it is, not as a backer
    ("眼科检查后可以正常使用眼霜吗？", "-", "cosmetic_medical"),
])
def test_lawful_look_alikes_stay_clear(text: str, category: str, family: str) -> None:
    assert family not in families(text, category), (text, families(text, category))
