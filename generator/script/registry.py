"""Script writers by name (settings `writer=` / `--writer`); only the bootstrap calls this."""

from __future__ import annotations

from collections.abc import Callable

from generator.models import Language
from generator.script.base import ScriptWriter
from generator.settings import Settings


def get_writer(name: str, settings: Settings, *, rate: Callable[[Language], float] | None = None) -> ScriptWriter:
    """RATE is the speaking rate (units per second) of the voice that will read the scripts."""
    if name == "template":
        from generator.script.template_writer import TemplateWriter

        return TemplateWriter(rate)
    if name == "openai":
        from generator.script.openai_writer import OpenAIWriter

        return OpenAIWriter(settings, rate=rate)
    raise ValueError(f"unknown script writer '{name}'; choose template or openai")
