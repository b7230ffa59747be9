"""Answering a viewer from the product sheet: what the comment is about, and a reply that only repeats the sheet.

`Answerer.reply(user, text, current_sku)` is pure (no clocks, no files): it picks the product the comment is
about (one it names, else the one on air), the topic (a spec of that product, price, offer, audience, usage,
a spec the sheet lacks, a greeting, another question, or a remark), and writes the reply from the
prompts/loop/answer.<lang>.j2 templates. With an LLM configured, questions are answered by the model, and
the answer is kept only when the grounding guard (generator/script/llm_guard.py) finds nothing in it that the
sheet does not say; otherwise the template answer is used. Abusive comments, spam (links, phone numbers,
contact ids, instructions to the host) and plain remarks get no reply.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from generator.formatting import money
from generator.loop.interstitials import TEMPLATE_DIR, render_text, template_language
from generator.models import Product
from generator.script.llm_guard import ALWAYS, Grounding, fold, scan
from generator.settings import ASSETS_DIR
from generator.yamlfile import load_yaml

ABUSE_FILE = ASSETS_DIR / "live" / "abuse.yaml"
INTENTS_FILE = TEMPLATE_DIR / "intents.yaml"
MAX_QUOTE = 40   # characters of the question shown and read out
MAX_NAME = 12
TOPIC_ORDER = ("price", "offer", "audience", "usage", "specs")

Verdict = Literal["answer", "unknown", "greet", "deflect", "skip"]
# (product, question, language) -> the model's answer text, or None when it has none.
LLMAnswer = Callable[[Product, str, str], "str | None"]


@dataclass(frozen=True)
class Reply:
    verdict: Verdict
    topic: str
    sku: str = ""
    lines: tuple[str, ...] = ()
    quote: str = ""
    writer: str = "template"
    notes: tuple[str, ...] = ()

    @property
    def on_air(self) -> bool:
        return bool(self.lines)


@lru_cache(maxsize=1)
def load_intents() -> dict:
    return load_yaml(INTENTS_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def load_abuse() -> dict[str, list[str]]:
    data = load_yaml(ABUSE_FILE.read_text(encoding="utf-8"))
    return {lang: [fold(str(w)) for w in words or []] for lang, words in data.items()}


def squash(text: str) -> str:
    """Folded, with spaces, punctuation and symbols removed: "傻 逼!" → "傻逼"."""
    return "".join(c for c in fold(text) if unicodedata.category(c)[0] in "LN")


def _latin(term: str) -> bool:
    return all(ord(c) < 0x250 for c in term)


def is_abusive(text: str) -> bool:
    folded, squashed = fold(text), squash(text)
    for words in load_abuse().values():
        for word in words:
            if _latin(word):
                if re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", folded):
                    return True
            elif squash(word) and squash(word) in squashed:
                return True
    return False


def is_spam(text: str, product: Product) -> bool:
    """Links, e-mail, phone numbers, contact words or instructions to the host: never read out or shown."""
    return any(kind in ALWAYS for kind, _found in scan(text, Grounding.of(product, product.language)))


_DROPPED = ("Cf", "Co", "Cn", "Cs", "So", "Sk")  # format (zero-width, RTL), private, emoji and modifiers


def clean_text(text: str, limit: int) -> str:
    """Letters, digits, punctuation and spaces only (no control or format characters, no emoji: the caption
    fonts have no glyphs for them), whitespace collapsed, at most `limit` characters (… when cut)."""
    kept = (" " if unicodedata.category(c) == "Cc" else c for c in text if unicodedata.category(c) not in _DROPPED)
    text = re.sub(r"\s+", " ", "".join(kept)).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clean_name(user: str, product: Product) -> str:
    """The viewer's name as the host says it; a missing, abusive or spammy name becomes a polite stand-in."""
    name = clean_text(user, MAX_NAME).strip("@#＠ ")
    if not name or is_abusive(name) or is_spam(name, product) or sum(c.isdigit() for c in name) >= 5:
        return "这位朋友" if template_language(product.language) == "zh" else "friend"
    return name


def _words(language: str, topic: str) -> list[str]:
    return [fold(str(w)) for w in load_intents()[template_language(language)].get(topic, [])]


def _contains(folded: str, word: str) -> bool:
    if _latin(word) and word.strip("?"):
        return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", folded) is not None
    return word in folded


def _common_run(a: str, b: str) -> int:
    """Length of the longest run of characters `a` and `b` share (how much of a name a comment mentions)."""
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            if a[i:j] in b:
                best = j - i
            else:
                break
    return best


def mentions(folded: str, name: str) -> int:
    """How strongly a comment names something: CJK runs of 2+ characters, or whole Latin words of 3+ letters."""
    name = fold(name)
    if not name:
        return 0
    if _latin(name):
        words = [w for w in re.findall(r"[a-z0-9]+", name) if len(w) >= 3]
        return sum(len(w) for w in words if _contains(folded, w))
    run = _common_run(squash(name), squash(folded))
    return run if run >= 2 else 0


def resolve_product(text: str, products: Sequence[Product], current_sku: str | None) -> Product:
    """The product a comment names (title, brand or category), else the one on air, else the first."""
    folded = fold(text)
    scores = [(max(mentions(folded, p.title), mentions(folded, p.brand), mentions(folded, p.category)), p)
              for p in products]
    best = max((s for s, _p in scores), default=0)
    named = [p for s, p in scores if s == best and best > 0]
    if len(named) == 1:
        return named[0]
    current = [p for p in (named or products) if p.sku == current_sku]
    return current[0] if current else (named or list(products))[0]


def match_spec(text: str, product: Product) -> tuple[str, str] | None:
    """The spec of `product` the comment asks about: its name, a synonym viewers use, or 2+ shared CJK
    characters."""
    folded = fold(text)
    synonyms = load_intents()[template_language(product.language)].get("spec_synonyms", {})
    best: tuple[int, str, str] | None = None
    for key, value in product.specs.items():
        k = fold(key)
        score = len(k) * 2 if k and _contains(folded, k) else 0
        for alias, words in synonyms.items():
            related = fold(str(alias)) in k or k in fold(str(alias))
            if related and any(_contains(folded, fold(str(w))) for w in words):
                score = max(score, len(k) + 1)
        if not _latin(k):
            # Most of the name, not a shared common word: "烘焙" asks about 烘焙度, "产品" not about 产品尺寸.
            run = _common_run(squash(k), squash(folded))
            if run >= max(2, -(-3 * len(squash(k)) // 5)):
                score = max(score, run)
        if score and (best is None or score > best[0]):
            best = (score, key, value)
    return (best[1], best[2]) if best else None


def topic_of(text: str, product: Product) -> tuple[str, tuple[str, str] | None]:
    """("spec", (key, value)) | ("price"|"offer"|"audience"|"usage"|"specs"|"greeting"|"question"|"remark", None)."""
    spec = match_spec(text, product)
    if spec:
        return "spec", spec
    folded = fold(text)
    for topic in TOPIC_ORDER:
        if any(_contains(folded, w) for w in _words(product.language, topic)):
            return topic, None
    if any(_contains(folded, w) for w in _words(product.language, "greeting")):
        return "greeting", None
    if any(_contains(folded, w) for w in _words(product.language, "question")):
        return "question", None
    return "remark", None


def _grounded(topic: str, product: Product) -> bool:
    """Whether the sheet has what a template answer on `topic` needs."""
    return {"spec": True, "price": product.price is not None or product.sale_price is not None,
            "offer": bool(product.offer), "audience": bool(product.audience),
            "usage": bool(product.scenes)}.get(topic, False)


class Answerer:
    """Replies to comments about `products` (template answers; `llm` answers questions when given)."""

    def __init__(self, products: Sequence[Product], *, host_name: str = "小禾", seed: int = 0,
                 llm: LLMAnswer | None = None) -> None:
        if not products:
            raise ValueError("an Answerer needs at least one product")
        self.products, self.host_name, self.seed, self.llm = list(products), host_name, seed, llm

    def reply(self, user: str, text: str, current_sku: str | None = None, number: int = 0) -> Reply:
        product = resolve_product(text, self.products, current_sku)
        if is_abusive(text):
            return Reply("skip", "abusive", product.sku)
        if is_spam(text, product):
            return Reply("skip", "spam", product.sku)
        topic, spec = topic_of(text, product)
        if topic == "remark":
            return Reply("skip", "remark", product.sku)
        name = clean_name(user, product)
        quote = clean_text(text, MAX_QUOTE)
        context: dict[str, object] = {
            "product": product, "name": name, "question": quote, "host_name": self.host_name,
            "spec_key": spec[0] if spec else "", "spec_value": spec[1] if spec else "",
            "price": money(product.price), "sale": money(product.sale_price),
        }
        if topic == "greeting":
            lines = self._template("greeting", product, context, number)
            return Reply("greet", "greeting", product.sku, lines)
        if topic == "question":
            lines = self._template("deflect", product, context, number)
            return Reply("deflect", "off-topic", product.sku, lines)
        grounded = _grounded(topic, product)
        template = self._template(topic if grounded else "unknown", product, context, number)
        verdict: Verdict = "answer" if grounded else "unknown"
        label = f"spec:{spec[0]}" if spec else topic
        if self.llm is not None:
            answer, notes = self._llm_answer(product, quote)
            if answer:
                return Reply("answer", label, product.sku, (template[0], answer), quote, "llm", notes)
            return Reply(verdict, label, product.sku, template, quote, "template", notes)
        return Reply(verdict, label, product.sku, template, quote)

    def _template(self, topic: str, product: Product, context: dict[str, object], number: int) -> tuple[str, ...]:
        lines = render_text("answer", product.language, ["answer", product.sku, topic, number, self.seed],
                            topic=topic, **context)
        return tuple(lines)

    def _llm_answer(self, product: Product, question: str) -> tuple[str | None, tuple[str, ...]]:
        """The model's answer when the guard passes it; else None and why."""
        assert self.llm is not None
        try:
            answer = self.llm(product, question, product.language)
        except Exception as exc:  # noqa: BLE001 - any failure of the model falls back to the template answer
            return None, (f"llm failed ({type(exc).__name__}: {str(exc)[:120]}); template answer",)
        answer = clean_text(answer or "", 120)
        if not answer:
            return None, ("llm gave no answer; template answer",)
        found = scan(answer, Grounding.of(product, product.language))
        if found:
            what = ", ".join(f"{kind} '{text}'" for kind, text in found[:4])
            return None, (f"guard refused the llm answer ({what}); template answer",)
        return answer, ()
