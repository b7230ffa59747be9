"""Which characters a font face covers, read straight from its cmap table.

The caption chains ask, character by character, which face has a glyph. fontTools answers by decompiling the
whole face (0.2–0.3 s for each Noto CJK face of a .ttc, every process start, holding the GIL while the first
script is written). The answer sits in one table: a CJK face's (3, 10) format-12 subtable is a list of
(first, last, glyph) code-point ranges, which numpy reads in a few milliseconds (mapped, not read: a .ttc is 20 MB). Faces without that subtable
(Latin faces, format 4 only, a few KB) go through fontTools' `getBestCmap`, which is fast for them; the test
compares both readings on every face the bundled chains use.
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path

import numpy as np

_FULL_UNICODE = (3, 10)  # (platform, encoding) of the subtable fontTools' getBestCmap prefers first
_SEGMENTED = 12  # the subtable format that lists code-point ranges


def covered_codepoints(path: str | Path, index: int = 0) -> frozenset[int]:
    """The code points face `index` of the font file at `path` maps to a glyph."""
    with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        groups = _format12_groups(data, index)  # a copy: the map closes below
    if groups is None:
        return _by_fonttools(str(path), index)
    return frozenset(_expand(groups).tolist())


def _format12_groups(data: mmap.mmap, index: int) -> np.ndarray | None:
    """The (first, last) code points of every group of the face's (3, 10) format-12 subtable, or None."""
    try:
        face = _face_offset(data, index)
        cmap = _table_offset(data, face, b"cmap")
        if cmap is None:
            return None
        _, count = struct.unpack_from(">HH", data, cmap)
        for k in range(count):
            platform, encoding, offset = struct.unpack_from(">HHI", data, cmap + 4 + 8 * k)
            if (platform, encoding) != _FULL_UNICODE:
                continue
            sub = cmap + offset
            if struct.unpack_from(">H", data, sub)[0] != _SEGMENTED:
                return None
            groups = struct.unpack_from(">I", data, sub + 12)[0]
            table = np.frombuffer(data, dtype=">u4", count=3 * groups, offset=sub + 16).reshape(groups, 3)
            return table[:, :2].astype(np.int64)
    except (struct.error, ValueError):  # a truncated or odd file: let fontTools judge it
        return None
    return None


def _face_offset(data: mmap.mmap, index: int) -> int:
    """Where face `index` starts: a collection (.ttc) lists its faces' offsets; a single font starts at 0."""
    if data[:4] != b"ttcf":
        return 0
    count = struct.unpack_from(">I", data, 8)[0]
    if not 0 <= index < count:
        raise ValueError(f"face {index} is not in a collection of {count}")
    return struct.unpack_from(">I", data, 12 + 4 * index)[0]


def _table_offset(data: mmap.mmap, face: int, tag: bytes) -> int | None:
    tables = struct.unpack_from(">H", data, face + 4)[0]
    for k in range(tables):
        entry = face + 12 + 16 * k
        if data[entry:entry + 4] == tag:
            return struct.unpack_from(">I", data, entry + 8)[0]
    return None


def _expand(groups: np.ndarray) -> np.ndarray:
    """Every code point of the (first, last) ranges, as one array."""
    lengths = groups[:, 1] - groups[:, 0] + 1
    if lengths.size == 0 or lengths.min() < 1:
        raise ValueError("a cmap group ends before it starts")
    starts = np.repeat(groups[:, 0] - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return starts + np.arange(int(lengths.sum()))


def _by_fonttools(path: str, index: int) -> frozenset[int]:
    from fontTools.ttLib import TTCollection, TTFont  # imported only for faces the fast path does not read

    font = TTCollection(path).fonts[index] if path.lower().endswith((".ttc", ".otc")) else TTFont(path, lazy=True)
    return frozenset(font.getBestCmap().keys())
