"""Class 5, where text meets a format with its own syntax: SRT/WebVTT cues, ffmpeg drawtext, and glyphs.

Each output is read back by the real consumer: ffmpeg parses the subtitles, ffmpeg draws the label and
tesseract reads it, Pillow draws the emoji with the caption font chain.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generator.loop.render import CardRenderer
from generator.loop.stream import label_filter
from generator.models import Beat, Brief, Line, LineTiming, Product, Script
from generator.video.subtitles import to_srt, to_vtt
from generator.video.text import draw_lines
from tests.helpers import ocr

INJECTION = "好用\n\n99\n00:00:01,000 --> 00:00:09,000\n<b>注入</b> & more"


def cues_as_ffmpeg_reads_them(path: Path) -> list[dict]:
    proc = subprocess.run(["ffprobe", "-v", "error", "-of", "json", "-show_packets", str(path)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)["packets"]


@pytest.mark.parametrize("suffix, writer", [(".srt", to_srt), (".vtt", to_vtt)])
def test_a_caption_cannot_inject_a_timed_cue(tmp_path: Path, suffix: str, writer) -> None:
    lines = [LineTiming(index=0, text="a", caption="第一句", start=0.2, end=1.0),
             LineTiming(index=1, text="b", caption=INJECTION, start=1.2, end=2.0),
             LineTiming(index=2, text="c", caption="第三句", start=2.2, end=3.0)]
    path = tmp_path / f"captions{suffix}"
    path.write_text(writer(lines), encoding="utf-8")
    packets = cues_as_ffmpeg_reads_them(path)
    assert len(packets) == 3, packets  # was 4: the injected 00:00:01 → 00:00:09 cue
    assert float(packets[-1]["pts_time"]) == pytest.approx(2.2, abs=0.01)
    assert sum("-->" in line for line in path.read_text(encoding="utf-8").splitlines()) == 3


def test_vtt_cue_text_is_escaped(tmp_path: Path) -> None:
    text = to_vtt([LineTiming(index=0, text="a", caption="<b>1 & 2</b>", start=0, end=1)])
    assert "&lt;b&gt;1 &amp; 2&lt;/b&gt;" in text


def _draw(label_text: str, tmp_path: Path, size: tuple[int, int] = (640, 360)) -> Image.Image:
    label = tmp_path / "label.txt"
    label.write_text(label_text, encoding="utf-8")
    out = tmp_path / "frame.png"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c=0x1d3557:s={size[0]}x{size[1]}",
                    "-frames:v", "1", "-vf", label_filter(label, *size), str(out)], check=True)
    return Image.open(out).convert("RGB")


@pytest.mark.parametrize("label", ["100% AI生成", "AI生成 %{localtime}", "%"])
def test_stream_label_with_percent_signs_is_drawn_as_written(tmp_path: Path, label: str) -> None:
    frame = _draw(label, tmp_path)
    white = int((np.asarray(frame).min(axis=2) > 215).sum())
    assert white > 10, "the AI label was not drawn"  # was: "Stray %" and no label at all
    if "localtime" in label:
        assert "localtime" in ocr(frame, "eng")  # was: today's date instead of the text


def test_loop_card_title_is_not_expanded(tmp_path: Path) -> None:
    product = Product(sku="P1", title="%{localtime}", language="en")
    script = Script(sku="P1", variant=1, language="en", beats=[Beat(kind="hook", lines=[Line(text="Hello there.")])])
    out = CardRenderer((640, 360), fps=10, label="100% AI")(product, script, Brief(platforms=["douyin"]),
                                                           tmp_path / "seg.mp4", speed=1.0)
    frame = tmp_path / "f.png"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", "0.3", "-i", str(out), "-frames:v", "1", str(frame)], check=True)
    image = Image.open(frame).convert("RGB")
    title = ocr(image.crop((0, int(360 * 0.18), 640, int(360 * 0.32))), "eng")
    label = ocr(image.crop((0, 0, 320, 60)), "eng")
    assert "localtime" in title, title
    assert "100%" in label, label


def _glyph(text: str) -> np.ndarray:
    return np.asarray(draw_lines([text], "zh", 64, stroke=None))[..., 3]


@pytest.mark.parametrize("emoji", ["😀", "🔥", "👍", "✅", "❤"])
def test_emoji_are_drawn_not_boxes(emoji: str) -> None:
    tofu = _glyph("\U000f0000")  # a private-use code point no font has: the .notdef box
    drawn = _glyph(emoji)
    assert drawn.sum() > 0
    assert drawn.shape != tofu.shape or not np.array_equal(drawn, tofu)  # was the same empty box
