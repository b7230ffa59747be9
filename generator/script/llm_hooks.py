"""Hooks already used in a job, per product category, so a batch does not open every clip the same way."""

from __future__ import annotations

import threading

from generator.script.similarity import SIMILARITY_LIMIT, text_similarity


class HookRegistry:
    """In-memory and per job: one writer instance, one registry. Thread-safe for a threaded pipeline."""

    def __init__(self) -> None:
        self._hooks: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def used(self, category: str) -> list[str]:
        with self._lock:
            return list(self._hooks.get(category or "", []))

    def add(self, category: str, hook: str) -> None:
        with self._lock:
            self._hooks.setdefault(category or "", []).append(hook)

    def clash(self, category: str, hook: str, limit: float = SIMILARITY_LIMIT) -> str | None:
        """An earlier hook of this category that the new one is too close to, if any."""
        for old in self.used(category):
            if text_similarity(hook, old) >= limit:
                return old
        return None
