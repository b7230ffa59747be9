"""Composed host frames kept for reuse: the same (mouth, eyes, pose) state recurs all clip long."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

import numpy as np


class FrameCache:
    """Least recently used frames, bounded in bytes (and, when given, in count); the newest is always kept."""

    def __init__(self, max_bytes: int, max_items: int | None = None) -> None:
        self.max_bytes = max_bytes
        self.max_items = max_items
        self._frames: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._bytes = 0

    def get(self, key: Hashable, make: Callable[[], np.ndarray]) -> np.ndarray:
        hit = self._frames.get(key)
        if hit is not None:
            self._frames.move_to_end(key)
            return hit
        frame = make()
        self._frames[key] = frame
        self._bytes += frame.nbytes
        while len(self._frames) > 1 and (self._bytes > self.max_bytes or
                                         (self.max_items is not None and len(self._frames) > self.max_items)):
            _, old = self._frames.popitem(last=False)
            self._bytes -= old.nbytes
        return frame
