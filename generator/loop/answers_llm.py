"""Answers from an OpenAI-compatible model (the writer's endpoint), for questions the sheet can answer.

The model sees the product's sheet fields only, cleaned by the grounding guard's input side
(`sanitize_product`: no instruction-like sentences, no contact details); its answer is checked by the
guard's output side in `Answerer` before it is used. The client is handed in (the CLI builds one from
Settings), so this stage never reads settings or the environment.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from generator.loop.interstitials import template
from generator.models import Product
from generator.script.llm_guard import sanitize_product, sheet_text


class ChatLike(Protocol):
    def complete(self, messages: list[dict[str, str]]) -> Any:
        """A chat completion; the result has `.content`."""
        ...


class LLMAnswerer:
    """(product, question, language) -> the model's one-sentence answer, or None."""

    def __init__(self, client: ChatLike, host_name: str = "小禾") -> None:
        self.client, self.host_name = client, host_name

    def __call__(self, product: Product, question: str, language: str) -> str | None:
        clean, _notes = sanitize_product(product)
        system = template("answer_llm.j2").render(host_name=self.host_name, language=language,
                                                             facts=sheet_text(clean))
        result = self.client.complete([{"role": "system", "content": system},
                                       {"role": "user", "content": question}])
        return _answer_text(str(getattr(result, "content", "") or ""))


def _answer_text(content: str) -> str | None:
    """The answer sentence: plain text, or the `answer` field when the server insisted on JSON."""
    text = content.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            return None
        text = str(data.get("answer", "")) if isinstance(data, dict) else ""
    return text.strip().strip('"“”') or None
