"""Rendering one loop segment: the seam between the loop and the video pipeline.

`SegmentRenderer` is the one call the loop makes. `PipelineRenderer` adapts the full pipeline's segment
renderer (voice, host, captions, label), which the caller hands in; `CardRenderer` is the self-contained
fallback (espeak-ng voice over a caption card with the burned-in AIGC label, one ffmpeg call).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path
from typing import Any, Protocol

from generator.loop.media import MediaError, cjk_font, run
from generator.models import Brief, Product, Script


class SegmentRenderer(Protocol):
    name: str

    def __call__(self, product: Product, script: Script, brief: Brief, out_path: Path, *, speed: float) -> Path:
        """Render `script` about `product` to the mp4 `out_path` (voice at `speed`); return out_path."""
        ...


class SegmentFunction(Protocol):
    def __call__(self, product: Product, script: Script, brief: Brief, out_dir: Path, *, speed: float) -> Any:
        """Render one segment into OUT_DIR and return its clip (an object with `.path`)."""
        ...


class PipelineRenderer:
    """Adapter over the video pipeline's segment renderer (handed in: generator.pipeline.render_segment with the
    job's engines), for one platform."""

    name = "pipeline"

    def __init__(self, platform: str, render_segment: SegmentFunction) -> None:
        self.platform = platform
        self.render_segment = render_segment

    def __call__(self, product: Product, script: Script, brief: Brief, out_path: Path, *, speed: float) -> Path:
        with tempfile.TemporaryDirectory(dir=out_path.parent) as tmp:
            clip = self.render_segment(product, script, brief.model_copy(update={"platforms": [self.platform]}),
                                       Path(tmp), speed=speed)
            srt = getattr(clip, "srt", "")
            if srt and Path(srt).is_file():  # the line timings: where a live room may cut in (see line_cues)
                shutil.move(srt, subtitles_path(out_path))
            shutil.move(clip.path, out_path)
        return out_path


def subtitles_path(segment: Path) -> Path:
    return segment.with_suffix(".srt")


_SRT_TIME = re.compile(r"(\d+):(\d\d):(\d\d)[,.](\d{3})\s*-->\s*(\d+):(\d\d):(\d\d)[,.](\d{3})")


def line_cues(segment: Path, duration: float) -> list[float]:
    """Seconds between two spoken lines of a rendered segment (from the subtitles saved beside it): the
    middle of each pause, so a cut there splits neither a word nor a caption. Empty without subtitles."""
    srt = subtitles_path(segment)
    if not srt.is_file():
        return []
    spans = []
    for m in _SRT_TIME.finditer(srt.read_text(encoding="utf-8", errors="replace")):
        g = [int(x) for x in m.groups()]
        spans.append((g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000, g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000))
    cues = [round((end + nxt) / 2, 3) for (_s, end), (nxt, _e) in zip(spans, spans[1:], strict=False) if nxt >= end]
    return [c for c in cues if 0.5 < c < duration - 0.5]


class CardRenderer:
    """Narration spoken by espeak-ng over a plain caption card, AIGC label burned in (no pipeline needed)."""

    name = "card"

    def __init__(self, size: tuple[int, int], fps: int = 30, label: str = "内容由AI生成") -> None:
        self.size, self.fps, self.label = size, fps, label

    def __call__(self, product: Product, script: Script, brief: Brief, out_path: Path, *, speed: float) -> Path:
        w, h = self.size
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            wav = tmp / "voice.wav"
            voice = "cmn" if script.language == "zh" else "en"
            wpm = round((150 if voice == "cmn" else 165) * speed)
            spoken = "\n".join(line.text for line in script.lines())
            proc = subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(wav), spoken],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise MediaError(f"espeak-ng failed: {proc.stderr.strip()}; install espeak-ng")
            width_chars = max(6, int(w / (h * 0.045)) - 1) if script.language == "zh" else max(12, int(w / (h * 0.025)))
            body = "\n".join(textwrap.fill(line.text, width_chars) for line in script.lines())
            (tmp / "title.txt").write_text(product.title, encoding="utf-8")
            (tmp / "body.txt").write_text(body, encoding="utf-8")
            (tmp / "label.txt").write_text(self.label, encoding="utf-8")
            font = cjk_font()
            short = min(w, h)
            label_size = int(short * 0.05 / 0.85) + 2
            # expansion=none: a "%" or "%{…}" in a title or label is text, not a drawtext function.
            vf = ",".join([
                f"drawtext=fontfile={font}:textfile={tmp}/title.txt:expansion=none:fontsize={round(h * 0.05)}:fontcolor=white:"
                f"x=(w-text_w)/2:y=h*0.22",
                f"drawtext=fontfile={font}:textfile={tmp}/body.txt:expansion=none:fontsize={round(h * 0.032)}:fontcolor=white:"
                f"line_spacing={round(h * 0.012)}:x=(w-text_w)/2:y=h*0.36",
                f"drawtext=fontfile={font}:textfile={tmp}/label.txt:expansion=none:fontsize={label_size}:fontcolor=white:"
                f"box=1:boxcolor=black@0.45:x=w*0.04:y=h*0.02",
            ])
            part = out_path.with_suffix(".part.mp4")
            run(["ffmpeg", "-y", "-v", "error", "-f", "lavfi", "-i", f"color=c=0x1d3557:s={w}x{h}:r={self.fps}",
                 "-i", str(wav), "-vf", vf, "-af", "apad=pad_dur=0.4", "-shortest", "-c:v", "libx264",
                 "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", str(2 * self.fps), "-c:a", "aac",
                 "-ar", "44100", "-ac", "2", "-movflags", "+faststart", str(part)], f"render card {out_path.name}")
            part.replace(out_path)
        return out_path
