"""Play-out playlists that reference each unique segment file again and again (nothing stored twice)."""

from __future__ import annotations

import math
from pathlib import Path

from generator.loop.media import cut_ts, remux_all
from generator.loop.models import Schedule

FFCONCAT = "loop.ffconcat"
HLS = "loop.m3u8"


def _quote(path: str) -> str:
    return "'" + path.replace("'", "'\\''") + "'"


def ffconcat_text(schedule: Schedule, start_entry: int = 0, inpoint: float = 0.0) -> str:
    """The ffconcat playlist from entry `start_entry`, skipping `inpoint` seconds into it (resume after a drop).

    Paths are relative to the loop folder, where the playlist lives. Each entry states its duration so
    timestamps and seeking do not depend on probing every file; a trimmed last entry gets an outpoint.
    """
    lines = ["ffconcat version 1.0"]
    for i, entry in enumerate(schedule.entries[start_entry:], start=start_entry):
        seg = schedule.segments[entry.segment]
        lines.append(f"file {_quote(seg.path)}")
        first = i == start_entry and inpoint > 0
        if first:
            lines.append(f"inpoint {inpoint:.3f}")
        if entry.outpoint is not None:
            lines.append(f"outpoint {entry.outpoint:.3f}")
        lines.append(f"duration {entry.duration - (inpoint if first else 0):.3f}")
    return "\n".join(lines) + "\n"


def write_ffconcat(schedule: Schedule, loop_dir: Path, name: str = FFCONCAT) -> Path:
    path = loop_dir / name
    path.write_text(ffconcat_text(schedule), encoding="utf-8")
    return path


def write_hls(schedule: Schedule, loop_dir: Path, name: str = HLS) -> Path:
    """A VOD HLS playlist of the whole schedule over MPEG-TS copies of the unique segments.

    Each unique mp4 is remuxed once (stream copy, many per ffmpeg process); only a trimmed last entry gets its own
    short re-encoded file. Every file boundary is marked #EXT-X-DISCONTINUITY because each segment starts its own timestamps.
    """
    entries = []
    copies: list[tuple[Path, Path]] = []
    for entry in schedule.entries:
        seg = schedule.segments[entry.segment]
        mp4 = loop_dir / seg.path
        if entry.outpoint is not None:
            ts = cut_ts(mp4, mp4.with_name(f"{seg.id}.cut{round(entry.duration * 1000)}.ts"), entry.duration)
        else:
            ts = mp4.with_suffix(".ts")
            copies.append((mp4, ts))
        entries.append((ts.relative_to(loop_dir).as_posix(), entry.duration))
    remux_all(copies)
    target = max(math.ceil(d) for _, d in entries) if entries else 1
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{target}", "#EXT-X-MEDIA-SEQUENCE:0",
             "#EXT-X-PLAYLIST-TYPE:VOD"]
    for i, (uri, dur) in enumerate(entries):
        if i:
            lines.append("#EXT-X-DISCONTINUITY")
        lines += [f"#EXTINF:{dur:.3f},", uri]
    lines.append("#EXT-X-ENDLIST")
    path = loop_dir / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
