"""The compliance lexicon: rule sets loaded from assets/lexicon/*.yaml, validated and compiled once.

A rule set applies to every product (`always: true`) or to products whose category contains one of its
`applies_to` aliases (Chinese or English). Each rule has terms (literal, matched on the normalised text) and
patterns (regex), a severity, a reason a merchant understands and replacements for `--compliance fix`.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

import yaml
from pydantic import BaseModel, Field, field_validator

from generator.compliance.normalize import compact_text, is_cjk, words_text
from generator.errors import DaihuoError
from generator.settings import ASSETS_DIR
from generator.yamlfile import load_yaml

LEXICON_DIR = ASSETS_DIR / "lexicon"
Severity = Literal["block", "review", "warn"]
Fix = Literal["replace", "delete", "drop"]
ViewName = Literal["compact", "words"]
Exemption = Literal["ranking", "evidence", "registration"]
Context = Literal["negation", "quotation", "question", "caution", "work"]


class LexiconError(DaihuoError, ValueError):
    """A lexicon file is malformed; the message names the file and the entry."""


class Term(BaseModel):
    """One literal term as written in the YAML, plus its key in the view it is matched on."""

    text: str
    key: str
    view: ViewName
    replace: list[str] = Field(default_factory=list)
    fix: Fix = "replace"


Reach = Literal["clause", "sentence", "any"]


class Pattern(BaseModel):
    regex: str
    view: ViewName
    reach: Reach = Field(default="clause", description=(
        "how far a match may read: one clause (default), across commas within one sentence (「老寒腿，敷了一个冬天，"
        "走路不疼了」), or across any punctuation (「没效果？全额退款」)"))
    replace: list[str] = Field(default_factory=list)
    fix: Fix = "replace"

    @property
    def compiled(self) -> re.Pattern[str]:
        return _compile(self.regex)


class Rule(BaseModel):
    id: str
    ruleset: str
    category: str
    label: str
    severity: Severity
    basis: str = ""
    reason: str
    exempt: Exemption | None = None
    context: list[Context] = Field(default_factory=list, description="sentence contexts that clear a hit")
    advice: str = Field(default="", description="a safe way to say it, shown when the fix deletes the claim")
    segment: bool = Field(default=True, description=(
        "drop hits that start inside a jieba word (统一流程 is not 一流); off where names are words of their own "
        "and jieba's compounds would hide them (唱国歌, 坐骨神经痛)"))
    replace_zh: list[str] = Field(default_factory=list, description="for English terms inside Chinese text")
    not_for: list[str] = Field(default_factory=list)
    only_with: list[str] = Field(default_factory=list, description=(
        "rule sets of the categories this rule is about: when the product has a category that selects none of "
        "them, the rule is off (a 宠物 product's 医院同款 is not cosmetics wording); without a category it is on"))
    terms: list[Term] = Field(default_factory=list)
    patterns: list[Pattern] = Field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.ruleset}/{self.id}"


class ProductRule(BaseModel):
    """A rule about the product itself (e.g. infant formula may not be advertised at all)."""

    id: str
    ruleset: str
    category: str
    label: str
    severity: Severity
    basis: str = ""
    reason: str
    patterns: list[str]

    @property
    def key(self) -> str:
        return f"{self.ruleset}/{self.id}"


class AlsoCite(BaseModel):
    """What a disease claim by this rule set's goods violates as well (a food: a health-food function; a cosmetic:
    a medical effect), and the words that name such goods in a line when the category column does not say."""

    category: str
    basis: str
    reason: str
    goods: str = Field(description="regex on the compact text naming these goods (猫粮, 牙膏), for broad categories")
    shelves: list[str] = Field(default_factory=list, description=(
        "categories that name a shelf, not goods (个护 sells toothpaste and 艾草贴, 宠物 cat food and litter): there, "
        "and where a line has no category, the goods the line names decide"))

    @property
    def compiled(self) -> re.Pattern[str]:
        return _compile(self.goods)


class RuleSet(BaseModel):
    name: str
    title: str
    always: bool = False
    view: ViewName = "compact"
    applies_to: list[str] = Field(default_factory=list)
    replaced_by: list[str] = Field(default_factory=list)
    disclosures: list[str] = Field(default_factory=list)
    allow_words: list[str] = Field(default_factory=list)
    allow_patterns: list[str] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    product_rules: list[ProductRule] = Field(default_factory=list)
    disease_also: AlsoCite | None = None
    source: str = ""

    @field_validator("applies_to")
    @classmethod
    def _lower(cls, v: list[str]) -> list[str]:
        return [compact_text(a) for a in v]

    def matches_category(self, category: str) -> bool:
        key = compact_text(category)
        return bool(key) and any(alias and alias in key for alias in self.applies_to)


@lru_cache(maxsize=256)
def _compile(regex: str) -> re.Pattern[str]:
    return re.compile(regex)


# A pattern names a shared vocabulary (assets/lexicon/vocab/*.yaml) as {@name}: one list of diseases, symptoms
# or state organs, combined with many framings, instead of the same alternation pasted into every regex.
_VOCAB_REF = re.compile(r"\{@([a-z_]+)\}")
Vocab = dict[str, list[str]]


def expand_vocab(regex: str, vocab: Vocab, where: str = "<memory>") -> str:
    """Replace every {@name} with a non-capturing alternation of that vocabulary's entries (regex fragments,
    longest first so that 过敏性鼻炎 wins over 鼻炎); vocabularies may name other vocabularies."""
    for _ in range(6):
        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in vocab:
                raise LexiconError(f"{where}: unknown vocabulary {{@{name}}} (known: {', '.join(sorted(vocab))})")
            return "(?:" + "|".join(sorted(vocab[name], key=len, reverse=True)) + ")"
        new = _VOCAB_REF.sub(sub, regex)
        if new == regex:
            return new
        regex = new
    raise LexiconError(f"{where}: vocabularies refer to each other in a loop")


def load_vocab(directory: Path) -> Vocab:
    """Named lists from directory/*.yaml (each file a mapping name → list of regex fragments)."""
    vocab: Vocab = {}
    for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
        try:
            data = load_yaml(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise LexiconError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise LexiconError(f"{path}: a vocabulary file is a mapping of names to lists")
        for name, entries in data.items():
            if not isinstance(entries, list) or not all(isinstance(e, str) and e for e in entries):
                raise LexiconError(f"{path}: vocabulary {name!r} must be a list of non-empty strings")
            if name in vocab:
                raise LexiconError(f"{path}: vocabulary {name!r} is defined twice")
            vocab[str(name)] = [compact_text(e) if all(is_cjk(c) for c in e) else e for e in entries]
    return vocab


def _term_view(key: str, default: ViewName) -> ViewName:
    if any(is_cjk(c) for c in key):
        return "compact"
    return default


def _parse_fix(value: object, where: str) -> tuple[list[str], Fix | None]:
    """A term value: list of replacements, "-" (delete the term) or "drop" (drop the clause)."""
    if value is None:
        return [], None
    if value == "-":
        return [], "delete"
    if value == "drop":
        return [], "drop"
    if value == ["-"]:
        return [], "delete"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v for v in value], "replace"
    raise LexiconError(f"{where}: a term takes a list of replacements, '-' (delete) or 'drop', not {value!r}")


def _rule_fix(raw: dict, where: str) -> tuple[list[str], Fix]:
    replace, fix = _parse_fix(raw.get("replace"), where)
    explicit = raw.get("fix")
    if explicit is not None:
        mapping: dict[str, Fix] = {"drop": "drop", "delete": "delete", "-": "delete", "replace": "replace"}
        if explicit not in mapping:
            raise LexiconError(f"{where}: fix must be drop, delete or replace, not {explicit!r}")
        return replace, mapping[explicit]
    if replace == [] and fix is None:
        return [], "delete"
    return replace, fix or "replace"


def _parse_rule(raw: dict, ruleset: str, default_view: ViewName, where: str, vocab: Vocab) -> Rule:
    missing = [k for k in ("id", "category", "label", "severity", "reason") if k not in raw]
    if missing:
        raise LexiconError(f"{where}: rule is missing {', '.join(missing)}")
    where = f"{where} rule {raw['id']}"
    bad_context = [c for c in raw.get("context", []) or [] if c not in get_args(Context)]
    if bad_context:
        raise LexiconError(f"{where}: context must be one of {', '.join(get_args(Context))}, not {bad_context}")
    rule_replace, rule_fix = _rule_fix(raw, where)
    view: ViewName = "words" if raw.get("view", default_view) == "word" else default_view
    terms: list[Term] = []
    for entry in raw.get("terms", []) or []:
        if isinstance(entry, str):
            text, replace, fix = entry, rule_replace, rule_fix
        elif isinstance(entry, dict) and len(entry) == 1:
            text, value = next(iter(entry.items()))
            text = str(text)
            replace, parsed = _parse_fix(value, f"{where} term {text}")
            fix = parsed or rule_fix
            if fix == "replace" and not replace:
                replace = rule_replace
        else:
            raise LexiconError(f"{where}: a term is a string or a one-key mapping, not {entry!r}")
        tview = _term_view(compact_text(text), view)
        key = compact_text(text) if tview == "compact" else words_text(text)
        if not key:
            raise LexiconError(f"{where}: term {text!r} is empty after normalisation")
        terms.append(Term(text=text, key=key, view=tview, replace=replace, fix=fix))
    patterns: list[Pattern] = []
    for entry in raw.get("patterns", []) or []:
        if not isinstance(entry, dict) or "re" not in entry:
            raise LexiconError(f"{where}: a pattern is a mapping with 're', not {entry!r}")
        replace, fix = _rule_fix(entry, where) if ("replace" in entry or "fix" in entry) else (rule_replace, rule_fix)
        regex = expand_vocab(str(entry["re"]), vocab, where)
        try:
            _compile(regex)
        except re.error as exc:
            raise LexiconError(f"{where}: bad regex {entry['re']!r}: {exc}") from exc
        cross = entry.get("cross", False)
        reach: Reach = "sentence" if cross == "sentence" else "any" if cross is True else "clause"
        patterns.append(Pattern(regex=regex, view=view, replace=replace, fix=fix, reach=reach))
    return Rule(
        id=str(raw["id"]), ruleset=ruleset, category=str(raw["category"]), label=str(raw["label"]),
        severity=raw["severity"], basis=str(raw.get("basis", "")), reason=str(raw["reason"]),
        exempt=raw.get("exempt"), segment=bool(raw.get("segment", True)), context=list(raw.get("context", []) or []), advice=str(raw.get("advice", "")),
        replace_zh=[str(r) for r in raw.get("replace_zh", []) or []],
        not_for=list(raw.get("not_for", []) or []), only_with=list(raw.get("only_with", []) or []),
        terms=terms, patterns=patterns,
    )


def parse_ruleset(data: dict, source: str = "<memory>", vocab: Vocab | None = None) -> RuleSet:
    if not isinstance(data, dict) or "name" not in data:
        raise LexiconError(f"{source}: a rule set needs at least 'name' and 'rules'")
    name = str(data["name"])
    default_view: ViewName = "words" if data.get("view") == "word" else "compact"
    allow = data.get("allow", {}) or {}
    vocab = vocab if vocab is not None else {}
    allow_patterns = [expand_vocab(str(p), vocab, source) for p in allow.get("patterns", []) or []]
    for pat in allow_patterns:
        try:
            _compile(pat)
        except re.error as exc:
            raise LexiconError(f"{source}: bad allow pattern {pat!r}: {exc}") from exc
    rules = [_parse_rule(r, name, default_view, source, vocab) for r in data.get("rules", []) or []]
    product_rules = [
        ProductRule(ruleset=name, **{k: v for k, v in r.items() if k in ProductRule.model_fields})
        for r in data.get("product_rules", []) or []
    ]
    also = data.get("disease_also")
    disease_also = None
    if also is not None:
        if not isinstance(also, dict) or not {"category", "basis", "reason", "goods"} <= set(also):
            raise LexiconError(f"{source}: disease_also needs category, basis, reason and goods")
        goods = expand_vocab(str(also["goods"]), vocab, source)
        try:
            _compile(goods)
        except re.error as exc:
            raise LexiconError(f"{source}: bad disease_also goods {also['goods']!r}: {exc}") from exc
        disease_also = AlsoCite(category=str(also["category"]), basis=str(also["basis"]), reason=str(also["reason"]),
                                goods=goods, shelves=[compact_text(str(c)) for c in also.get("shelves", []) or []])
    return RuleSet(
        name=name, title=str(data.get("title", name)), always=bool(data.get("always", False)), view=default_view,
        applies_to=[str(a) for a in data.get("applies_to", []) or []],
        replaced_by=list(data.get("replaced_by", []) or []), disclosures=list(data.get("disclosures", []) or []),
        allow_words=[str(w) for w in allow.get("words", []) or []],
        allow_patterns=allow_patterns,
        rules=rules, product_rules=product_rules, disease_also=disease_also, source=source,
    )


def load_rulesets(directory: Path = LEXICON_DIR) -> list[RuleSet]:
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise LexiconError(f"no lexicon files in {directory}; reinstall the package or restore assets/lexicon/")
    vocab = load_vocab(directory / "vocab")
    sets: list[RuleSet] = []
    for path in files:
        try:
            data = load_yaml(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise LexiconError(f"{path}: not valid YAML: {exc}") from exc
        sets.append(parse_ruleset(data, str(path), vocab))
    names = [s.name for s in sets]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise LexiconError(f"duplicate rule set names in {directory}: {', '.join(sorted(dupes))}")
    return sets


_LOADING = threading.Lock()  # a job's warm-up and its first review may ask at once: compile once, not twice


def default_rulesets() -> tuple[RuleSet, ...]:
    with _LOADING:
        return _default_rulesets()


@lru_cache(maxsize=1)
def _default_rulesets() -> tuple[RuleSet, ...]:
    return tuple(load_rulesets())


def select_rulesets(category: str, rulesets: tuple[RuleSet, ...] | None = None) -> tuple[RuleSet, ...]:
    """The rule sets for a product category: the always-on sets plus the category's own, minus replaced ones."""
    sets = rulesets if rulesets is not None else default_rulesets()
    chosen = [s for s in sets if s.always or s.matches_category(category)]
    names = {s.name for s in chosen}
    return tuple(s for s in chosen if not (set(s.replaced_by) & names))


def category_names(category: str) -> list[str]:
    """Names of the category-specific rule sets a product category maps to (e.g. 面霜 → ['cosmetics'])."""
    return [s.name for s in select_rulesets(category) if not s.always]
