"""Precision and recall per rule family, on lines labelled by family (tests/data/compliance_families_*.tsv).

Each line names the families it contains (or "-" for a hard negative). A line counts as flagged for a family
when the reviewer returns a block or review finding of that family; warn-level findings do not count.

The files were written in rounds: `dev` together with the rules, then `heldout_v1` … `heldout_v15`,
each written after the rules were frozen (the commit is in each file's header) and scored before the rules
changed again.

A finding's category is the reviewer's own (finer) name; FAMILY_OF (tests/compliance_shapes.py) maps the categories that belong to a family by
article: 第一/唯一 (first_unique), 级/极/顶 (grade) and price claims (price) are all 广告法 Art. 9(3) absolute terms,
so they count as `superlative`; guarantees (guarantee: 保证有效, 100%有效, 无副作用) promise an effect, so they count
as `promised`. Any other category counts under its own name. docs/compliance.md records the scores each round had when it was still held out; after scoring,
a round became training data. This test holds the reviewer to >= 0.95 per family on all of them, so no rule
change may lose what an earlier round taught.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.compliance_shapes import families

DATA = Path(__file__).parent / "data"
FAMILIES = ("disease", "state", "cosmetic_medical", "special_cosmetic", "promised", "health_function", "superlative")
ROUNDS = ("dev", "heldout_v1", "heldout_v2", "heldout_v3", "heldout_v4", "heldout_v5", "heldout_v6", "heldout_v7",
          "heldout_v8", "heldout_v9", "heldout_v10", "heldout_v11", "heldout_v12", "heldout_v13", "heldout_v14",
          "heldout_v15")


@dataclass(frozen=True)
class Row:
    text: str
    category: str
    families: frozenset[str]
    where: str


def is_comment(raw: str) -> bool:
    """A comment is "#" alone or "# " + text; a line that opens with a hashtag (「#药妆 #医学护肤 敏感肌天菜」,
    「#告别脚气# 竹炭纤维袜子」) is data, as the blind writers meant it."""
    return raw.rstrip() == "#" or raw.startswith("# ")


def load(name: str) -> list[Row]:
    path = DATA / f"compliance_families_{name}.tsv"
    rows = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or is_comment(raw):
            continue
        parts = raw.split("\t")
        assert len(parts) == 3, f"{path.name}:{n}: expected 3 tab-separated columns, got {len(parts)}"
        text, category, families = parts
        labels = frozenset() if families == "-" else frozenset(families.split("|"))
        assert labels <= set(FAMILIES), f"{path.name}:{n}: unknown family {sorted(labels - set(FAMILIES))}"
        rows.append(Row(text, "" if category == "-" else category, labels, f"{path.name}:{n}"))
    return rows


def flagged(row: Row) -> set[str]:
    """The families the reviewer reports for a line: each block/review finding's own, and the families it cites as
    well (a disease claim by a general food also cites health_function on the same finding, Finding.also)."""
    return families(row.text, row.category)


def scores(rows: list[Row]) -> tuple[dict[str, tuple[float, float, int, int]], list[str]]:
    """Per family: precision, recall, positives, flagged; and one line per disagreement."""
    table: dict[str, tuple[float, float, int, int]] = {}
    found = {row: flagged(row) for row in rows}
    errors = []
    for family in FAMILIES:
        tp = sum(1 for r in rows if family in r.families and family in found[r])
        fp = sum(1 for r in rows if family not in r.families and family in found[r])
        fn = sum(1 for r in rows if family in r.families and family not in found[r])
        table[family] = (tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0, tp + fn, tp + fp)
        errors += [f"FP {family}: {r.text!r} ({r.where})" for r in rows if family not in r.families and family in found[r]]
        errors += [f"FN {family}: {r.text!r} ({r.where})" for r in rows if family in r.families and family not in found[r]]
    return table, errors


def test_every_round_is_big_enough() -> None:
    """At least 30 new positives and 30 hard negatives per round (v4, the last, is a little smaller: 72 + 41)."""
    for name in ROUNDS:
        rows = load(name)
        positives = [r for r in rows if r.families]
        negatives = [r for r in rows if not r.families]
        assert len(positives) >= 30 and len(negatives) >= 30, (name, len(positives), len(negatives))
        for family in FAMILIES:
            assert any(family in r.families for r in rows), (name, family)


@pytest.mark.parametrize("family", FAMILIES)
def test_precision_and_recall_per_family(family: str) -> None:
    rows = [r for name in ROUNDS for r in load(name)]
    table, errors = scores(rows)
    precision, recall, positives, _ = table[family]
    print(f"\n{family}: precision={precision:.3f} recall={recall:.3f} on {positives} positive lines of {len(rows)}")
    mine = [e for e in errors if e.split(":")[0].split()[1] == family]
    assert precision >= 0.95 and recall >= 0.95, mine


# Blind rounds not learned from, with the scores each had when it was scored once (docs/compliance.md): the floor, so
# a later rule change cannot lose what generalised. v14 and v15 (scored at caefcc1 and 1323e2f) are training data since
# h-recall12; v16 was written blind to docs/compliance-labels.md and scored once at 15cdf15. A round the rules learn
# from leaves this dict for ROUNDS; while the dict is empty the test skips and says why.
HELD_OUT_SCORES: dict[str, dict[str, tuple[float, float]]] = {
    "heldout_v16": {
        "disease": (0.896, 0.878), "state": (1.000, 0.921), "cosmetic_medical": (0.976, 0.909),
        "special_cosmetic": (0.938, 0.789), "promised": (0.900, 0.750), "health_function": (0.940, 0.855),
        "superlative": (0.897, 0.972)},
}


@pytest.mark.parametrize("held_out", sorted(HELD_OUT_SCORES) or ["(none scored yet)"])
def test_the_blind_rounds_do_not_regress(held_out: str) -> None:
    if held_out not in HELD_OUT_SCORES:
        pytest.skip("no blind round is held out: v14 and v15 are training data since h-recall12, and v16 binds this "
                    "test once it has been scored on the rules")
    if not (DATA / f"compliance_families_{held_out}.tsv").exists():
        pytest.skip(f"compliance_families_{held_out}.tsv is not in tests/data yet")
    rows = load(held_out)
    assert held_out not in ROUNDS, "a round the rules learned from is training data, not held out"
    table, errors = scores(rows)
    for family, (precision, recall) in HELD_OUT_SCORES[held_out].items():
        got_p, got_r, _, _ = table[family]
        mine = [e for e in errors if e.split(":")[0].split()[1] == family]
        assert got_p >= precision - 0.0005 and got_r >= recall - 0.0005, (family, got_p, got_r, mine)


def test_every_round_is_labelled_to_the_settled_rules() -> None:
    """tests/data/relabel.py --check: no disease line by a general food or an ordinary cosmetic lacks its second
    family (labelling rules of 2026-11-28, docs/compliance.md "Learning from v11")."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(DATA / "relabel.py"), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
