"""On-disk cache of finished LLM scripts, so a rerun of the same job does not pay for the same tokens.

The key covers everything that changes the answer: the product's content hash, the prompt version (a hash of
the templates and the schema), the model, the variant, and the brief's language, duration and platforms.
Entries are plain JSON files written atomically (temp name, then rename), safe for parallel workers.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from generator.models import Script, stable_hash


def cache_key(**parts: Any) -> str:
    return stable_hash(parts, length=32)


class ScriptCache:
    def __init__(self, directory: Path | str | None):
        self.directory = Path(directory).expanduser() / "llm-scripts" if directory else None

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> Script | None:
        if self.directory is None:
            return None
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Script.model_validate(data["script"])
        except (OSError, ValueError, KeyError):
            return None  # missing or unreadable: write it again

    def put(self, key: str, script: Script, **meta: Any) -> None:
        if self.directory is None:
            return
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"script": script.model_dump(mode="json"), **meta}
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(payload, f, ensure_ascii=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
