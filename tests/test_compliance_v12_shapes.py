"""The shapes learned from blind round v12 (docs/compliance.md, "Learning from v12"), observed through review_text.

Each positive names the family the reviewer must report (block or review); each look-alike must raise nothing of
that family. The lines are new wording, not copied from the rounds, so they test the shape rather than a literal.
"""

from __future__ import annotations

import pytest

from tests.compliance_shapes import severities_by_family as families


@pytest.mark.parametrize(("text", "category", "family", "severity"), [
    # state media, national teams and astronauts as endorsers: review (a person checks the authorisation)
    ("央视财经频道报道过的老字号酱油", "调味品", "state", "review"),
    ("c c t v 推荐的净水器，家里老人放心用", "家电", "state", "review"),
    ("人min日报点赞的国货洗衣液", "家居", "state", "review"),
    ("yang视上榜的小龙虾调料", "调味品", "state", "review"),
    ("这款辣酱上过新闻联播，老乡都知道", "调味品", "state", "review"),
    ("国家游泳队训练后都喝的运动饮料", "饮料", "state", "review"),
    ("航天员同款冻干酸奶块，孩子爱吃", "零食", "state", "review"),
    # the army, procurement and officials: block
    ("军工级铝合金登山杖，摔不坏", "户外", "state", "block"),
    ("政府采购入围品牌的打印机", "办公", "state", "block"),
    ("这批挂面是给武警部队食堂供货的", "粮油", "state", "block"),
    ("镇长都点过赞的土鸡蛋", "生鲜", "state", "block"),
    # whitening and hair-colour results without 美白
    ("这瓶身体乳抹完，整个人白了一圈", "身体乳", "special_cosmetic", "block"),
    ("敷完这片面膜，脸立马白了两个度", "面膜", "special_cosmetic", "block"),
    ("呢支精华搽完成个人白咗", "-", "special_cosmetic", "block"),
    ("白发一梳就黑的植物梳", "个护", "special_cosmetic", "block"),
    ("白发一梳就黑的植物梳", "个护", "promised", "block"),
    # result-shaped promises
    ("鼻塞、打喷嚏一喷搞定的草本喷雾", "家居", "promised", "block"),
    ("蚊子包抹上去当场就消", "母婴", "promised", "block"),
    ("助眠香薰，躺下三分钟就睡着", "家居", "promised", "block"),
    ("不嫩你来找我，这款面霜我敢打包票", "面霜", "promised", "block"),
    ("肝功能三个月逆转，体检报告给大家看", "保健食品", "promised", "block"),
    ("这款乳液🈚副作用，孕妇也能放心用", "乳液", "promised", "block"),
    # product-named shelves map to their rule sets: 洁面 is a cosmetic, 代餐 a food
    ("美白洁面乳，洗完透亮", "洁面", "special_cosmetic", "block"),
    ("代餐粉调节血糖，糖友放心吃", "代餐", "health_function", "block"),
    # detox is a health-food function, not a disease
    ("Detox排毒果蔬汁，周末清一清", "饮料", "health_function", "block"),
])
def test_new_shapes_are_reported(text: str, category: str, family: str, severity: str) -> None:
    found = families(text, category)
    assert severity in found.get(family, set()), (text, found)


@pytest.mark.parametrize(("text", "category", "family"), [
    # themed goods, books, notices and invoices are not endorsements
    ("国家队主题纪念徽章，收藏款", "饰品", "state"),
    ("航天日科普立体书，带孩子认识空间站", "图书", "state"),
    ("央视纪录片《舌尖上的中国》同名食谱", "图书", "state"),
    ("我们没上过央视，也没请明星代言", "零食", "state"),
    ("政府采购项目可开增值税专票，请联系客服", "办公", "state"),
    ("军绿色工装外套，军训也能穿", "服装", "state"),
    # colours that flatter, white shoes, and a question answered no
    ("这个色号显白，黄皮也能涂", "彩妆", "special_cosmetic"),
    ("一擦就白的小白鞋清洁剂", "家居", "special_cosmetic"),
    ("有人问涂了能马上白吗？说实话不能，这是保湿霜", "面霜", "special_cosmetic"),
    ("有人问涂了能马上白吗？说实话不能，这是保湿霜", "面霜", "promised"),
    # a question answered no, a rumour debunked, a clinic notice, a doctor's advice, a book
    ("喝这个能治好胃病吗？答案是不能，它就是普通麦片", "食品", "disease"),
    ("网上说吃大蒜能治癌？别信！都是谣言", "-", "disease"),
    ("本院周六上午开设痛风专病门诊，请提前挂号", "-", "disease"),
    ("医生科普：糖尿病患者不要自行减药", "-", "disease"),
    ("《与糖尿病共处》一位医生的三十年手记", "图书", "disease"),
    ("本坐垫为普通海绵，不具有任何治疗作用", "家居", "disease"),
    # testimony after weeks is a disease claim, not an instant promise; cleaning at one go is not this shape
    ("一次搞定全屋收纳的置物架", "家居", "promised"),
])
def test_lawful_look_alikes_stay_clear(text: str, category: str, family: str) -> None:
    found = families(text, category)
    assert family not in found, (text, found)
