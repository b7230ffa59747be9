"""What else a disease claim violates, by the goods that make it (labelling rules of 2026-11-28).

A general food, drink or pet food that claims a disease effect also claims a health-food function (食品安全法第七十三条);
an ordinary cosmetic that does also claims a medical effect (化妆品监督管理条例第三十七条). The reviewer reports such a
claim ONCE, as the disease finding, and cites the second family and article on it (`Finding.also`).

The goods come from the category column when it names them (茶叶, 面霜, 猫粮); a broad category — a shelf such as 个护,
母婴 or 宠物, each listed in the rule set's `disease_also.shelves` — or no category leaves it to the goods the line names
(这款牙膏, 换了这款猫粮). A registered 保健食品 selects no such rule set: its disease claim stays a disease claim alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.compliance.lexicon import AlsoCite, RuleSet
from generator.compliance.normalize import compact_text


@dataclass(frozen=True)
class Goods:
    """How a matcher knows the goods: settled by the category (`settled`), or read from each line among
    `candidates` (a shelf or no category), or neither (both empty: 家居, 保健食品, 医疗器械)."""

    settled: tuple[AlsoCite, ...] = ()
    candidates: tuple[AlsoCite, ...] = ()

    def cites(self, compact_line: str) -> tuple[AlsoCite, ...]:
        """The citations a disease claim in this line also carries."""
        if self.settled:
            return self.settled
        found = [(m.start(), n, c) for n, c in enumerate(self.candidates) if (m := c.compiled.search(compact_line))]
        return (min(found)[2],) if found else ()  # the goods named first: 「猫粮…沐浴露」 is about the cat food


GoodsKey = tuple[tuple[str, ...], tuple[str, ...]]  # names of the rule sets: (settled, candidates)


def goods_key(category: str, selected: tuple[RuleSet, ...], every: tuple[RuleSet, ...]) -> GoodsKey:
    """Which rule sets' goods a product category settles, or may be named in its lines; `selected` are the
    category's rule sets, `every` all of them. Names, so that the matcher cache can key on them."""
    key = compact_text(category)
    with_also = [s for s in every if s.disease_also is not None]
    if not key:
        return (), tuple(s.name for s in with_also)
    shelves = {alias for s in with_also if s.disease_also for alias in s.disease_also.shelves if alias in key}
    names = {s.name for s in selected}
    settled = tuple(s.name for s in with_also if s.name in names
                    and any(a and a in key and a not in shelves for a in s.applies_to))
    if settled:
        return settled, ()
    return (), tuple(s.name for s in with_also if s.disease_also and shelves & set(s.disease_also.shelves))


def goods_of(key: GoodsKey, every: tuple[RuleSet, ...]) -> Goods:
    also = {s.name: s.disease_also for s in every if s.disease_also is not None}
    return Goods(settled=tuple(also[n] for n in key[0]), candidates=tuple(also[n] for n in key[1]))
