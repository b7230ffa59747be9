"""Measurement helpers for tests: loudness, frames, OCR."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image


def integrated_loudness(path: Path) -> float:
    """EBU R128 integrated loudness as ffmpeg's ebur128 filter reports it."""
    proc = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )
    summary = proc.stderr[proc.stderr.rfind("Summary:"):]
    return float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))


def frame_at(path: Path, t: float, out: Path) -> Image.Image:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", f"{t:.3f}", "-i", str(path), "-frames:v", "1", str(out)],
                   check=True)
    return Image.open(out).convert("RGB")


def ocr(img: Image.Image, lang: str = "chi_sim+eng", psm: int = 6, *, factor: int = 2, threshold: int = 215,
        luma: bool = False) -> str:
    """Tesseract on an upscaled, binarised image (white caption text on a dark box reads best inverted).
    `luma`: keep pixels by brightness rather than whiteness, so a keyword lit in yellow stays ink."""
    big = np.asarray(img.resize((img.width * factor, img.height * factor), Image.Resampling.LANCZOS))
    # Our captions and labels are white glyphs (keywords lit in colour): keep only bright pixels, as black ink.
    level = big @ np.array([0.299, 0.587, 0.114]) if luma else big.min(axis=2)
    binary = np.where(level > threshold, 0, 255).astype(np.uint8)
    proc = subprocess.run(["tesseract", "stdin", "stdout", "-l", lang, "--psm", str(psm)],
                          input=_png_bytes(Image.fromarray(binary)), capture_output=True, check=True)
    return re.sub(r"\s+", "", proc.stdout.decode("utf-8"))


def _png_bytes(img: Image.Image) -> bytes:
    import io

    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()
