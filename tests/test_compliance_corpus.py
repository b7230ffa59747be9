"""Recall and precision of the lexicon on a labelled corpus of positives and tricky negatives (zh and en)."""

from __future__ import annotations

from collections import Counter
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


def score(rows: list[tuple[str, str, list[str]]]) -> tuple[float, float, list[str]]:
    tp = fp = fn = 0
    errors: list[str] = []
    for text, category, expected in rows:
        found = Counter(compact_text(f.term) for f in review_text(text, category=category))
        want = Counter(compact_text(t) for t in expected)
        hit = sum((found & want).values())
        tp += hit
        fp += sum(found.values()) - hit
        fn += sum(want.values()) - hit
        if found != want:
            errors.append(f"{text!r} [{category}]: expected {sorted(want)}, found {sorted(found)}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
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
