"""Grounding guard: a model's script may only say what the product sheet says.

Two edges, both pure:
- `sanitize_product` cleans the sheet *before* it reaches a prompt: instruction-like sentences ("ignore
  previous instructions ...") and off-platform contact details (URLs, e-mails, phone numbers, WeChat ids) are
  removed from every text field, so an injected instruction is never even sent.
- `find_violations` checks the model's script *after*: URLs, e-mails, phones, contact words and injection
  echoes are never allowed; numbers (prices, percentages, counts), brand names, absolute terms and medical
  claims are allowed only when the sheet itself has them. `strip_violations` removes what the repair round
  could not fix (a line, a caption, a hashtag, a sentence of a description).
The term lists are data: prompts/llm/guard.yaml.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from generator.models import Language, PlatformCopy, Product, Script
from generator.settings import PROMPTS_DIR
from generator.yamlfile import load_yaml

GUARD_FILE = PROMPTS_DIR / "llm" / "guard.yaml"

# Always refused, whatever the sheet says (platforms ban off-platform contact in ads: 导流).
ALWAYS = ("url", "email", "phone", "contact", "injection")

_URL_RE = re.compile(
    r"(?:https?://|www\.)[^\s，。！？、]+|(?<![a-z0-9-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\."
    r"(?:com|cn|net|org|io|co|me|shop|top|xyz|app|info|biz|ly|cc|tv|vip|link|site|online|store|ai|gg|to)"
    r"(?![a-z0-9-])(?:/[^\s，。！？、]*)?",
    re.I,
)
_EMAIL_RE = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+", re.I)
_PHONE_RE = re.compile(r"\+?\d[\d\s\-()]{5,}\d")
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
_LATIN_WORD_RE = re.compile(r"[a-z][a-z0-9'&\-]*")
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[。！？!?；;\n])|(?<=\.)\s+")
_CHAR_LANGUAGES = ("zh", "th")


def fold(text: str) -> str:
    """Full-width to half-width, case-folded: how all matching here compares text."""
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True)
class GuardTerms:
    absolute: dict[str, list[str]]
    absolute_exceptions: dict[str, list[str]]
    medical: dict[str, list[str]]
    injection: list[str]
    contact: list[str]
    brands: list[str]
    latin_allow: frozenset[str]


@lru_cache(maxsize=1)
def load_terms() -> GuardTerms:
    data: dict[str, Any] = load_yaml(GUARD_FILE.read_text(encoding="utf-8"))

    def per_lang(key: str) -> dict[str, list[str]]:
        return {lang: [fold(str(t)) for t in terms or []] for lang, terms in data.get(key, {}).items()}

    return GuardTerms(
        absolute=per_lang("absolute"), absolute_exceptions=per_lang("absolute_exceptions"),
        medical=per_lang("medical"), injection=[fold(t) for t in data.get("injection", [])],
        contact=[fold(t) for t in data.get("contact", [])], brands=[str(b) for b in data.get("brands", [])],
        latin_allow=frozenset(fold(t) for t in data.get("latin_allow", [])),
    )


def _is_latin(term: str) -> bool:
    return all(ord(c) < 0x250 for c in term)


def _find_terms(folded: str, terms: Sequence[str], exceptions: Sequence[str] = ()) -> list[str]:
    """Terms present in `folded`: whole words for Latin terms, substrings otherwise, exceptions masked."""
    for exc in exceptions:
        folded = folded.replace(exc, "\u25a1" * len(exc))
    found = []
    for term in terms:
        if not term:
            continue
        if _is_latin(term):
            if re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", folded):
                found.append(term)
        elif term in folded:
            found.append(term)
    return found


def _number_forms(token: str) -> set[str]:
    """Ways to write a number token: '1,299' -> {'1299'}, '99.90' -> {'99.9', '9990'}, '99.0' -> {'99'}."""
    digits = re.sub(r"[.,]", "", token)
    forms = {digits.lstrip("0") or "0"}
    m = re.fullmatch(r"(\d+)[.,](\d{1,2})", token)
    if m:
        whole, frac = m.group(1).lstrip("0") or "0", m.group(2).rstrip("0")
        forms.add(f"{whole}.{frac}" if frac else whole)
    return forms


def sheet_text(product: Product) -> str:
    """Everything the sheet says about the product, as one text (prices included)."""
    parts = [product.title, product.brand, product.category, product.audience, product.offer,
             *product.selling_points, *product.scenes]
    parts += [f"{k} {v}" for k, v in product.specs.items()]
    for price in (product.price, product.sale_price):
        if price is not None:
            parts.append(f"{price:g}")
    return "\n".join(p for p in parts if p)


@dataclass(frozen=True)
class Grounding:
    """What a script may repeat: the sheet's folded text and its numbers."""

    language: Language
    text: str
    numbers: frozenset[str]

    @classmethod
    def of(cls, product: Product, language: Language) -> Grounding:
        text = fold(sheet_text(product))
        numbers = {f for tok in _NUMBER_RE.findall(text) for f in _number_forms(tok)}
        return cls(language=language, text=text, numbers=frozenset(numbers))


@dataclass(frozen=True)
class Violation:
    where: str
    kind: str
    found: str

    def __str__(self) -> str:
        if self.kind in ALWAYS:
            return f"{self.where}: remove the {self.kind} '{self.found}' (never allowed in a script)"
        return f"{self.where}: remove the {self.kind} '{self.found}' (not in the product data)"


def scan(text: str, g: Grounding, *, narration: bool = True) -> list[tuple[str, str]]:
    """(kind, found) for everything in `text` the sheet does not back. `narration` adds the brand heuristics
    that would misfire on title-case post titles and hashtags."""
    terms = load_terms()
    folded = fold(text)
    hits: list[tuple[str, str]] = []
    for m in _URL_RE.finditer(folded):
        hits.append(("url", m.group(0)))
    for m in _EMAIL_RE.finditer(folded):
        hits.append(("email", m.group(0)))
    for m in _PHONE_RE.finditer(folded):
        if sum(c.isdigit() for c in m.group(0)) >= 7:
            hits.append(("phone", m.group(0).strip()))
    hits += [("contact", t) for t in _find_terms(folded, terms.contact)]
    hits += [("injection", t) for t in _find_terms(folded, terms.injection)]
    for tok in _NUMBER_RE.findall(folded):
        if not (_number_forms(tok) & g.numbers):
            hits.append(("number", tok))
    lang = g.language
    for kind, table in (("absolute term", terms.absolute), ("medical claim", terms.medical)):
        exceptions = terms.absolute_exceptions.get(lang, []) if kind == "absolute term" else []
        for t in _find_terms(folded, table.get(lang, []) + (table.get("en", []) if lang != "en" else []),
                             exceptions):
            if t not in g.text:
                hits.append((kind, t))
    for brand in terms.brands:
        b = fold(brand)
        if _find_terms(folded, [b]) and b not in g.text:
            hits.append(("brand", brand))
    if narration:
        hits += [("brand", w) for w in _unknown_names(text, folded, g, terms)]
    # One report per (kind, text); a URL's digits are not also "numbers".
    seen: set[tuple[str, str]] = set()
    contact_text = " ".join(f for k, f in hits if k in ("url", "email", "phone"))
    out = []
    for kind, found in hits:
        if kind == "number" and found in contact_text:
            continue
        if (kind, found) not in seen:
            seen.add((kind, found))
            out.append((kind, found))
    return out


def _unknown_names(text: str, folded: str, g: Grounding, terms: GuardTerms) -> list[str]:
    """Names the sheet does not mention: Latin words inside a zh/th script, or capitalised words in the
    middle of a sentence in a Latin-script language."""
    names: list[str] = []
    if g.language in _CHAR_LANGUAGES:
        for w in _LATIN_WORD_RE.findall(folded):
            w = w.strip("-'&")
            if len(w) >= 2 and w not in terms.latin_allow and w not in g.text:
                names.append(w)
        return names
    for sentence in re.split(r"[.!?。！？:;\n]+", unicodedata.normalize("NFKC", text)):
        words = re.findall(r"[^\W\d_][\w'&\-]*", sentence)
        for w in words[1:]:
            if w[0].isupper() and w.casefold() not in terms.latin_allow and w.casefold() != "i" \
                    and not w.casefold().startswith("i'") and w.casefold() not in g.text:
                names.append(w)
    return names


def find_violations(script: Script, product: Product) -> list[Violation]:
    g = Grounding.of(product, script.language)
    out: list[Violation] = []
    for beat in script.beats:
        for li, line in enumerate(beat.lines):
            for field, value in (("text", line.text), ("caption", line.caption)):
                out += [Violation(f"{beat.kind}[{li}].{field}", k, f) for k, f in scan(value, g)]
            for kw in line.keywords:
                out += [Violation(f"{beat.kind}[{li}].keywords", k, f) for k, f in scan(kw, g)]
    for platform, post in script.copy_by_platform.items():
        out += [Violation(f"posts[{platform}].title", k, f) for k, f in scan(post.title, g, narration=False)]
        out += [Violation(f"posts[{platform}].description", k, f)
                for k, f in scan(post.description, g, narration=False)]
        for tag in post.hashtags:
            out += [Violation(f"posts[{platform}].hashtags", k, f) for k, f in scan(tag, g, narration=False)]
    return out


def _clean_sentences(text: str, g: Grounding, *, narration: bool) -> str:
    kept = [s for s in _SENTENCE_SPLIT_RE.split(text) if s and not scan(s, g, narration=narration)]
    return "".join(kept).strip()


def strip_violations(script: Script, product: Product, fallback_title: str) -> tuple[Script, list[str]]:
    """Remove what the guard refuses: a line whose narration is bad, a bad caption or keyword, a bad post
    title (replaced by `fallback_title`), bad sentences of a description, bad hashtags. A beat may be left
    with no line at all: the caller fills it (the writer takes that beat from the template writer)."""
    g = Grounding.of(product, script.language)
    notes: list[str] = []
    beats = []
    for beat in script.beats:
        lines = []
        for li, line in enumerate(beat.lines):
            bad = scan(line.text, g)
            if bad:
                notes.append(f"guard: dropped {beat.kind}[{li}] ({', '.join(f'{k} {f!r}' for k, f in bad)})")
                continue
            caption = line.caption
            if caption and scan(caption, g):
                notes.append(f"guard: cleared the caption of {beat.kind}[{li}]")
                caption = ""
            keywords = [k for k in line.keywords if not scan(k, g)]
            lines.append(line.model_copy(update={"caption": caption, "keywords": keywords}))
        if not lines:
            notes.append(f"guard: nothing of the {beat.kind} beat was usable")
        beats.append(beat.model_copy(update={"lines": lines}))
    copies: dict[str, PlatformCopy] = {}
    for platform, post in script.copy_by_platform.items():
        title, desc, tags = post.title, post.description, post.hashtags
        if scan(title, g, narration=False):
            notes.append(f"guard: replaced the {platform} title with the product title")
            title = fallback_title
        if scan(desc, g, narration=False):
            notes.append(f"guard: removed sentences from the {platform} description")
            desc = _clean_sentences(desc, g, narration=False)
        clean_tags = [t for t in tags if not scan(t, g, narration=False)]
        if len(clean_tags) != len(tags):
            notes.append(f"guard: dropped {len(tags) - len(clean_tags)} {platform} hashtag(s)")
        copies[platform] = PlatformCopy(title=title, description=desc, hashtags=clean_tags)
    return script.model_copy(update={"beats": beats, "copy_by_platform": copies}), notes


# -- input side ---------------------------------------------------------------------------------------

def _clean_field(value: str, where: str, notes: list[str]) -> str:
    terms = load_terms()
    kept = []
    for sentence in _SENTENCE_SPLIT_RE.split(value):
        if not sentence:
            continue
        if _find_terms(fold(sentence), terms.injection):
            notes.append(f"removed an instruction-like sentence from {where}")
            continue
        kept.append(sentence)
    text = "".join(kept)
    for kind, rx in (("a URL", _URL_RE), ("an e-mail address", _EMAIL_RE)):
        norm = unicodedata.normalize("NFKC", text)
        if rx.search(norm):
            text = rx.sub("", norm)
            notes.append(f"removed {kind} from {where}")
    phones = [m for m in _PHONE_RE.finditer(text) if sum(c.isdigit() for c in m.group(0)) >= 7]
    for m in reversed(phones):
        text = text[: m.start()] + text[m.end():]
    if phones:
        notes.append(f"removed a phone number from {where}")
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def sanitize_product(product: Product) -> tuple[Product, list[str]]:
    """The product with instruction-like sentences and contact details removed from every text field."""
    notes: list[str] = []
    update: dict[str, Any] = {}
    for name in ("title", "brand", "category", "audience", "offer"):
        update[name] = _clean_field(getattr(product, name), name, notes)
    update["selling_points"] = [s for s in (_clean_field(v, f"selling_points[{i}]", notes)
                                            for i, v in enumerate(product.selling_points)) if s]
    update["scenes"] = [s for s in (_clean_field(v, f"scenes[{i}]", notes)
                                    for i, v in enumerate(product.scenes)) if s]
    specs = {}
    for k, v in product.specs.items():
        key = _clean_field(k, f"specs key {k!r}", notes)
        if key:
            specs[key] = _clean_field(v, f"specs[{k!r}]", notes)
    update["specs"] = specs
    return product.model_copy(update=update), notes
