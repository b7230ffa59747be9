"""The offline script writer: Jinja2 templates filled from the sheet, fitted to the duration budget.

Pure: the product and brief go in, a Script comes out; the only inputs are the sheet's own fields, so the
script never claims anything the merchant did not write. Variants differ by angle (hook family), by which
template alternative each beat uses, and by the order of selling points.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import cache
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined

from generator.formatting import money
from generator.models import Beat, Brief, Line, Product, Script
from generator.script.copywriting import platform_copy
from generator.settings import PROMPTS_DIR
from generator.voice.espeak import text_units

TEMPLATE_LANGUAGES = ("zh", "en")
_env = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)

# Seconds of pauses the voice track adds around lines (see generator.voice.track), per line on average.
PAUSE_PER_LINE = 0.3
FIXED_OVERHEAD = 1.2


@cache
def load_templates(language: str) -> dict[str, Any]:
    return yaml.safe_load((PROMPTS_DIR / "offline" / f"{language}.yaml").read_text(encoding="utf-8"))


def _render(template: dict[str, str], ctx: dict[str, Any]) -> Line | None:
    say = _env.from_string(template["say"]).render(**ctx).strip()
    show = _env.from_string(template.get("show", "")).render(**ctx).strip()
    if not say or say in ("。", "."):
        return None
    return Line(text=say, caption=show)



def _spec_texts(product: Product, language: str) -> list[str]:
    sep = "：" if language == "zh" else ": "
    return [f"{k}{sep}{v}" if v else k for k, v in product.specs.items()]


def _context(product: Product, language: str, variant: int = 1) -> dict[str, Any]:
    return {
        "p": product,
        "brand_title": f"{product.brand}{' ' if language != 'zh' and product.brand else ''}{product.title}",
        "price": money(product.price),
        "sale": money(product.sale_price),
        "offer": product.offer.rstrip("。.!！"),
        "audience": product.audience,
        "scene": product.scenes[(variant - 1) % len(product.scenes)] if product.scenes else "",
    }


def extra_lines(product: Product, script: Script) -> list[tuple[str, Line]]:
    """Lines that could lengthen `script`, all from the sheet's own fields, most useful first: (beat, line).

    Selling points and specs the script does not say yet, a pain line when it has none, then the product's
    scenes and audience. The duration fitter (generator/script/fit.py) picks from these; other languages than
    the template languages get none.
    """
    language = script.language if script.language in TEMPLATE_LANGUAGES else None
    if language is None:
        return []
    tpl = load_templates(language)
    said = script.narration()
    ctx = _context(product, language, script.variant)
    out: list[tuple[str, Line]] = []
    n = len(script.lines())

    def add(beat: str, options: list[dict[str, str]], k: int, **extra: Any) -> None:
        for j in range(len(options)):
            line = _render(options[(k + j) % len(options)], {**ctx, **extra})
            if line:
                out.append((beat, line))
                return

    for i, point in enumerate(p.rstrip("。.") for p in product.selling_points):
        if point and point not in said:
            add("demo", tpl["demo"], n + i, point=point)
    for i, spec in enumerate(_spec_texts(product, language)):
        if spec.split("：")[-1].split(": ")[-1] not in said:
            add("proof", tpl["proof"], n + i, spec=spec)
    if not any(b.kind == "pain" for b in script.beats):
        add("pain", tpl["pain"], n)
    extend = tpl.get("extend", {})
    for i, scene in enumerate(product.scenes):
        if scene not in said:
            add("pain", extend.get("scene", []), i, scene=scene)
    if product.audience and product.audience not in said:
        add("pain", extend.get("audience", []), 0)
    # Longer briefs: the brand by name, the offer once more, a recap of the points, a second call to action,
    # and a closer look at each point (what a 60 s clip says while the shots show the details).
    add("hook", extend.get("brand", []), 0)
    if product.price or product.sale_price or product.offer:
        add("offer", extend.get("recap_offer", []), 0)
    points = [p.rstrip("。.") for p in product.selling_points if p]
    if len(points) >= 2:
        add("proof", extend.get("recap_points", []), 0, points=("，" if language == "zh" else "; ").join(points))
    used_cta = {line.text for beat in script.beats if beat.kind == "cta" for line in beat.lines}
    for option in tpl["cta"]:
        line = _render(option, ctx)
        if line and line.text not in used_cta:
            out.append(("cta", line))
            break
    for i, point in enumerate(points):
        add("demo", extend.get("closer_look", []), i, point=point)
    return out


class TemplateWriter:
    name = "template"

    def __init__(self, chars_per_second: float | None = None) -> None:
        self._cps = chars_per_second

    def _rate(self, language: str) -> float:
        if self._cps:
            return self._cps
        from generator.voice.espeak import EspeakVoice

        return EspeakVoice().chars_per_second(language)  # type: ignore[arg-type]

    def write(self, product: Product, brief: Brief, variant: int, *, siblings: Sequence[Script] = ()) -> Script:
        language = brief.language or product.language
        notes: list[str] = []
        template_language = language if language in TEMPLATE_LANGUAGES else "en"
        if template_language != language:
            notes.append(f"template writer has no {language} templates; wrote English (use --writer openai)")
        tpl = load_templates(template_language)
        rng = random.Random(f"{product.sku}/{variant}")
        angles: list[str] = tpl["angles"]
        angle = angles[(variant - 1) % len(angles)]

        points = list(product.selling_points) or [product.title]
        # Each variant leads with a different selling point, so the demo beats differ too.
        shift = (variant - 1) % len(points)
        points = points[shift:] + points[:shift]
        specs = _spec_texts(product, template_language)
        rng.shuffle(specs)
        ctx = _context(product, template_language, variant)

        def pick(options: list[dict[str, str]], offset: int = 0, **extra: Any) -> Line | None:
            start = (variant - 1 + offset) % len(options)
            for k in range(len(options)):
                line = _render(options[(start + k) % len(options)], {**ctx, **extra})
                if line:
                    return line
            return None

        hook = pick(tpl["hook"][angle])
        pain = pick(tpl["pain"], offset=rng.randrange(3))
        demos = [pick(tpl["demo"], offset=i, point=pt.rstrip("。.")) for i, pt in enumerate(points)]
        proofs = [pick(tpl["proof"], offset=i, spec=s) for i, s in enumerate(specs)]
        offer = pick(tpl["offer"]) if (product.price or product.sale_price or product.offer) else None
        cta = pick(tpl["cta"], offset=rng.randrange(4))

        chosen = fit_to_budget(
            hook=hook, pain=pain, demos=[d for d in demos if d], proofs=[p for p in proofs if p],
            offer=offer, cta=cta, language=template_language,
            rate=self._rate(template_language), duration=brief.duration,
        )
        beats = _assemble(chosen, product)
        script = Script(
            sku=product.sku, variant=variant, language=language, angle=angle, beats=beats,
            writer=self.name, notes=notes,
        )
        script.copy_by_platform = {p: platform_copy(product, script, p, tpl.get("tags", [])) for p in brief.platforms}
        return script


def fit_to_budget(
    *, hook: Line | None, pain: Line | None, demos: list[Line], proofs: list[Line], offer: Line | None,
    cta: Line | None, language: str, rate: float, duration: float,
) -> dict[str, list[Line]]:
    """Choose which lines to keep so that the spoken length fits `duration` seconds.

    The spine (hook, first selling point, offer, call to action) is always kept; then the optional lines are
    added in order of value (more selling points, the pain point, specs) while they still fit.
    """

    def seconds(line: Line) -> float:
        return text_units(line.text, language) / rate + PAUSE_PER_LINE

    chosen: dict[str, list[Line]] = {
        "hook": [hook] if hook else [], "pain": [], "demo": demos[:1], "proof": [],
        "offer": [offer] if offer else [], "cta": [cta] if cta else [],
    }
    used = FIXED_OVERHEAD + sum(seconds(line) for lines in chosen.values() for line in lines)
    # Too long even for the spine (short clips): speak the short caption form of the longest lines.
    for beat in ("offer", "hook", "cta", "demo"):
        if used <= duration:
            break
        for i, line in enumerate(chosen[beat]):
            short = Line(text=line.shown, caption=line.shown, keywords=line.keywords)
            used += seconds(short) - seconds(line)
            chosen[beat][i] = short
    optional: list[tuple[str, Line]] = []
    optional += [("demo", d) for d in demos[1:2]]
    optional += [("pain", pain)] if pain else []
    optional += [("proof", p) for p in proofs[:1]]
    optional += [("demo", d) for d in demos[2:]]
    optional += [("proof", p) for p in proofs[1:3]]
    for beat, line in optional:
        cost = seconds(line)
        if used + cost <= duration:
            chosen[beat].append(line)
            used += cost
    return chosen


def _assemble(chosen: dict[str, list[Line]], product: Product) -> list[Beat]:
    """Beats in the 痛点→演示→证明→福利→行动 order, each with the visual it shows."""
    n_images = max(1, len(product.images))
    beats: list[Beat] = []
    for kind in ("hook", "pain", "demo", "proof", "offer", "cta"):
        lines = chosen[kind]
        if not lines:
            continue
        if kind == "demo":
            # One beat per selling point, so each gets its own product image.
            for i, line in enumerate(lines):
                visual = f"image:{(i + 1) % n_images}" if product.images else "card:title"
                beats.append(Beat(kind="demo", lines=[line], visual=visual))
            continue
        visual = {
            "hook": "image:0" if product.images else "card:title",
            "pain": f"image:{min(1, n_images - 1)}" if product.images else "card:title",
            "proof": "card:specs",
            "offer": "card:offer",
            "cta": "image:0" if product.images else "card:title",
        }[kind]
        beats.append(Beat(kind=kind, lines=lines, visual=visual))  # type: ignore[arg-type]
    return beats
