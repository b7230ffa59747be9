"""Compliance review of a script: find, then (policy `fix`) rewrite, (policy `block`) stop, or (`warn`) report.

Everything here is pure: the lexicon is data loaded once, the script and product come in, a new script and a
ComplianceReport go out. The pipeline calls `review_script`; `daihuo lint` calls `review_text`.
"""

from __future__ import annotations

import re

from generator.compliance.matcher import Evidence, Hit, Matcher, matcher_for_category
from generator.compliance.normalize import compact_text
from generator.models import CompliancePolicy, ComplianceReport, Finding, Product, Script

_DELIMS = "，。！？；、,!?;\n…~～"
_PUNCT_RUN = re.compile(r"([，。！？；、,.!?;…~～])[，。！？；、,.!?;…~～\s]*(?=[，。！？；、,.!?;…~～])")
_LEADING = re.compile(r"^[\s，。！？；、,.!?;…~～]+")
_CLASSIFIERS = set("这那款个种只瓶支件套盒是")
MAX_PASSES = 3


def review_text(text: str, *, category: str = "", language: str = "zh") -> list[Finding]:
    """Findings for one piece of text (offsets into `text`). `language` only picks the wording of suggestions
    that delete (Chinese or English); every text is checked against both the Chinese and English terms."""
    hits = matcher_for_category(category).find(text)
    findings = [h.finding() for h in hits]
    if language != "zh":
        for f, h in zip(findings, hits, strict=True):
            if h.fix != "replace" or not h.replace:
                f.suggestion = "(drop the sentence)" if h.fix == "drop" else "(delete)"
    return findings


def evidence_of(product: Product) -> Evidence:
    """What the sheet itself proves (rankings with sources, certificates), and the brand (a trademark)."""
    texts = [*product.selling_points, *(f"{k}：{v}" for k, v in product.specs.items())]
    return Evidence(texts=texts, brand=product.brand)


# -- rewriting ------------------------------------------------------------------------------------------

def _is_delim(text: str, k: int) -> bool:
    ch = text[k]
    if ch in _DELIMS:
        return True
    if ch == ".":  # a full stop, not a decimal point
        return not (0 < k < len(text) - 1 and text[k - 1].isdigit() and text[k + 1].isdigit())
    return False


def _clause(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause around [start, end) together with one neighbouring delimiter, to drop it cleanly."""
    left = start
    while left > 0 and not _is_delim(text, left - 1):
        left -= 1
    right = end
    while right < len(text) and not _is_delim(text, right):
        right += 1
    if right < len(text):
        right += 1  # take the delimiter after the clause
    elif left > 0:
        left -= 1  # last clause: take the delimiter before it
    return left, right


def _has_content(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _tidy(text: str) -> str:
    text = _PUNCT_RUN.sub("", text)
    text = _LEADING.sub("", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"\s+([,.!?;])", r"\1", text)
    return text.strip()


def _cap_like(original: str, replacement: str) -> str:
    if original[:1].isupper() and replacement[:1].islower():
        return replacement[0].upper() + replacement[1:]
    return replacement


def _delete(text: str, start: int, end: int) -> tuple[str, int]:
    """Delete [start, end); also a dangling 的 after it ("这款医生推荐的面霜" → "这款面霜")."""
    if end < len(text) and text[end] == "的" and (start == 0 or text[start - 1] in _CLASSIFIERS
                                                   or _is_delim(text, start - 1)):
        end += 1
    new = text[:start] + text[end:]
    if start > 0 and start < len(new) and new[start - 1] == " " and new[start] == " ":
        new = new[:start] + new[start + 1:]
    return new, start


def _suitable(matcher: Matcher, evidence: Evidence, text: str, start: int, replacement: str) -> bool:
    """A replacement is suitable when the sentence with it in place raises nothing new where it sits."""
    end = start + len(replacement)
    return not any(h.start < end and h.end > start and h.rule.severity != "warn"
                   for h in matcher.find(text, evidence))


def _apply(text: str, hit: Hit, matcher: Matcher, evidence: Evidence) -> tuple[str, int]:
    """Rewrite one hit; returns the new text and the left edge of the changed region."""
    if hit.fix == "replace":
        for candidate in hit.replace:
            repl = _cap_like(hit.term, candidate)
            new = text[:hit.start] + repl + text[hit.end:]
            if _suitable(matcher, evidence, new, hit.start, repl):
                return new, hit.start
    if hit.fix == "drop":
        left, right = _clause(text, hit.start, hit.end)
        new = text[:left] + text[right:]
        if hit.english and left == 0 and new[:1].islower():
            new = new.lstrip()
            new = new[:1].upper() + new[1:]
        return new, left
    new, left = _delete(text, hit.start, hit.end)
    if hit.english and hit.start == 0:
        new = new.lstrip()
        new = new[:1].upper() + new[1:]
    return new, left


def fix_text(text: str, matcher: Matcher, evidence: Evidence | None = None) -> str:
    """Rewrite every block/review finding of `text` with its first suitable replacement (several passes,
    because a rewrite can expose a shorter term). Warn-level findings are left for a person to check."""
    evidence = evidence or Evidence()
    for _ in range(MAX_PASSES):
        hits = [h for h in matcher.find(text, evidence) if h.rule.severity != "warn"]
        if not hits:
            break
        new = text
        fence = len(new) + 1
        for hit in sorted(hits, key=lambda h: h.start, reverse=True):
            if hit.end > fence:
                continue  # inside a clause that was already dropped
            new, fence = _apply(new, hit, matcher, evidence)
        new = _tidy(new)
        if new == text:
            break
        text = new
    return text if _has_content(text) else ""


# -- the script -----------------------------------------------------------------------------------------

def _fields(script: Script) -> list[tuple[str, str]]:
    """(where, text) for every piece of text a viewer sees or hears."""
    out: list[tuple[str, str]] = []
    for i, line in enumerate(script.lines()):
        out.append((f"narration[{i}]", line.text))
        if line.caption:
            out.append((f"caption[{i}]", line.caption))
        for j, kw in enumerate(line.keywords):
            out.append((f"keyword[{i}][{j}]", kw))
    for platform, copy in script.copy_by_platform.items():
        out.append((f"title:{platform}", copy.title))
        if copy.description:
            out.append((f"description:{platform}", copy.description))
        for j, tag in enumerate(copy.hashtags):
            out.append((f"hashtag:{platform}[{j}]", tag))
    return out


_WHERE = re.compile(r"^(narration|caption|keyword|title|description|hashtag)(?:\[(\d+)\](?:\[(\d+)\])?|:([\w-]+)(?:\[(\d+)\])?)$")


def _set_field(script: Script, where: str, value: str) -> None:
    m = _WHERE.match(where)
    if not m:
        raise ValueError(f"unknown script field {where!r}")
    kind = m.group(1)
    if kind in ("narration", "caption", "keyword"):
        line = script.lines()[int(m.group(2))]
        if kind == "narration":
            line.text = value
        elif kind == "caption":
            line.caption = value
        else:
            line.keywords[int(m.group(3))] = value
        return
    copy = script.copy_by_platform[m.group(4)]
    if kind == "title":
        copy.title = value
    elif kind == "description":
        copy.description = value
    else:
        copy.hashtags[int(m.group(5))] = value.replace(" ", "")


def _product_findings(matcher: Matcher, product: Product) -> list[Finding]:
    findings: list[Finding] = []
    fields = [("product:category", product.category), ("product:title", product.title),
              *((f"product:spec:{k}", f"{k}{v}") for k, v in product.specs.items())]
    for rule in matcher.product_rules:
        for where, value in fields:
            key = compact_text(value)
            for pattern in rule.patterns:
                m = re.search(pattern, key)
                if m:
                    findings.append(Finding(
                        term=m.group(0), rule=rule.key, category=rule.category, severity=rule.severity,
                        start=0, end=len(value), suggestion="（不生成该商品的视频）", where=where, reason=rule.reason,
                        basis=rule.basis))
                    break
            else:
                continue
            break
    return findings


def product_findings(product: Product) -> list[Finding]:
    """Rules about the product itself (a product that may not be advertised at all), from its category, title
    and specs; `where` is product:category, product:title or product:spec:<key>."""
    return _product_findings(matcher_for_category(product.category), product)


def _fix_fields(out: Script, fields: list[tuple[str, str]], matcher: Matcher, evidence: Evidence,
                report: ComplianceReport) -> None:
    """Rewrite the fields of `out` in place. A narration line with nothing left is removed from its beat
    (when the beat keeps another line); an empty hashtag disappears; an empty title keeps its text (and blocks)."""
    dropped_tags: dict[str, set[int]] = {}
    dropped_lines: set[int] = set()
    lines = out.lines()
    for where, text in fields:
        new = fix_text(text, matcher, evidence)
        if new == text:
            continue
        if not new:
            if where.startswith("hashtag:"):
                platform, j = where[len("hashtag:"):].rstrip("]").split("[")
                dropped_tags.setdefault(platform, set()).add(int(j))
            elif where.startswith("narration["):
                idx = int(where[len("narration["):-1])
                beat = next(b for b in out.beats if any(line is lines[idx] for line in b.lines))
                if len([ln for ln in beat.lines if all(ln is not lines[k] for k in dropped_lines)]) <= 1:
                    continue  # the beat would be empty: keep the line; a block finding left in it blocks
                dropped_lines.add(idx)
            elif where.startswith("title:"):
                continue
        if where.startswith(("caption[", "keyword[")) and int(where.split("[")[1].rstrip("]")) in dropped_lines:
            continue
        _set_field(out, where, new)
        report.rewrites.append({"where": where, "before": text, "after": new})
    for platform, idxs in dropped_tags.items():
        tags = out.copy_by_platform[platform].hashtags
        out.copy_by_platform[platform].hashtags = [t for k, t in enumerate(tags) if k not in idxs]
    for beat in out.beats:
        beat.lines = [ln for ln in beat.lines if all(ln is not lines[k] for k in dropped_lines)]
        for line in beat.lines:
            line.keywords = [k for k in line.keywords if k]


def review_script(script: Script, product: Product, policy: CompliancePolicy = "fix") -> tuple[Script, ComplianceReport]:
    """Return the (possibly rewritten) script and a report of what was found and changed.

    fix:   rewrite block/review findings with the first suitable replacement; blocked only when something
           cannot be fixed (a product that may not be advertised, a line that would be left empty).
    block: change nothing; blocked when any block-severity finding exists.
    warn:  change nothing, never blocked; the report lists the findings.
    """
    matcher = matcher_for_category(product.category)
    evidence = evidence_of(product)
    report = ComplianceReport(policy=policy, reviewer="lexicon", disclosures=list(dict.fromkeys(matcher.disclosures)))
    report.findings.extend(_product_findings(matcher, product))
    out = script.model_copy(deep=True)
    fields = _fields(out)
    for where, text in fields:
        report.findings.extend(h.finding(where) for h in matcher.find(text, evidence))

    if policy == "fix":
        _fix_fields(out, fields, matcher, evidence, report)
        remaining = [h for where, text in _fields(out) for h in matcher.find(text, evidence)
                     if h.rule.severity == "block"]
        report.blocked = bool(remaining) or any(f.severity == "block" for f in report.findings
                                                if f.where.startswith("product"))
        if report.rewrites:
            out.notes.append(f"compliance: {len(report.rewrites)} rewrite(s) by the lexicon reviewer")
    elif policy == "block":
        report.blocked = any(f.severity == "block" for f in report.findings)
    return (out if policy == "fix" else script), report


def blocking_reasons(report: ComplianceReport) -> list[str]:
    """One line per blocking finding, for error messages ("product blocked: ...")."""
    seen: dict[str, str] = {}
    for f in report.findings:
        if f.severity == "block":
            seen.setdefault(f"{f.term}|{f.rule}", f"「{f.term}」({f.where or 'text'}): {f.reason}")
    return list(seen.values())


def review_display(product: Product, report: ComplianceReport) -> Product:
    """Review the sheet text that is drawn on screen outside the script (cards, cover, badge).

    The renderer shows the product's title, selling points, offer and specs on its cards, so they need the
    same treatment as the script: rewritten under `fix` (each change recorded), blocking under `block`,
    reported under `warn`. Returns the product to draw.
    """
    matcher = matcher_for_category(product.category)
    evidence = evidence_of(product)
    fields: list[tuple[str, str]] = [("card:title", product.title), ("card:offer", product.offer)]
    fields += [(f"card:point[{i}]", p) for i, p in enumerate(product.selling_points)]
    fields += [(f"card:spec[{k}]", v) for k, v in product.specs.items()]
    changes: dict[str, str] = {}
    for where, text in fields:
        hits = [h for h in matcher.find(text, evidence) if h.rule.severity != "warn" or report.policy == "warn"]
        if not hits:
            continue
        report.findings.extend(h.finding(where) for h in hits)
        if report.policy == "fix":
            new = fix_text(text, matcher, evidence)
            if new != text:
                changes[where] = new
                report.rewrites.append({"where": where, "before": text, "after": new})
        elif report.policy == "block" and any(h.rule.severity == "block" for h in hits):
            report.blocked = True
    if not changes:
        return product
    points = [changes.get(f"card:point[{i}]", p) for i, p in enumerate(product.selling_points)]
    return product.model_copy(update={
        "title": changes.get("card:title", product.title) or product.sku,
        "offer": changes.get("card:offer", product.offer),
        "selling_points": [p for p in points if p],
        "specs": {k: changes.get(f"card:spec[{k}]", v) for k, v in product.specs.items()},
    })
