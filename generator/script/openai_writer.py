"""The `openai` script writer: any OpenAI-compatible chat endpoint writes the script, guarded and budgeted.

One write = (cache lookup) -> prompt -> reply -> validate + ground + budget -> at most one repair round ->
deterministic clean-up (strip what the guard refuses, trim to the budget) -> distinctness check against the
siblings and the hooks used in this job (one regeneration when too alike) -> cache. When the endpoint keeps
failing (retries spent, request cap, bad key) the template writer writes the script instead, and every later
product of the job goes straight to it; Script.writer and Script.notes say so.

Create one writer per job and reuse it for every product: it holds the job's request cap, usage totals
(`usage`), the hook registry and the circuit breaker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from generator.models import ANGLES, Brief, CreativeChoice, Language, Product, Script
from generator.platforms import get_preset
from generator.script.base import ScriptWriter
from generator.script.copywriting import titles_taken, unique_title
from generator.script.llm_budget import budget_units, script_units, trim_to_budget, unit_name
from generator.script.llm_cache import ScriptCache, cache_key
from generator.script.llm_client import ChatClient, ChatResult, LLMError, LLMUnavailable
from generator.script.llm_guard import find_violations, sanitize_product, strip_violations
from generator.script.llm_hooks import HookRegistry
from generator.script.llm_prompts import (
    PromptContext,
    angle_for,
    canonical_category,
    prompt_version,
    render_messages,
    render_repair,
)
from generator.script.llm_schema import ReplyContract, ReplyError, fit_post, parse_reply, to_script
from generator.script.similarity import SIMILARITY_LIMIT, max_similarity, script_text
from generator.settings import Settings, get_settings

TARGET_FILL = 0.85  # aim a little under the budget; the limit is the budget itself
SHORT = 0.5  # under half the target the script goes back for more


@dataclasses.dataclass
class _Tally:
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, r: ChatResult) -> None:
        self.requests += r.attempts
        self.prompt_tokens += r.usage.get("prompt_tokens", 0)
        self.completion_tokens += r.usage.get("completion_tokens", 0)


class OpenAIWriter:
    name = "openai"

    def __init__(self, settings: Settings | None = None, *, client: ChatClient | None = None,
                 cache: ScriptCache | None = None, hooks: HookRegistry | None = None,
                 rate: Callable[[Language], float] | None = None, fallback: ScriptWriter | None = None):
        s = settings or get_settings()
        self.model = s.llm_model
        self.client = client or ChatClient(
            model=s.llm_model, base_url=s.openai_base_url, api_key=s.openai_api_key, timeout=s.llm_timeout,
            max_retries=s.llm_max_retries, max_requests=s.llm_max_requests, temperature=s.llm_temperature,
            response_format=s.llm_response_format,
        )
        self.cache = cache if cache is not None else ScriptCache(s.cache_dir if s.llm_cache else None)
        self.hooks = hooks or HookRegistry()
        self.rate = rate
        self._rates: dict[str, float | None] = {}
        self._fallback = fallback
        self.down: str | None = None  # why the endpoint is given up on for the rest of the job
        self.cache_hits = 0
        self.fallbacks = 0

    @property
    def usage(self) -> dict[str, int]:
        """Token and request totals of this job: requests, retries, prompt/completion/total tokens,
        cache_hits, fallbacks."""
        return {**self.client.usage, "cache_hits": self.cache_hits, "fallbacks": self.fallbacks}

    # -- the protocol ----------------------------------------------------------------------------
    def write(self, product: Product, brief: Brief, variant: int, *, siblings: Sequence[Script] = (),
              choice: CreativeChoice | None = None) -> Script:
        language: Language = brief.language or product.language
        clean, input_notes = sanitize_product(product)
        category = canonical_category(product.category) or product.category
        max_units = budget_units(brief.duration, language, self._rate(language, brief))
        angle = choice.angle if choice and choice.angle in ANGLES else angle_for(variant)
        hook_example = _hook_example(clean, language, choice)
        # A creative choice changes what is asked, so it is part of the key (absent, keys stay as they were).
        creative = {"creative": [angle, choice.hook if choice else None]} if choice else {}
        key = cache_key(product=product.content_hash(), prompt=prompt_version(), model=self.model,
                        variant=variant, language=language, duration=brief.duration,
                        platforms=sorted(brief.platforms), **creative)
        cached = self.cache.get(key)
        if cached is not None:
            self.cache_hits += 1
            self.hooks.add(category, cached.hook.lines[0].text)
            return _with_unique_titles(cached.model_copy(update={
                "notes": [*cached.notes, "llm: reused from the cache, no request"]}), clean, siblings, choice)
        if self.down:
            return self._fall_back(clean, brief, variant, siblings, self.down, input_notes, choice)
        ctx = PromptContext(
            product=clean, language=language, variant=variant, angle=angle,
            duration=brief.duration, platforms=list(brief.platforms),
            target_units=int(max_units * TARGET_FILL), max_units=max_units,
            avoid_hooks=self.hooks.used(category)[-8:], hook_example=hook_example,
        )
        try:
            script, notes = self._generate(ctx, clean, brief, siblings, category)
        except LLMUnavailable as exc:
            self.down = exc.reason
            return self._fall_back(clean, brief, variant, siblings, exc.reason, input_notes, choice)
        except LLMError as exc:
            return self._fall_back(clean, brief, variant, siblings, exc.reason, input_notes, choice)
        # The angle asked for is the one recorded (it is what `daihuo learn` compares), and the hook asked for.
        script = script.model_copy(update={"notes": [*input_notes, *notes], "angle": angle,
                                           "hook_id": choice.hook if choice and hook_example else "",
                                           "creative": choice})
        self.cache.put(key, script, model=self.model, prompt_version=prompt_version())
        self.hooks.add(category, script.hook.lines[0].text)
        return _with_unique_titles(script, clean, siblings, choice)

    # -- generation ------------------------------------------------------------------------------
    def _generate(self, ctx: PromptContext, clean: Product, brief: Brief, siblings: Sequence[Script],
                  category: str) -> tuple[Script, list[str]]:
        tally = _Tally()
        script, notes = self._attempt(ctx, clean, brief, tally)
        sim, other = max_similarity(script, siblings)
        clash = self.hooks.clash(category, script.hook.lines[0].text)
        if sim >= SIMILARITY_LIMIT or clash:
            why = (f"similarity {sim:.2f} to variant {other.variant}" if other is not None and sim >= SIMILARITY_LIMIT
                   else f"hook too close to one used for another {category or 'product'}")
            retry_ctx = dataclasses.replace(
                ctx, avoid_hooks=[*ctx.avoid_hooks, *([clash] if clash else [])],
                avoid_scripts=[_summary(s) for s in siblings][-4:] + [_summary(script)],
            )
            try:
                again, again_notes = self._attempt(retry_ctx, clean, brief, tally)
            except LLMUnavailable as exc:
                self.down = exc.reason
                notes.append(f"distinctness: {why}; could not regenerate ({exc.reason})")
            except LLMError as exc:
                notes.append(f"distinctness: {why}; regeneration failed ({exc.reason})")
            else:
                sim2, _ = max_similarity(again, siblings)
                clash2 = self.hooks.clash(category, again.hook.lines[0].text)
                if (sim2, bool(clash2)) < (sim, bool(clash)) or (sim2 < SIMILARITY_LIMIT and not clash2):
                    script, notes = again, [*notes, *again_notes, f"distinctness: regenerated ({why}; now {sim2:.2f})"]
                else:
                    notes.append(f"distinctness: {why}; regeneration was no better, kept the first")
        notes.append(f"llm: model {self.model}, angle {ctx.angle}, {tally.requests} request(s), "
                     f"{tally.prompt_tokens} prompt + {tally.completion_tokens} completion tokens, "
                     f"{script_units(script)}/{ctx.max_units} {unit_name(ctx.language)}")
        return script, notes

    def _attempt(self, ctx: PromptContext, clean: Product, brief: Brief, tally: _Tally) -> tuple[Script, list[str]]:
        """One prompt, at most one repair round, then deterministic clean-up. Raises LLMError when no usable
        script came back."""
        messages = render_messages(ctx)
        contract = ReplyContract(images=len(clean.images), platforms=tuple(ctx.platforms))
        first = self.client.complete(messages, contract)
        tally.add(first)
        script, problems, notes = self._evaluate(first.content, ctx, clean)
        if problems:
            repair = [*messages, {"role": "assistant", "content": first.content},
                      {"role": "user", "content": render_repair(problems, ctx)}]
            second = self.client.complete(repair, contract)
            tally.add(second)
            script2, problems2, notes2 = self._evaluate(second.content, ctx, clean)
            summary = f"{len(problems)} problem(s): " + "; ".join(problems[:3]) + (" ..." if len(problems) > 3 else "")
            if script2 is not None:
                script, notes = script2, [f"repair: sent back {summary}", *notes2]
            elif script is None:
                raise LLMError(f"the model's reply was not a valid script after one repair ({'; '.join(problems2[:2])})")
            else:
                notes.append(f"repair: the repaired reply was invalid, kept the first ({'; '.join(problems2[:2])})")
        if script is None:  # pragma: no cover - _evaluate returns problems whenever script is None
            raise LLMError("no script in the reply")
        if find_violations(script, clean):
            script, strip_notes = strip_violations(script, clean, clean.title)
            notes += strip_notes
            script, fill_notes = self._fill_empty_beats(script, clean, brief)
            notes += fill_notes
        script, trim_notes = trim_to_budget(script, ctx.max_units)
        notes += trim_notes
        copies = {}
        for platform, post in script.copy_by_platform.items():
            copies[platform], cut = fit_post(post if post.title else post.model_copy(update={"title": clean.title}),
                                             platform)
            notes += cut
        return script.model_copy(update={"copy_by_platform": copies}), notes

    def _evaluate(self, content: str, ctx: PromptContext, clean: Product) -> tuple[Script | None, list[str], list[str]]:
        """(script or None, problems to send back, notes of what was repaired locally)."""
        try:
            llm = parse_reply(content, ReplyContract(images=len(clean.images), platforms=tuple(ctx.platforms)))
        except ReplyError as exc:
            return None, exc.problems, []
        problems: list[str] = []
        script, notes = to_script(llm, sku=clean.sku, variant=ctx.variant, language=ctx.language,
                                  platforms=ctx.platforms, images=len(clean.images), fallback_title=clean.title)
        problems += [str(v) for v in find_violations(script, clean)[:15]]
        units = script_units(script)
        unit = unit_name(ctx.language)
        if units > ctx.max_units * 1.15:
            problems.append(f"the narration has {units} {unit}; shorten it to at most {ctx.max_units} {unit} "
                            "by cutting whole lines, keep all six beats")
        elif units < ctx.target_units * SHORT:
            problems.append(f"the narration has only {units} {unit}; write about {ctx.target_units} {unit}")
        return script, problems, notes

    def _rate(self, language: Language, brief: Brief) -> float | None:
        """Speaking rate of the voice that will read the script, as handed in (None: a typical host's)."""
        if self.rate is None:
            return None
        if language not in self._rates:
            try:
                self._rates[language] = self.rate(language)
            except Exception:  # noqa: BLE001 - no usable voice here: the typical rate will do
                self._rates[language] = None
        return self._rates[language]

    # -- fallback --------------------------------------------------------------------------------
    def _template(self, language: Language, brief: Brief) -> ScriptWriter:
        if self._fallback is not None:
            return self._fallback
        from generator.script.template_writer import TemplateWriter

        return TemplateWriter(self._rate(language, brief))

    def _fill_empty_beats(self, script: Script, clean: Product, brief: Brief) -> tuple[Script, list[str]]:
        """A beat the guard emptied gets the template writer's beat of that kind (sheet facts only)."""
        empty = [b.kind for b in script.beats if not b.lines]
        if not empty:
            return script, []
        brief = brief.model_copy(update={"language": script.language})
        template = self._template(script.language, brief).write(clean, brief, script.variant)
        by_kind = {b.kind: b for b in template.beats}
        beats, notes = [], []
        for beat in script.beats:
            if beat.lines:
                beats.append(beat)
            elif beat.kind in by_kind:
                beats.append(by_kind[beat.kind])
                notes.append(f"guard: the {beat.kind} beat came from the template writer")
            elif beat.kind in ("hook", "cta"):
                raise LLMError(f"the model kept adding facts that are not in the product data ({beat.kind})")
            else:
                notes.append(f"guard: left out the {beat.kind} beat")
        return script.model_copy(update={"beats": beats}), notes

    def _fall_back(self, clean: Product, brief: Brief, variant: int, siblings: Sequence[Script], reason: str,
                   input_notes: list[str], choice: CreativeChoice | None = None) -> Script:
        self.fallbacks += 1
        language: Language = brief.language or clean.language
        script = self._template(language, brief).write(clean, brief, variant, siblings=siblings, choice=choice)
        return script.model_copy(update={
            "writer": f"template (fallback from openai: {reason})",
            "notes": [*input_notes, *script.notes, f"openai writer unavailable: {reason}; the template writer wrote this"],
        })


def _summary(script: Script, limit: int = 160) -> str:
    text = script_text(script).replace("\n", " / ")
    return text[:limit] + ("…" if len(text) > limit else "")


def _hook_example(product: Product, language: Language, choice: CreativeChoice | None) -> str:
    """The chosen template hook, filled in, as an idea for the model to open with ('' when none was chosen)."""
    if not (choice and choice.hook):
        return ""
    from generator.script.template_writer import hook_line

    line = hook_line(product, language, choice.hook)
    return line.text if line else ""


def _with_unique_titles(script: Script, product: Product, siblings: Sequence[Script],
                        choice: CreativeChoice | None) -> Script:
    """The model's titles, unless an earlier variant (or an earlier job, per the choice) already uses one on that
    platform: then a template title."""
    copies = {}
    for platform, post in script.copy_by_platform.items():
        taken = titles_taken(siblings, platform, choice.avoid_titles if choice else ())
        title = unique_title(product, script, get_preset(platform).title_chars, taken, preferred=post.title)
        copies[platform] = post if title == post.title else post.model_copy(update={"title": title})
    return script.model_copy(update={"copy_by_platform": copies})
