"""Script writers by name (settings `writer=` / `--writer`)."""

from __future__ import annotations

from collections.abc import Callable

from generator.script.base import ScriptWriter


def get_writer(name: str, rate: Callable[[str], float] | None = None) -> ScriptWriter:
    """`rate`: the speaking rate (units per second, per language) of the voice that will read the scripts,
    usually the job's VoiceEngine.chars_per_second; without it the writers budget with a typical rate."""
    if name == "template":
        from generator.script.template_writer import TemplateWriter

        return TemplateWriter(rate)
    if name == "openai":
        from generator.script.openai_writer import OpenAIWriter

        return OpenAIWriter(rate=rate)
    raise ValueError(f"unknown script writer '{name}'; choose template or openai")
