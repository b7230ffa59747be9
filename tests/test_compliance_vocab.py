"""Shared vocabularies ({@name}) and sentence reach in lexicon patterns (assets/lexicon/vocab/)."""

from __future__ import annotations

import pytest

from generator.compliance.lexicon import LexiconError, expand_vocab, parse_ruleset
from generator.compliance.matcher import Matcher

VOCAB = {"ill": ["失眠", "老寒腿", "{@named}"], "named": ["痛风"]}


def _matcher(pattern: dict) -> Matcher:
    data = {"name": "t", "always": True, "rules": [
        {"id": "r", "category": "disease", "label": "x", "severity": "block", "reason": "x", "fix": "drop",
         "patterns": [pattern]}]}
    return Matcher((parse_ruleset(data, "test", VOCAB),))


def test_a_vocabulary_expands_into_every_pattern_that_names_it() -> None:
    m = _matcher({"re": "{@ill}(.{0,4}?)好了"})
    assert [h.key for h in m.find("痛风喝了就好了")] == ["痛风喝了就好了"]
    assert [h.key for h in m.find("失眠喝好了")] == ["失眠喝好了"]
    assert m.find("快递到好了") == []


def test_an_unknown_vocabulary_names_the_rule() -> None:
    with pytest.raises(LexiconError, match=r"unknown vocabulary \{@nope\}"):
        expand_vocab("{@nope}好了", VOCAB, "test rule r")


def test_sentence_reach_crosses_commas_but_not_full_stops() -> None:
    m = _matcher({"re": "{@ill}(.{0,12}?)不疼了", "cross": "sentence"})
    assert m.find("我婆婆的老寒腿，敷了一个冬天，现在走路不疼了")
    assert m.find("老寒腿要注意保暖。这双鞋走路不疼了") == []
    clause = _matcher({"re": "{@ill}(.{0,12}?)不疼了"})
    assert clause.find("我婆婆的老寒腿，敷了一个冬天，现在走路不疼了") == []


def test_the_shipped_lexicon_catches_testimony_with_its_article() -> None:
    from generator.compliance.review import review_text

    found = review_text("我婆婆的老寒腿，敷了一个冬天，现在走路不疼了")
    assert any(f.category == "disease" and f.basis == "广告法第十七条" and f.suggestion for f in found)
    assert not [f for f in review_text("这双鞋走一天路脚都不疼", category="鞋") if f.severity != "warn"]
