"""Recall and precision of the lexicon on a labelled corpus of positives and tricky negatives (zh and en)."""

from __future__ import annotations

from pathlib import Path

from generator.compliance.normalize import compact_text
from generator.compliance.review import review_text

CORPUS = Path(__file__).parent / "data" / "compliance_corpus.tsv"


def load_corpus() -> list[tuple[str, str, list[str]]]:
    rows = []
    for n, raw in enumerate(CORPUS.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        parts = raw.split("\t")
        assert len(parts) == 3, f"{CORPUS.name}:{n}: expected 3 tab-separated columns, got {len(parts)}"
        text, category, expected = parts
        terms = [] if expected.strip() == "-" else [t for t in expected.split("|") if t]
        rows.append((text, "" if category == "-" else category, terms))
    return rows


def _overlap(a: str, b: str) -> bool:
    """A finding and an expected term name the same claim when one contains the other (a pattern may report
    「根治脚气」 where the label says 「根治」, or 「美白祛斑」 where it lists 「美白」 and 「祛斑」)."""
    return a in b or b in a


def score(rows: list[tuple[str, str, list[str]]]) -> tuple[float, float, list[str]]:
    """Term-level precision (findings that match an expected term) and recall (expected terms found)."""
    found_n = found_ok = want_n = want_ok = 0
    errors: list[str] = []
    for text, category, expected in rows:
        found = [compact_text(f.term) for f in review_text(text, category=category)]
        want = [compact_text(t) for t in expected]
        good = [f for f in found if any(_overlap(f, w) for w in want)]
        seen = [w for w in want if any(_overlap(f, w) for f in found)]
        found_n, found_ok = found_n + len(found), found_ok + len(good)
        want_n, want_ok = want_n + len(want), want_ok + len(seen)
        if len(good) != len(found) or len(seen) != len(want):
            errors.append(f"{text!r} [{category}]: expected {sorted(want)}, found {sorted(found)}")
    precision = found_ok / found_n if found_n else 1.0
    recall = want_ok / want_n if want_n else 1.0
    return precision, recall, errors


def test_corpus_is_big_enough_and_balanced() -> None:
    rows = load_corpus()
    positives = [r for r in rows if r[2]]
    negatives = [r for r in rows if not r[2]]
    english = [r for r in rows if r[0].isascii()]
    assert len(rows) >= 150
    assert len(positives) >= 60 and len(negatives) >= 50 and len(english) >= 25


def test_recall_and_precision_on_corpus() -> None:
    precision, recall, errors = score(load_corpus())
    print(f"\ncompliance corpus: precision={precision:.3f} recall={recall:.3f} ({len(errors)} lines differ)")
    for e in errors:
        print("  ", e)
    assert precision >= 0.95, errors
    assert recall >= 0.95, errors
