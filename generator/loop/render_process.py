"""A SegmentRenderer that renders in a child process at a lower CPU priority.

The live room renders its pool in the background while it answers viewers. In one process the two renders
share the interpreter lock, and a background render slowed a reply at full size to 15 s (bench/live.py). In a
child process at nice 10 the background render takes only the CPU that the encoder and the replies leave.
The child builds its own renderer with `factory` (a picklable callable: the CLI passes one that builds the
engines from Settings), so nothing of the parent's state is shared.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from generator.models import Brief, Product, Script

_renderer: Any = None  # the child's renderer, built once by _start


def _start(factory: Callable[[], Any], nice: int) -> None:
    global _renderer
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops the room, then this process
    with contextlib.suppress(OSError):
        os.nice(nice)
    _renderer = factory()


def _render(product: Product, script: Script, brief: Brief, out_path: Path, speed: float) -> Path:
    return _renderer(product, script, brief, out_path, speed=speed)


class ProcessRenderer:
    """Renders like the renderer `factory` builds (and has the same `name`, so cached segments match)."""

    def __init__(self, factory: Callable[[], Any], name: str, *, nice: int = 10) -> None:
        self.factory, self.name, self.nice = factory, name, nice
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start, initargs=(self.factory, self.nice))

    def __call__(self, product: Product, script: Script, brief: Brief, out_path: Path, *, speed: float) -> Path:
        try:
            return self._pool.submit(_render, product, script, brief, out_path, speed).result()
        except BrokenProcessPool:
            # The child died (killed, out of memory): start a new one for the next segment.
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            raise

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
