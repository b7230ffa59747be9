"""Which characters a font face covers, read straight from its cmap table.

The caption chains ask, character by character, which face has a glyph. fontTools answers by decompiling the
whole face (0.2–0.3 s for each Noto CJK face of a .ttc, every process start, holding the GIL while the first
script is written). The answer sits in one table: the subtable getBestCmap would pick is, in the formats fonts
use (12 for full Unicode, 4 for the BMP), a list of (first, last) code-point ranges, which numpy reads in a few
milliseconds (mapped, not read: a .ttc is 20 MB). A face with another format goes through fontTools, imported
only then; the test compares both readings on every face the bundled chains use.
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path

import numpy as np

# fontTools' getBestCmap order: the first of these subtables a face has is the one read.
_PREFERENCE = ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0))
_SEGMENT_RANGES = 4  # BMP faces (NotoSans-Bold): segments of code points, the last one (0xFFFF) a terminator
_SEGMENTED = 12  # full-Unicode faces (Noto CJK, Symbola): groups of code points


def covered_codepoints(path: str | Path, index: int = 0) -> frozenset[int]:
    """The code points face `index` of the font file at `path` maps to a glyph."""
    with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        ranges = _best_ranges(data, index)  # a copy: the map closes below
    if ranges is None:
        return _by_fonttools(str(path), index)
    return frozenset(_expand(ranges).tolist())


def _best_ranges(data: mmap.mmap, index: int) -> np.ndarray | None:
    """The (first, last) code points of the face's preferred cmap subtable, or None when it is of another format."""
    try:
        face = _face_offset(data, index)
        cmap = _table_offset(data, face, b"cmap")
        if cmap is None:
            return None
        _, count = struct.unpack_from(">HH", data, cmap)
        subtables = {}
        for k in range(count):
            platform, encoding, offset = struct.unpack_from(">HHI", data, cmap + 4 + 8 * k)
            subtables.setdefault((platform, encoding), cmap + offset)
        best = next((subtables[key] for key in _PREFERENCE if key in subtables), None)
        if best is None:
            return None
        kind = struct.unpack_from(">H", data, best)[0]
        if kind == _SEGMENTED:
            groups = struct.unpack_from(">I", data, best + 12)[0]
            table = np.frombuffer(data, dtype=">u4", count=3 * groups, offset=best + 16).reshape(groups, 3)
            return table[:, :2].astype(np.int64)
        if kind == _SEGMENT_RANGES:
            segments = struct.unpack_from(">H", data, best + 6)[0] // 2
            ends = np.frombuffer(data, dtype=">u2", count=segments, offset=best + 14).astype(np.int64)
            starts = np.frombuffer(data, dtype=">u2", count=segments, offset=best + 16 + 2 * segments).astype(np.int64)
            return np.stack([starts, ends], axis=1)[:-1]  # every segment but the 0xFFFF terminator
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
