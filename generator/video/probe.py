"""What ffprobe says about a finished clip, summarised for the manifest and the tests."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from generator.errors import DaihuoError


class ProbeError(DaihuoError, RuntimeError):
    pass


def ffprobe(path: Path) -> dict[str, Any]:
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True, text=True, timeout=60,
    )
    if proc.returncode != 0:
        raise ProbeError(f"ffprobe failed on {path}: {proc.stderr.strip()}")
    return json.loads(proc.stdout)


def moov_before_mdat(path: Path) -> bool:
    """True when the MP4 index (moov) precedes the media data, so playback starts before the download ends."""
    with path.open("rb") as f:
        while True:
            header = f.read(8)
            if len(header) < 8:
                return False
            size = int.from_bytes(header[:4], "big")
            kind = header[4:8]
            if kind == b"moov":
                return True
            if kind == b"mdat":
                return False
            if size == 1:
                size = int.from_bytes(f.read(8), "big") - 8
            f.seek(size - 8, 1)


def summarize(path: Path) -> dict[str, Any]:
    info = ffprobe(path)
    video = next((s for s in info["streams"] if s["codec_type"] == "video"), {})
    audio = next((s for s in info["streams"] if s["codec_type"] == "audio"), {})
    tags = info.get("format", {}).get("tags", {})
    return {
        "container": info.get("format", {}).get("format_name", ""),
        "duration": float(info.get("format", {}).get("duration", 0)),
        "size_bytes": int(info.get("format", {}).get("size", 0)),
        "bit_rate": int(info.get("format", {}).get("bit_rate", 0)),
        "video": {
            "codec": video.get("codec_name"), "profile": video.get("profile"), "pix_fmt": video.get("pix_fmt"),
            "width": video.get("width"), "height": video.get("height"),
            "fps": video.get("avg_frame_rate"), "duration": float(video.get("duration", 0)),
        },
        "audio": {
            "codec": audio.get("codec_name"), "sample_rate": int(audio.get("sample_rate", 0) or 0),
            "channels": audio.get("channels"), "duration": float(audio.get("duration", 0)),
        },
        "faststart": moov_before_mdat(path),
        "aigc_tag": next((v for k, v in tags.items() if "aigc" in k.lower()), None),
    }
