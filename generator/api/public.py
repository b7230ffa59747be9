"""What leaves the server carries no server path: job views, events, error bodies and the JSON files a job wrote
(manifests, clip records, report.json) pass through `public` before they are sent.

The files on disk keep their absolute paths for local tools; what the API sends has them relative to the job's
folder, and any other absolute path (staged inputs, caches, the server's own files) cut to its last part.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.pipeline.failures import hide_paths


def public(data: Any, root: Path | None = None) -> Any:
    """DATA (JSON-like) with paths in every string made relative to ROOT (a job's folder, or the output root)."""
    if isinstance(data, str):
        return hide_paths(data, root) if "/" in data else data
    if isinstance(data, dict):
        return {k: public(v, root) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [public(v, root) for v in data]
    return data


def one_line(text: str) -> str:
    """An error message for a response body: one line, at most 1000 characters."""
    return " ".join(text.split())[:1000]
