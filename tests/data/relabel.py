"""Relabel every family round to the labelling rules (docs/compliance-labels.md): settled on 2026-11-28
(docs/compliance.md, "Learning from v11"), state and whitening results refined after v12 ("Learning from v12").

    python tests/data/relabel.py            # rewrite the rounds in place, print what changed
    python tests/data/relabel.py --check    # change nothing; exit 1 when a round is not labelled to the rules

The decision: a disease claim by a general food, drink or pet food is also a health-food function claim
(食品安全法第七十三条), so such a line is `disease|health_function`; a registered 保健食品 keeps `disease` alone; a
disease claim by an ordinary cosmetic (skincare, make-up, hair care, toothpaste, baby skincare) is also a medical
effect (化妆品监督管理条例第三十七条), so such a line is `disease|cosmetic_medical`. The script only ever ADDS a family.

What the goods are comes from the project's own category mapping (`category_names`: 茶叶/乳品/食品 → food,
面霜/护肤/美妆 → cosmetics, 保健食品 → health_food). Broad categories (个护, 母婴, 宠物) and lines without a category
sell many kinds of goods (个护 is toothpaste and 艾草贴 alike, 宠物 is cat food and cat litter), so for them, and
where the mapping is wrong for one line, a person decided from the goods the line names: GOODS below. A line whose
goods are not named (「口腔溃疡的克星」 under 个护) is not given a second family.

The refinements after v12 (also only ADDING a family):
- special_cosmetic: a whitening RESULT (变白, 白了, 就白, 白一个度, 白净脸) said by a line already labelled as a claim
  (promised) about goods that are, or may be, a cosmetic (a cosmetic category, or none) is also special_cosmetic:
  「用完皮肤立马白了一个度」 → promised|special_cosmetic. A lawful line that merely mentions the result (「有人问用一次能
  白吗？说实话不能」) stays lawful; shoes, shirts and teeth are not skin (「一擦就白的小白鞋清洁剂」).
- promised: a hair-colour result at one stroke (一梳就黑, the product named 一梳黑) on a line labelled special_cosmetic is
  an instant result, so also promised (the rules' own example: 一梳就黑 → special_cosmetic|promised). Dyeing in one
  application (一次染黑, 一洗就上色) is what a hair dye does and is left alone.
- state: national teams, astronauts and state-level media as endorsers are Art. 9(2)'s 变相使用; no rule can tell
  「国家队运动员同款跑鞋」 (an endorsement) from 「国家队主题纪念T恤」 (themed goods) by shape alone, so a person read
  each line that names them: STATE_ENDORSED below.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from generator.compliance.lexicon import category_names  # noqa: E402

DATA = Path(__file__).parent
ROUNDS = ["dev", *(f"heldout_v{n}" for n in range(1, 16))]
BROAD = {"", "-", "个护", "母婴", "宠物"}
FAMILY_OF_GOODS = {"food": "health_function", "cosmetic": "cosmetic_medical"}
ADDED = ("health_function", "cosmetic_medical", "special_cosmetic", "promised", "state")

# The skin turning white as the result: not 显白 (a colour flatters), 白茶, 蛋白, or white shoes, shirts and teeth.
WHITENING_RESULT = re.compile(r"(变白|白了|就白|马上白|白一个度|白两个度|白一度|白净脸|白咗|白晒)")
NOT_SKIN = re.compile(r"(牙|鞋|衬衫|衣|瓷砖|釉)")
HAIR_AT_ONE_STROKE = re.compile(r"一梳(就)?(变)?黑")

# A person's reading: lines that use a national team, an astronaut or state-level media to vouch for the goods.
STATE_ENDORSED = {
    "国家队运动员同款跑鞋",
}

# A person's reading of the goods a line names, where the category does not settle it (see the module docstring).
# "food": a general food, drink, infant food or pet food (feed, treats, pet probiotics, cat milk); "cosmetic": an
# ordinary cosmetic; "neither": a device, a patch, a foot soak, an essential oil, pet shampoo or litter, or goods the
# line does not name.
FOOD = "food"
COSMETIC = "cosmetic"
NEITHER = "neither"
GOODS: dict[str, str] = {
    # no category
    "喝了这个茶，我的脂肪肝好多了": FOOD,
    # 宠物: food and treats, not shampoo, sprays or litter
    "宠物益生菌，预防猫咪肠炎": FOOD,
    "狗狗关节不好，吃了这个软骨素又能跑能跳了": FOOD,
    "猫咪尿闭、尿结晶，换了这款猫粮就没再犯过": FOOD,
    "猫粮里加了药用成分，预防猫咪泌尿结石": FOOD,
    "猫咪口炎也可以吃的罐头": FOOD,
    "肾衰猫咪换吃这款猫粮，肌酐指标降下来了": FOOD,
    "狗粮添加中草药，调理犬瘟、细小后遗症": FOOD,
    "添加蔓越莓，预防猫咪泌尿结石和膀胱炎": FOOD,
    "猫咪口炎、牙龈发炎就喂这个益生菌粉，消炎效果杠杠的🐱": FOOD,
    "#猫咪尿闭 #膀胱炎 这款处方粮平替，喂了不复发": FOOD,
    "这款猫粮添加蔓越莓提取物，专门预防猫咪尿路结石和膀胱炎": FOOD,
    "狗狗喝了这款宠物羊奶粉，皮肤病全好了，铲屎官们冲": FOOD,
    "结石猫主子看过来！这款猫粮能帮助溶解尿结石，尿闭的猫也能吃": FOOD,
    "狗狗关节炎？喂这款鸡爪软骨零食，走路都不瘸了": FOOD,
    # 母婴: infant foods and baby skincare
    "这款米糊能调理孩子的脾虚腹泻": FOOD,
    "这款益生菌可以治疗宝宝湿疹": FOOD,
    "益生菌调理过敏体质，宝宝湿疹少了": FOOD,
    "宝宝腹泻期间吃这款米粉可以止泻，肠胃弱的娃也能吃": FOOD,
    "宝宝吐奶、肠绞痛的，换这款水解奶粉帮助缓解": FOOD,
    "宝宝拉肚子别急着吃药，这款益生菌米粉吃两天就止泻": FOOD,
    "宝宝湿疹反反复复的宝妈看过来，这款婴儿润肤霜能改善湿疹，温和不刺激": COSMETIC,
    "宝妈们，宝宝湿疹反反复复的试试这款山茶油润肤霜，红痒都能消下去": COSMETIC,
    # 个护: toothpaste, shampoo and skin balm are cosmetics; the rest of the category is not
    "牙膏能抑制幽门螺杆菌": COSMETIC,
    "经常口腔溃疡的人，这款蜂胶牙膏可以帮你缓解": COSMETIC,
    "脚后跟干裂出血的用这款马油膏，几天就愈合": COSMETIC,
    "这款牙膏能zhi牙周炎": COSMETIC,
    "这款洗发水对头皮屑、脂溢性皮炎都有效果": COSMETIC,
    "牙膏专治牙龈出血、牙周炎，刷一周就不出血": COSMETIC,
    "止头皮瘙痒，脂溢性皮炎也能洗好的洗发水": COSMETIC,
    "防脱发洗发水，产后脱发、脂溢性脱发都管用": COSMETIC,
    "这款牙膏消炎止痛，牙龈出血、牙周炎的都来囤": COSMETIC,
    "这支牙膏专治牙周炎、牙龈出血，刷两次就不出血了": COSMETIC,
    "这款牙膏专治牙周炎、牙龈出血，刷一周牙就不疼了": COSMETIC,
}


def goods_of(text: str, category: str) -> str:
    if text in GOODS:
        return GOODS[text]
    if category in BROAD:
        return NEITHER
    names = category_names(category)
    if "food" in names:
        return FOOD
    if "cosmetics" in names:
        return COSMETIC
    return NEITHER


def may_be_cosmetic(text: str, category: str) -> bool:
    """A cosmetic category, or none that says otherwise (the labelling rules: "is, or may be, a cosmetic")."""
    goods = goods_of(text, category)
    return goods == COSMETIC or (goods == NEITHER and category in {"", "-"})


def added_families(text: str, category: str, labels: set[str]) -> set[str]:
    extra: set[str] = set()
    if "disease" in labels and (second := FAMILY_OF_GOODS.get(goods_of(text, category))):
        extra.add(second)
    if ("promised" in labels and WHITENING_RESULT.search(text) and not NOT_SKIN.search(text)
            and may_be_cosmetic(text, category)):
        extra.add("special_cosmetic")
    if "special_cosmetic" in labels and HAIR_AT_ONE_STROKE.search(text):
        extra.add("promised")
    if text in STATE_ENDORSED:
        extra.add("state")
    return extra - labels


def relabel_line(raw: str) -> str:
    """The line with its families completed, or unchanged (comments, lines the refinements do not reach)."""
    if not raw.strip() or raw.rstrip() == "#" or raw.startswith("# "):
        return raw
    text, category, families = raw.split("\t")
    labels = set() if families == "-" else set(families.split("|"))
    extra = added_families(text, category, labels)
    if not extra:
        return raw
    return f"{text}\t{category}\t{'|'.join(sorted(labels | extra))}"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    total = 0
    for name in ROUNDS:
        path = DATA / f"compliance_families_{name}.tsv"
        old = path.read_text(encoding="utf-8").split("\n")
        new = [relabel_line(line) for line in old]
        changed = [(n, a, b) for n, (a, b) in enumerate(zip(old, new, strict=True), start=1) if a != b]
        added = {fam: sum(1 for _, a, b in changed if fam in b.split("\t")[2].split("|")
                          and fam not in a.split("\t")[2].split("|")) for fam in ADDED}
        print(f"{name}: {len(changed)} lines (" + ", ".join(f"+{fam} {n}" for fam, n in added.items()) + ")")
        for n, a, b in changed:
            print(f"  {path.name}:{n}: {a.split(chr(9))[2]} -> {b.split(chr(9))[2]}  {a.split(chr(9))[0]}")
        total += len(changed)
        if changed and not check:
            path.write_text("\n".join(new), encoding="utf-8")
    seen = {line.split("\t")[0] for name in ROUNDS
            for line in (DATA / f"compliance_families_{name}.tsv").read_text(encoding="utf-8").split("\n")}
    stale = [text for text in (*GOODS, *STATE_ENDORSED) if text not in seen]
    if stale:
        print(f"GOODS or STATE_ENDORSED name lines that no round has: {stale}")
        return 1
    return 1 if check and total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
