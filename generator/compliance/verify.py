"""Read a finished clip back and check both AIGC labels (GB 45438-2025 checker rules).

Implicit (CN-AI-M1): exactly one container metadata field whose key contains AIGC, holding valid label JSON.
Explicit (CN-AI-V1..V4): OCR (tesseract chi_sim+eng) of frames in the first 2 s finds a text with AI/人工智能
and 生成/合成, near a frame edge, glyphs at least 5 % of the short side tall, in every sampled frame (≥ 2 s).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps
from pydantic import BaseModel, Field, computed_field

from generator.compliance.aigc import (
    MIN_LABEL_HEIGHT_RATIO,
    MIN_LABEL_SECONDS,
    LabelError,
    aigc_keys,
    is_explicit_label_text,
    label_problems,
    read_format_tags,
    unwrap,
)
from generator.settings import child_environment

SAMPLE_TIMES = (0.1, 1.0, 1.9)
EDGE_BAND = 0.3  # the label must sit in the top or bottom 30 % of the frame (edge or corner)
OCR_LANGS = "chi_sim+eng"
_OCR_AI = re.compile(r"[Aa4][Il1|iL]")  # tesseract often reads the I of AI as l or 1


class Check(BaseModel):
    id: str
    ok: bool
    detail: str


class ImplicitLabel(BaseModel):
    ok: bool
    keys: list[str] = Field(default_factory=list, description="metadata keys that contain AIGC")
    value: dict[str, str] | None = Field(default=None, description="the inner label object when it parsed")
    checks: list[Check] = Field(default_factory=list)


class FrameLabel(BaseModel):
    t: float
    found: bool
    text: str = ""
    box: tuple[int, int, int, int] | None = Field(default=None, description="left, top, right, bottom in pixels")
    glyph_height: int = 0
    position: str = ""


class ExplicitLabel(BaseModel):
    ok: bool
    text: str = ""
    glyph_height: int = 0
    height_ratio: float = 0.0
    position: str = ""
    frames: list[FrameLabel] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)


class VerifyReport(BaseModel):
    path: str
    width: int = 0
    height: int = 0
    duration: float = 0.0
    implicit: ImplicitLabel
    explicit: ExplicitLabel

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        return self.implicit.ok and self.explicit.ok


# -- implicit -------------------------------------------------------------------------------------------

def check_implicit(tags: dict[str, str]) -> ImplicitLabel:
    keys = aigc_keys(tags)
    checks = [Check(id="CN-AI-M1.count", ok=len(keys) == 1,
                    detail=f"{len(keys)} metadata field(s) with AIGC in the key: {', '.join(keys) or 'none'}")]
    value: dict[str, str] | None = None
    if len(keys) == 1:
        raw = tags[keys[0]]
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError as exc:
            checks.append(Check(id="CN-AI-M1.json", ok=False, detail=f"value is not JSON: {exc.msg}"))
        else:
            checks.append(Check(id="CN-AI-M1.json", ok=True, detail="value parses as JSON"))
            problems = label_problems(parsed)
            checks.append(Check(id="CN-AI-M1.fields", ok=not problems,
                                detail="; ".join(problems) or "Label, ContentProducer, ProduceID valid"))
            inner = unwrap(parsed)
            if inner is not None:
                value = {str(k): str(v) for k, v in inner.items()}
    return ImplicitLabel(ok=all(c.ok for c in checks) and len(checks) == 3, keys=keys, value=value, checks=checks)


# -- explicit -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Word:
    text: str
    left: int
    top: int
    width: int
    height: int
    line: tuple[int, int, int]


def probe_video(path: Path) -> tuple[int, int, float]:
    cmd = ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height:format=duration",
           "-of", "json", str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    if proc.returncode != 0:
        raise LabelError(f"ffprobe could not read {path}: {proc.stderr.strip() or 'unknown error'}")
    data = json.loads(proc.stdout or "{}")
    streams = data.get("streams") or []
    if not streams:
        raise LabelError(f"{path} has no video stream")
    return int(streams[0]["width"]), int(streams[0]["height"]), float(data.get("format", {}).get("duration", 0.0))


def _extract_frame(path: Path, t: float, out: Path) -> bool:
    cmd = ["ffmpeg", "-v", "error", "-y", "-ss", f"{t:.3f}", "-i", str(path), "-frames:v", "1", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    return proc.returncode == 0 and out.exists()


def _tesseract(image: Path) -> list[_Word]:
    cmd = ["tesseract", str(image), "stdout", "-l", OCR_LANGS, "--psm", "11", "tsv"]
    env = child_environment(OMP_THREAD_LIMIT="1")  # keep OCR to one core; we share the machine
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False, env=env)
    if proc.returncode != 0:
        raise LabelError(f"tesseract failed: {proc.stderr.strip()[-300:]}")
    words: list[_Word] = []
    for row in proc.stdout.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        try:
            conf = float(cols[10])
        except ValueError:
            continue
        if conf < 30:
            continue
        words.append(_Word(cols[11].strip(), int(cols[6]), int(cols[7]), int(cols[8]), int(cols[9]),
                           (int(cols[2]), int(cols[3]), int(cols[4]))))
    return words


def _label_line(words: list[_Word]) -> list[_Word] | None:
    lines: dict[tuple[int, int, int], list[_Word]] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w)
    for line in lines.values():
        text = _OCR_AI.sub("AI", "".join(w.text for w in line))
        if is_explicit_label_text(text):
            return line
    return None


def _position(box: tuple[int, int, int, int], width: int, height: int) -> str:
    left, top, right, bottom = box
    vertical = "top" if (top + bottom) / 2 < height / 2 else "bottom"
    cx = (left + right) / 2
    horizontal = "left" if cx < width / 3 else "right" if cx > 2 * width / 3 else "center"
    return f"{vertical}-{horizontal}"


def _ocr_frame(frame: Path, width: int, height: int, workdir: Path, order: list[tuple[str, bool]]) -> FrameLabel | None:
    """Look for the label in the top and bottom bands; `order` lists (band, inverted) tries, best guess first."""
    image = Image.open(frame).convert("L")
    band = int(height * EDGE_BAND)
    scale = 2 if min(width, height) < 600 else 1  # tesseract reads small proxy text better when enlarged
    boxes = {"top": (0, 0, width, band), "bottom": (0, height - band, width, height)}
    for name, inverted in order:
        crop = image.crop(boxes[name])
        if inverted:
            crop = ImageOps.invert(crop)
        crop = ImageOps.autocontrast(crop)
        if scale != 1:
            crop = crop.resize((crop.width * scale, crop.height * scale), Image.Resampling.LANCZOS)
        crop_path = workdir / f"{frame.stem}-{name}-{int(inverted)}.png"
        crop.save(crop_path)
        line = _label_line(_tesseract(crop_path))
        if line is None:
            continue
        dy = boxes[name][1]
        box = (min(w.left for w in line) // scale, min(w.top for w in line) // scale + dy,
               max(w.left + w.width for w in line) // scale, max(w.top + w.height for w in line) // scale + dy)
        # glyph height: CJK glyphs fill the em box; Latin capitals are shorter, so prefer the CJK words
        cjk = [w for w in line if any("\u4e00" <= c <= "\u9fff" for c in w.text)]
        glyph = max(w.height for w in (cjk or line)) // scale
        order.remove((name, inverted))
        order.insert(0, (name, inverted))
        text = _OCR_AI.sub("AI", "".join(w.text for w in line))
        return FrameLabel(t=0.0, found=True, text=text, box=box, glyph_height=glyph,
                          position=_position(box, width, height))
    return None


def check_explicit(path: Path, width: int, height: int, duration: float,
                   times: tuple[float, ...] = SAMPLE_TIMES) -> ExplicitLabel:
    if shutil.which("tesseract") is None:
        return ExplicitLabel(ok=False, checks=[Check(id="CN-AI-V1", ok=False, detail=(
            "tesseract not found: install tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng"))])
    frames: list[FrameLabel] = []
    order = [("top", True), ("top", False), ("bottom", True), ("bottom", False)]
    with tempfile.TemporaryDirectory(prefix="daihuo-verify-") as tmp:
        workdir = Path(tmp)
        for t in times:
            if t >= duration or (frames and not frames[0].found):
                # past the end, or no label in the opening frame (already a failure): do not OCR further
                frames.append(FrameLabel(t=t, found=False))
                continue
            png = workdir / f"f{int(t * 1000):05d}.png"
            found = _ocr_frame(png, width, height, workdir, order) if _extract_frame(path, t, png) else None
            frames.append(found.model_copy(update={"t": t}) if found else FrameLabel(t=t, found=False))
    seen = [f for f in frames if f.found]
    short = min(width, height) or 1
    ratio = min((f.glyph_height for f in seen), default=0) / short
    first = frames[0] if frames else FrameLabel(t=0.0, found=False)
    visible = duration >= MIN_LABEL_SECONDS and bool(frames) and all(f.found for f in frames)
    checks = [
        Check(id="CN-AI-V1", ok=first.found,
              detail=f"label text at t={first.t:g}s: {first.text!r}" if first.found
              else "no text with AI/人工智能 and 生成/合成 in the opening frame"),
        Check(id="CN-AI-V2", ok=bool(seen) and ratio >= MIN_LABEL_HEIGHT_RATIO,
              detail=f"glyph height {ratio * 100:.1f}% of the short side {short}px (needs ≥ "
                     f"{MIN_LABEL_HEIGHT_RATIO * 100:.0f}%)"),
        Check(id="CN-AI-V3", ok=bool(seen), detail=f"at the {seen[0].position} edge" if seen
              else "no label near a frame edge"),
        Check(id="CN-AI-V4", ok=visible, detail=(
            f"visible at t={', '.join(f'{f.t:g}' for f in frames)}s" if visible else
            f"not visible at t={', '.join(f'{f.t:g}' for f in frames if not f.found)}s (needs ≥ {MIN_LABEL_SECONDS:g}s"
            f" from the start; clip lasts {duration:.2f}s)")),
    ]
    best = seen[0] if seen else FrameLabel(t=0.0, found=False)
    return ExplicitLabel(ok=all(c.ok for c in checks), text=best.text, glyph_height=min(
        (f.glyph_height for f in seen), default=0), height_ratio=round(ratio, 4), position=best.position,
        frames=frames, checks=checks)


def verify_clip(path: Path | str) -> VerifyReport:
    """Check both AIGC labels of a clip. Raises LabelError only when the file cannot be read at all."""
    path = Path(path)
    if not path.exists():
        raise LabelError(f"{path} does not exist")
    width, height, duration = probe_video(path)
    implicit = check_implicit(read_format_tags(path))
    explicit = check_explicit(path, width, height, duration)
    return VerifyReport(path=str(path), width=width, height=height, duration=round(duration, 3),
                        implicit=implicit, explicit=explicit)
