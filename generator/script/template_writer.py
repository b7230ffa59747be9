"""The offline script writer: Jinja2 templates filled from the sheet, fitted to the duration budget.

Pure: the product and brief go in, a Script comes out; the only inputs are the sheet's own fields, so the
script never claims anything the merchant did not write. Variants differ by angle (hook family), by which
template alternative each beat uses, and by the order of selling points. A `CreativeChoice` (from
`daihuo make --learn`) names the angle and hook to use instead of the variant's rotation.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from jinja2 import Environment, StrictUndefined

from generator.formatting import money, price_text, price_unit
from generator.models import Beat, Brief, CreativeChoice, Line, Product, Script
from generator.models.creative import hook_angle
from generator.script.copywriting import platform_copy, titles_taken
from generator.settings import PROMPTS_DIR
from generator.voice.timing import SpeechTiming, rate_of
from generator.yamlfile import load_yaml

TEMPLATE_LANGUAGES = ("zh", "en")
_env = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


@cache
def load_templates(language: str) -> dict[str, Any]:
    return load_yaml((PROMPTS_DIR / "offline" / f"{language}.yaml").read_text(encoding="utf-8"))


def _render(template: dict[str, str], ctx: dict[str, Any]) -> Line | None:
    say = _env.from_string(template["say"]).render(**ctx).strip()
    show = _env.from_string(template.get("show", "")).render(**ctx).strip()
    if not say or say in ("。", "."):
        return None
    return Line(text=say, caption=show)



def template_context(product: Product, template_language: str, variant: int) -> dict[str, Any]:
    """The variables the templates see (sheet fields only)."""
    return {
        "p": product,
        "brand_title": f"{product.brand}{' ' if template_language != 'zh' and product.brand else ''}{product.title}",
        "price": money(product.price),
        "sale": money(product.sale_price),
        "unit": price_unit(product.currency, template_language),
        "price_shown": price_text(product.price, product.currency),
        "sale_shown": price_text(product.sale_price, product.currency),
        "offer": product.offer.rstrip("。.!！"),
        "audience": product.audience,
        "scene": product.scenes[(variant - 1) % len(product.scenes)] if product.scenes else "",
    }


def hook_line(product: Product, language: str, hook_id: str, variant: int = 1) -> Line | None:
    """The template hook HOOK_ID ('<angle>/<n>') filled in for PRODUCT, or None when there is no such hook."""
    template_language = language if language in TEMPLATE_LANGUAGES else "en"
    options = load_templates(template_language)["hook"].get(hook_angle(hook_id), [])
    number = hook_id.rpartition("/")[2]
    if not (number.isdigit() and 1 <= int(number) <= len(options)):
        return None
    return _render(options[int(number) - 1], template_context(product, template_language, variant))


def hook_ids(language: str) -> dict[str, list[str]]:
    """Every template hook, per angle: {'pain-point': ['pain-point/1', 'pain-point/2'], ...}."""
    tpl = load_templates(language if language in TEMPLATE_LANGUAGES else "en")
    return {angle: [f"{angle}/{i + 1}" for i in range(len(tpl["hook"][angle]))] for angle in tpl["angles"]}


def choose_angle_and_hook(angles: list[str], hooks: dict[str, list[dict[str, str]]], variant: int,
                          choice: CreativeChoice | None) -> tuple[str, int, list[str]]:
    """(angle, index of the first hook to try, notes): the choice where it names one we have, else the
    variant's rotation (variant 1 = first angle, first hook; variant 6 = first angle, second hook)."""
    notes: list[str] = []
    angle = angles[(variant - 1) % len(angles)]
    if choice and choice.angle:
        if choice.angle in angles:
            angle = choice.angle
        else:
            notes.append(f"creative choice: no angle '{choice.angle}' in the templates; used {angle}")
    start = (variant - 1) % len(hooks[angle])
    if choice and choice.hook:
        number = choice.hook.rpartition("/")[2]
        if hook_angle(choice.hook) == angle and number.isdigit() and 1 <= int(number) <= len(hooks[angle]):
            start = int(number) - 1
        else:
            notes.append(f"creative choice: no hook '{choice.hook}' for the angle {angle}; used {angle}/{start + 1}")
    return angle, start, notes


def _spec_texts(product: Product, language: str) -> list[str]:
    sep = "：" if language == "zh" else ": "
    return [f"{k}{sep}{v}" if v else k for k, v in product.specs.items()]


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
    ctx = template_context(product, language, script.variant)
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
    """`chars_per_second`: the speaking rate of the voice that will read the scripts (a number, or a function
    of the language such as VoiceEngine.chars_per_second); without it, a typical neural host's rate."""

    name = "template"

    def __init__(self, chars_per_second: float | Callable[[str], float] | None = None) -> None:
        self._cps = chars_per_second

    def timing(self, language: str) -> SpeechTiming:
        rate = self._cps(language) if callable(self._cps) else self._cps
        return rate_of(rate, language)

    def write(self, product: Product, brief: Brief, variant: int, *, siblings: Sequence[Script] = (),
              choice: CreativeChoice | None = None) -> Script:
        language = brief.language or product.language
        notes: list[str] = []
        template_language = language if language in TEMPLATE_LANGUAGES else "en"
        if template_language != language:
            notes.append(f"template writer has no {language} templates; wrote English (use --writer openai)")
        tpl = load_templates(template_language)
        rng = random.Random(f"{product.sku}/{variant}")
        angle, hook_start, choice_notes = choose_angle_and_hook(tpl["angles"], tpl["hook"], variant, choice)
        notes += choice_notes

        points = list(product.selling_points) or [product.title]
        # Each variant leads with a different selling point, so the demo beats differ too.
        shift = (variant - 1) % len(points)
        points = points[shift:] + points[:shift]
        specs = _spec_texts(product, template_language)
        rng.shuffle(specs)
        ctx = template_context(product, template_language, variant)

        def pick_at(options: list[dict[str, str]], start: int, **extra: Any) -> tuple[int, Line | None]:
            for k in range(len(options)):
                line = _render(options[(start + k) % len(options)], {**ctx, **extra})
                if line:
                    return (start + k) % len(options), line
            return start, None

        def pick(options: list[dict[str, str]], offset: int = 0, **extra: Any) -> Line | None:
            return pick_at(options, (variant - 1 + offset) % len(options), **extra)[1]

        hook_index, hook = pick_at(tpl["hook"][angle], hook_start)
        pain = pick(tpl["pain"], offset=rng.randrange(3))
        demos = [pick(tpl["demo"], offset=i, point=pt.rstrip("。.")) for i, pt in enumerate(points)]
        proofs = [pick(tpl["proof"], offset=i, spec=s) for i, s in enumerate(specs)]
        offer = pick(tpl["offer"]) if (product.price or product.sale_price or product.offer) else None
        cta = pick(tpl["cta"], offset=rng.randrange(4))

        chosen = fit_to_budget(
            hook=hook, pain=pain, demos=[d for d in demos if d], proofs=[p for p in proofs if p],
            offer=offer, cta=cta, timing=self.timing(template_language), duration=brief.duration,
        )
        chosen = {beat: [_spoken_prices(line, product, template_language) for line in lines] for beat, lines in chosen.items()}
        beats = _assemble(chosen, product)
        script = Script(
            sku=product.sku, variant=variant, language=language, angle=angle, beats=beats,
            hook_id=f"{angle}/{hook_index + 1}" if hook else "", creative=choice, writer=self.name, notes=notes,
        )
        script.copy_by_platform = {p: platform_copy(product, script, p, tpl.get("tags", []),
                                                    titles_taken(siblings, p, choice.avoid_titles if choice else ()))
                                   for p in brief.platforms}
        return script


def fit_to_budget(
    *, hook: Line | None, pain: Line | None, demos: list[Line], proofs: list[Line], offer: Line | None,
    cta: Line | None, timing: SpeechTiming, duration: float,
) -> dict[str, list[Line]]:
    """Choose which lines to keep so that the voice track fits `duration` seconds, as the timing model
    predicts it: the engine's rate and the track's real pauses for the beats these lines make.

    The spine (hook, first selling point, offer, call to action) is always kept; then the optional lines are
    added in order of value (more selling points, the pain point, specs) while they still fit.
    """

    def seconds(chosen: dict[str, list[Line]]) -> float:
        return timing.seconds([[line.text for line in lines] for lines in _beat_lines(chosen)])

    chosen: dict[str, list[Line]] = {
        "hook": [hook] if hook else [], "pain": [], "demo": demos[:1], "proof": [],
        "offer": [offer] if offer else [], "cta": [cta] if cta else [],
    }
    # Too long even for the spine (short clips): speak the short caption form of the longest lines.
    for beat in ("offer", "hook", "cta", "demo"):
        if seconds(chosen) <= duration:
            break
        chosen[beat] = [Line(text=line.shown, caption=line.shown, keywords=line.keywords) for line in chosen[beat]]
    optional: list[tuple[str, Line]] = []
    optional += [("demo", d) for d in demos[1:2]]
    optional += [("pain", pain)] if pain else []
    optional += [("proof", p) for p in proofs[:1]]
    optional += [("demo", d) for d in demos[2:]]
    optional += [("proof", p) for p in proofs[1:3]]
    for beat, line in optional:
        trial = {**chosen, beat: [*chosen[beat], line]}
        if seconds(trial) <= duration:
            chosen = trial
    return chosen


def _beat_lines(chosen: dict[str, list[Line]]) -> list[list[Line]]:
    """The lines of each beat _assemble will make, in order (every selling point is a beat of its own)."""
    beats: list[list[Line]] = []
    for kind in ("hook", "pain", "demo", "proof", "offer", "cta"):
        lines = chosen[kind]
        if kind == "demo":
            beats += [[line] for line in lines]
        elif lines:
            beats.append(lines)
    return beats


def _spoken_prices(line: Line, product: Product, language: str) -> Line:
    """A line spoken in its short caption form says "29 dollars", not "$29" (the voice knows only ¥)."""
    text = line.text
    for value in (product.sale_price, product.price):
        shown = price_text(value, product.currency)
        if shown and shown in text:
            text = text.replace(shown, f"{money(value)}{'' if language == 'zh' else ' '}{price_unit(product.currency, language)}")
    return line if text == line.text else line.model_copy(update={"text": text})


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
