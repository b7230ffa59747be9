"""Find lexicon terms in a text: normalised views, allow-lists, word segmentation, exemptions.

The matcher for a set of rule sets is built once (indexes by first character, compiled regexes, a jieba
tokenizer that knows our terms) and cached, because the pipeline reviews every line of every script.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache

from generator.compliance.cantonese import mandarin_reading
from generator.compliance.context import SENTENCE_BREAKS, cleared_by_context
from generator.compliance.dodges import DodgeReader, has_mixed_latin, pattern_words
from generator.compliance.goods import Goods, GoodsKey, goods_key, goods_of
from generator.compliance.lexicon import AlsoCite, Fix, Rule, RuleSet, Term, ViewName, select_rulesets
from generator.compliance.normalize import Normalized, View, compact_text, is_cjk, normalize
from generator.models import AlsoCited, Finding

SEVERITY_RANK = {"block": 0, "review": 1, "warn": 2}

# Evidence markers for the documented exemptions (2023 enforcement guideline): a ranking needs a period,
# a scope and a source; other factual claims need a source or a certificate.
# A patient's own check-up (复查报告, 体检报告, 化验单) is not evidence for the goods (v12: 脂肪肝三个月逆转，复查报告给大家看)
_PATIENT_REPORT = r"(?<!复查)(?<!体检)(?<!化验)(?<!检查)(?<!病历)"
_SOURCE = re.compile(rf"数据来源|来源|出处|据.{{0,20}}(统计|数据|报告|榜单)|source|榜单|{_PATIENT_REPORT}报告")
_PERIOD = re.compile(r"(19|20)\d\d(年|年度)?|\d+月|季度|年度")
_CERT = re.compile(rf"证书|编号|{_PATIENT_REPORT}报告|批准文号|专利号|认证号|注册证|备案号|检测")
# A 特殊化妆品 registration recorded on the sheet (a spec such as 特殊化妆品注册证：国妆特字G20230123): the
# certificate number itself, not just the words, and only from the sheet (a line cannot vouch for itself).
_REGISTRATION = re.compile(r"国妆特进?字[gj]?\d{6,}|卫妆准字\d{6,}|(特殊化妆品|注册证|特证)[^\d]{0,8}[gj]\d{8,}")

_NUMBER_IN_LINE = re.compile(r"国妆特进?字[gj]\d{8}")

_CLAUSE_BREAK = re.compile(r"[，。！？；,!?;\n]")
_SENTENCE_BREAK = re.compile(f"[{re.escape(SENTENCE_BREAKS)}]")  # the sentence the context checks read


@dataclass(frozen=True)
class Hit:
    """A finding plus what `fix` needs to rewrite it."""

    rule: Rule
    start: int
    end: int
    term: str
    key: str
    replace: tuple[str, ...]
    fix: Fix
    priority: int  # 0: a category rule set, 1: always-on rule sets (the more specific rule wins)
    view: ViewName
    hidden: str = ""  # the word a filter dodge spells (「jiang糖」 → 降糖), dodges.py
    also: tuple[AlsoCite, ...] = ()  # what the same claim also violates, by the goods (goods.py)

    @property
    def english(self) -> bool:
        return self.view == "words"

    def suggestion(self) -> str:
        if self.fix == "replace" and self.replace:
            return self.replace[0]
        if self.fix == "drop":
            return "(drop the sentence)" if self.english else "（删除该句）"
        return "(delete)" if self.english else "（删除）"

    def finding(self, where: str = "") -> Finding:
        return Finding(
            term=self.term, rule=self.rule.key, category=self.rule.category, severity=self.rule.severity,
            start=self.start, end=self.end, suggestion=self.suggestion(), where=where,
            reason=(f"「{self.term}」读作「{self.hidden}」（拼音或字母规避审核，按原词审核）。{self.rule.reason}"
                    if self.hidden else self.rule.reason),
            basis=self.rule.basis, advice=self.rule.advice, also=self.cited(),
        )

    def cited(self) -> list[AlsoCited]:
        """The further families and articles this claim violates, as findings carry them."""
        return [AlsoCited(category=a.category, basis=a.basis, reason=a.reason) for a in self.also]


@dataclass
class Evidence:
    """What the product sheet proves: strings from selling points and specs, and the brand name."""

    texts: list[str] = field(default_factory=list)
    brand: str = ""

    def compact(self) -> list[str]:
        return [compact_text(t) for t in self.texts if t.strip()]


def _boundary_ok(text: str, start: int, end: int, key: str) -> bool:
    """ASCII terms must not continue into letters or digits on either side (TOP1 yes, TOP10 no)."""
    if key[0].isascii() and key[0].isalnum() and start > 0:
        prev = text[start - 1]
        if prev.isascii() and prev.isalnum():
            return False
    if key[-1].isascii() and key[-1].isalnum() and end < len(text):
        nxt = text[end]
        if nxt.isascii() and nxt.isalnum():
            return False
    return True


class Matcher:
    def __init__(self, rulesets: tuple[RuleSet, ...], categorised: bool = False, goods: Goods | None = None) -> None:
        self.rulesets = rulesets
        self.goods = goods or Goods()
        names = {s.name for s in rulesets}
        self.index: dict[ViewName, dict[str, list[tuple[Term, Rule, int]]]] = {"compact": {}, "words": {}}
        self.patterns: list[tuple[re.Pattern[str], ViewName, tuple[str, ...], Fix, Rule, int, re.Pattern[str] | None]] = []
        self.allow_words: list[str] = []
        self.allow_patterns: list[tuple[re.Pattern[str], ViewName]] = []
        self.product_rules = [r for s in rulesets for r in s.product_rules]
        self.disclosures = [d for s in rulesets for d in s.disclosures]
        for s in rulesets:
            # the more specific rule wins a tie: a category's own set, or an always-on rule about that category
            set_priority = 1 if s.always else 0
            self.allow_words.extend(compact_text(w) for w in s.allow_words)
            self.allow_patterns.extend((re.compile(p), s.view) for p in s.allow_patterns)
            for rule in s.rules:
                if set(rule.not_for) & names:
                    continue
                if categorised and rule.only_with and not set(rule.only_with) & names:
                    continue
                priority = 0 if categorised and rule.only_with else set_priority
                for term in rule.terms:
                    self.index[term.view].setdefault(term.key[0], []).append((term, rule, priority))
                for pat in rule.patterns:
                    breaks = {"clause": _CLAUSE_BREAK, "sentence": _SENTENCE_BREAK, "any": None}[pat.reach]
                    self.patterns.append(
                        (pat.compiled, pat.view, tuple(pat.replace), pat.fix, rule, priority, breaks))
        for bucket in self.index.values():
            for entries in bucket.values():
                entries.sort(key=lambda e: -len(e[0].key))

    # -- segmentation ---------------------------------------------------------------------------------
    def _tokens(self):
        return _tokenizer()

    def _token_spans(self, norm: Normalized) -> list[tuple[int, int]]:
        """jieba words as (start, end) spans of the original text."""
        text = norm.full.text
        spans: list[tuple[int, int]] = []
        pos = 0
        for token in self._tokens().cut(text, HMM=False):
            if token:
                spans.append(norm.full.span(pos, pos + len(token)))
            pos += len(token)
        return spans

    @staticmethod
    def _cuts_words(hit: Hit, spans: list[tuple[int, int]]) -> bool:
        """True when the hit straddles two ordinary words (统一|流程 for 一流, 安全|面膜 for 全面).

        Only a hit that begins inside a word is an accident: a term that starts a longer word still counts
        (领先水平, 秒杀价, 护肝片), and jieba often splits a term from its tail (秒|杀价)."""
        return any(a < hit.start < b for a, b in spans)

    # -- matching -------------------------------------------------------------------------------------
    def _literal_hits(self, view: View, which: ViewName) -> list[Hit]:
        hits: list[Hit] = []
        text = view.text
        bucket = self.index[which]
        for i, ch in enumerate(text):
            for term, rule, priority in bucket.get(ch, ()):
                key = term.key
                if text.startswith(key, i) and _boundary_ok(text, i, i + len(key), key):
                    start, end = view.span(i, i + len(key))
                    hits.append(Hit(rule, start, end, "", key, tuple(term.replace), term.fix, priority, which))
        return hits

    def _pattern_hits(self, norm: Normalized) -> list[Hit]:
        hits: list[Hit] = []
        for regex, which, replace, fix, rule, priority, breaks in self.patterns:
            view = norm.compact if which == "compact" else norm.words
            pos = 0
            while (m := regex.search(view.text, pos)) is not None:
                if m.end() == m.start():
                    pos = m.start() + 1
                    continue
                start, end = view.span(m.start(), m.end())
                if breaks is not None and breaks.search(norm.original, start, end):
                    # the compact view drops punctuation; a pattern must not join two clauses (or sentences, for
                    # reach: sentence), but a shorter match may start after the break (「每天含一片，咽喉炎」)
                    pos = m.start() + 1
                    continue
                pos = m.end()
                expanded = tuple(m.expand(r) for r in replace) if fix == "replace" else ()
                hits.append(Hit(rule, start, end, "", m.group(0), expanded, fix, priority, which))
        return hits

    def _allowed_spans(self, norm: Normalized, extra: list[str]) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        compact = norm.compact.text
        for word in [*self.allow_words, *extra]:
            if not word:
                continue
            k = compact.find(word)
            while k >= 0:
                spans.append(norm.compact.span(k, k + len(word)))
                k = compact.find(word, k + 1)
        for regex, which in self.allow_patterns:
            view = norm.compact if which == "compact" else norm.words
            for m in regex.finditer(view.text):
                if m.end() > m.start():
                    spans.append(view.span(m.start(), m.end()))
        return spans

    def _exempt(self, hit: Hit, evidence: list[str], sheet: list[str]) -> bool:
        kind = hit.rule.exempt
        if kind is None:
            return False
        if kind == "registration":
            # the sheet's certificate, or a complete registration number stated in the line itself (国妆特字
            # G20230456: a number anyone can look up on NMPA's register; the bare words 特证/注册证 do not count)
            return any(_REGISTRATION.search(ev) for ev in sheet) or bool(_NUMBER_IN_LINE.search(evidence[-1]))
        key = compact_text(hit.key) if hit.view == "compact" else hit.key.replace(" ", "")
        for ev in evidence:
            if key not in ev:
                continue
            if kind == "ranking" and _SOURCE.search(ev) and _PERIOD.search(ev):
                return True
            if kind == "evidence" and (_SOURCE.search(ev) or _CERT.search(ev)):
                return True
        return False

    def find(self, text: str, evidence: Evidence | None = None, *, read_dodges: bool = True) -> list[Hit]:
        if not text.strip():
            return []
        norm = normalize(text)
        hits = self._find_in(text, norm, evidence)
        if not read_dodges:
            return hits
        reading = mandarin_reading(text)
        if reading is not None:
            # Cantonese copy (呢支面霜搽落去，暗疮消得好快): read in Mandarin, same offsets, reported on what was written
            read = [dataclasses.replace(h, term=text[h.start:h.end]) for h in self._find_in(reading, normalize(reading), evidence)]
            hits = _resolve_overlaps(hits + read) if read else hits
        if has_mixed_latin(norm):
            dodged = self._dodged_hits(text, norm, evidence)
            hits = _resolve_overlaps(hits + dodged) if dodged else hits
        return self._cite_also(hits, norm)

    def _cite_also(self, hits: list[Hit], norm: Normalized) -> list[Hit]:
        """A disease claim by a general food or an ordinary cosmetic carries the second family on the same finding,
        unless a finding of that family already covers the claim (「降血压」 by a food has its own)."""
        if not (self.goods.settled or self.goods.candidates):
            return hits
        def claims(h: Hit) -> bool:
            return h.rule.category == "disease" and h.rule.severity != "warn"

        cites = self.goods.cites(norm.compact.text) if any(map(claims, hits)) else ()
        if not cites:
            return hits
        out = []
        for h in hits:
            if claims(h):
                also = tuple(a for a in cites if not any(
                    o.rule.category == a.category and o.start < h.end and h.start < o.end for o in hits))
                if also:
                    h = dataclasses.replace(h, also=also)
            out.append(h)
        return out

    def _dodged_hits(self, text: str, norm: Normalized, evidence: Evidence | None) -> list[Hit]:
        """Findings on the word a filter dodge hides: the word is put in place of the dodged span and the text is
        checked again; only findings that touch the word are kept, on the span the merchant wrote."""
        found: list[Hit] = []
        for reading in _dodge_reader().readings(norm):
            decoded = text[:reading.start] + reading.hidden + text[reading.end:]
            word_end = reading.start + len(reading.hidden)
            shift = (reading.end - reading.start) - len(reading.hidden)
            # a finding must rest on a character the letters stand for: 「尺码最小S」 must not become 最小时 and then
            # lose the size-spec allowance that the written Hanzi had
            spelled_start, spelled_end = (reading.start + k for k in reading.spelled)
            for h in self.find(decoded, evidence, read_dodges=False):
                if h.end <= spelled_start or h.start >= spelled_end:
                    continue
                start = min(h.start, reading.start)
                end = reading.end if h.end <= word_end else h.end + shift
                found.append(Hit(h.rule, start, end, text[start:end], h.key, h.replace, h.fix, h.priority, h.view,
                                 hidden=reading.hidden))
        return found

    def _find_in(self, text: str, norm: Normalized, evidence: Evidence | None) -> list[Hit]:
        hits = self._literal_hits(norm.compact, "compact") + self._literal_hits(norm.words, "words")
        hits += self._pattern_hits(norm)
        if not hits:
            return []
        evidence = evidence or Evidence()
        brand = compact_text(evidence.brand) if evidence.brand else ""
        allowed = self._allowed_spans(norm, [brand] if brand else [])
        sheet = evidence.compact()
        ev_texts = [*sheet, norm.compact.text]
        spans: list[tuple[int, int]] | None = None
        kept: list[Hit] = []
        for hit in hits:
            if any(a <= hit.start and hit.end <= b for a, b in allowed):
                continue
            if self._exempt(hit, ev_texts, sheet):
                continue
            if hit.rule.context and cleared_by_context(text, hit.start, hit.end, hit.rule.context):
                continue
            if hit.view == "compact" and hit.rule.segment and self._needs_segment_check(hit.key):
                if spans is None:
                    spans = self._token_spans(norm)
                if self._cuts_words(hit, spans):
                    continue
            kept.append(hit)
        chinese = any(is_cjk(c) for c in text)
        return [
            Hit(h.rule, h.start, h.end, text[h.start:h.end], h.key,
                tuple(h.rule.replace_zh) if chinese and h.view == "words" and h.rule.replace_zh and h.fix == "replace"
                else h.replace, h.fix, h.priority, h.view, h.hidden)
            for h in _resolve_overlaps(kept)
        ]

    @staticmethod
    def _needs_segment_check(key: str) -> bool:
        # Single characters (最) and prefixes that bind to the next word (全网最, 史上最) are not whole words.
        return len(key) > 1 and is_cjk(key[0]) and not key.endswith("最")


def _resolve_overlaps(hits: list[Hit]) -> list[Hit]:
    """Keep the longest hit where hits overlap (on ties the category-specific, then the more severe rule).
    Hits of different families are both kept unless one is a fragment of the other in the same rule set (全网最
    inside 全网最低价): 「三天根治痘痘」 is a promised effect (三天根治) and a disease claim (根治痘痘), and the
    merchant should see both reasons; the rewrite copes with overlaps."""
    order = sorted(hits, key=lambda h: (-(h.end - h.start), h.priority, SEVERITY_RANK[h.rule.severity], h.start))
    taken: list[Hit] = []
    for h in order:
        rivals = [t for t in taken if t.rule.category == h.rule.category
                  or (t.rule.ruleset == h.rule.ruleset and t.start <= h.start and h.end <= t.end)]
        if all(h.end <= t.start or h.start >= t.end for t in rivals):
            taken.append(h)
    return sorted(taken, key=lambda h: h.start)


@lru_cache(maxsize=1)
def _tokenizer():
    """One jieba tokenizer for the process (0.5 s to build), which knows every Chinese term of the lexicon
    so that it keeps them whole."""
    import logging

    import jieba

    from generator.compliance.lexicon import default_rulesets

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    for s in default_rulesets():
        for rule in s.rules:
            for term in rule.terms:
                if term.view == "compact" and len(term.key) > 1 and all(is_cjk(c) for c in term.key):
                    tok.add_word(term.key)
    return tok


_BUILDING_DODGES = threading.Lock()  # reviews on several threads (the API) build the index once, not each


def _dodge_reader() -> DodgeReader:
    with _BUILDING_DODGES:
        return _build_dodge_reader()


@lru_cache(maxsize=1)
def _build_dodge_reader() -> DodgeReader:
    """One phonetic index for the process, over every rule set's vocabulary (literal Chinese terms and the words
    the patterns spell); the category's own matcher then decides whether a reading is a claim. Built on the first
    line that mixes latin letters with Hanzi (about 0.5 s), never for text without them."""
    from generator.compliance.lexicon import default_rulesets

    vocabulary: set[str] = set()
    for s in default_rulesets():
        for rule in s.rules:
            vocabulary.update(t.key for t in rule.terms if t.view == "compact")
            for pat in rule.patterns:
                if pat.view == "compact":
                    vocabulary |= pattern_words(pat.regex)
    return DodgeReader(vocabulary)


@lru_cache(maxsize=64)
def _matcher_for(names: tuple[str, ...], categorised: bool, goods: GoodsKey = ((), ())) -> Matcher:
    from generator.compliance.lexicon import default_rulesets

    every = default_rulesets()
    sets = tuple(s for s in every if s.name in names)
    return Matcher(sets, categorised, goods_of(goods, every))


def matcher_for_category(category: str) -> Matcher:
    from generator.compliance.lexicon import default_rulesets

    selected = select_rulesets(category)
    return _matcher_for(tuple(s.name for s in selected), bool(compact_text(category)),
                        goods_key(category, selected, default_rulesets()))
