"""Script writers by name (settings `writer=` / `--writer`)."""

from __future__ import annotations

from generator.script.base import ScriptWriter


def get_writer(name: str) -> ScriptWriter:
    if name == "template":
        from generator.script.template_writer import TemplateWriter

        return TemplateWriter()
    if name == "openai":
        from generator.script.openai_writer import OpenAIWriter

        return OpenAIWriter()
    raise ValueError(f"unknown script writer '{name}'; choose template or openai")
