"""How the compliance tests read the reviewer: the rule family each finding counts for, its own and the ones it cites.

A finding's category is the reviewer's own (finer) name; FAMILY_OF maps the categories that belong to a family by
article: 第一/唯一 (first_unique), 级/极/顶 (grade) and price claims (price) are all 广告法 Art. 9(3) absolute terms,
so they count as `superlative`; guarantees (guarantee: 保证有效, 100%有效, 无副作用) promise an effect, so they count
as `promised`. Warn-level findings do not count, as in scoring.
"""

from __future__ import annotations

from generator.compliance.review import review_text

FAMILY_OF = {"first_unique": "superlative", "grade": "superlative", "price": "superlative", "guarantee": "promised"}


def severities_by_family(text: str, category: str = "") -> dict[str, set[str]]:
    """Family → the severities of the block and review findings reported for a line."""
    out: dict[str, set[str]] = {}
    for f in review_text(text, category=category):
        if f.severity == "warn":
            continue
        for c in (f.category, *(a.category for a in f.also)):
            out.setdefault(FAMILY_OF.get(c, c), set()).add(f.severity)
    return out


def families(text: str, category: str = "") -> set[str]:
    """The families of the block and review findings reported for a line."""
    return set(severities_by_family(text, category))
