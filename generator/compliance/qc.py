"""QC of a finished clip: read it back and check what a platform and a regulator would check.

`run_qc(clip, approved=..., preset=..., boxes=...)` returns a QCReport with one check per concern:

  container      H.264 High yuv420p video at the preset's size and frame rate, AAC stereo at its sample rate
  faststart      the moov box comes before mdat (playback starts before the download ends)
  av_sync        audio and video start together and end within two frames of each other
  loudness       integrated loudness within ±2 LU of -16 LUFS, true peak at most -0.5 dBTP
  CN-AI-M1       exactly one valid AIGC metadata label (generator.compliance.verify)
  CN-AI-V1..V4   the on-screen AI label, read back by OCR in its box at 0, 1 and 1.9 s: text, glyph height
                 (>= 5 % of the short side), at a frame edge, visible for >= 2 s
  burned_text    every caption, badge and statement in the sampled frames reads back as the approved text
  styled_text    titles and callouts read back as drawn (a warning: stylised text at proxy scale defeats OCR)
  unapproved     no other text on screen: OCR of the frame outside the known boxes finds only approved text
                 (script, sheet, card texts, label)
  safe_zone      every caption, label, badge and statement box lies inside the platform's safe zone
  statements     every required category statement is on screen for the whole clip and reads back

Frames are sampled, not scanned: the label at 0 s and ~2 s, plus one quiet moment per distinct scene (after the
crossfade, with a caption on screen) and more scenes spread over the clip up to MIN_CONTENT_FRAMES, at most
MAX_CONTENT_FRAMES, on keyframes where possible (one decoded frame each). Loudness is measured while frames are read and OCR runs
as two parallel tesseract batches, so QC costs a small share of the render.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from difflib import SequenceMatcher
from pathlib import Path

from generator.compliance.aigc import MIN_LABEL_HEIGHT_RATIO, MIN_LABEL_SECONDS, is_explicit_label_text
from generator.compliance.normalize import compact_text, is_cjk
from generator.compliance.qc_media import Loudness, Probe, keyframe_times, probe, read_frames, top_level_boxes
from generator.compliance.qc_models import QCCheck, QCReport, TextBox, TextRead
from generator.compliance.qc_ocr import (
    FRAME_SHORT_SIDE,
    MIN_CONF,
    OCR_LANGS,
    OcrLine,
    Page,
    crop_page,
    frame_page,
    read_each,
    read_pages,
)
from generator.compliance.verify import EDGE_BAND, check_explicit, check_implicit
from generator.platforms import Preset

LABEL_TIMES = (0.0, 1.0, 1.9)
MAX_CONTENT_FRAMES = 6
MIN_CONTENT_FRAMES = 4
TRANSITION_GUARD = 0.35  # seconds after a scene starts (its crossfade) and around caption changes
TARGET_LUFS = -16.0
LUFS_TOLERANCE = 2.0
MAX_TRUE_PEAK = -0.5
READ_SIMILARITY = 0.6  # OCR of a caption may miss a character or two; a different text scores far lower
APPROVED_COVERAGE = 0.5
# A line is approved when it matches some approved text at least this well: card text at proxy scale reads with
# half its characters wrong (「起强撞亮肪色」 for 「超强提亮肤色」), while unrelated text scores near 0.
APPROVED_SIMILARITY = 0.5
OVERLAY_KINDS = ("label", "caption", "badge", "disclosure", "title", "callout")
# Plain text on a box (captions, the badge, statements) must read back: a fail when it does not. Styled text
# (titles and callouts: outlined, tilted, on bursts and tags, several colours) is read too, but OCR misses it
# often at proxy scale, so a miss is a warning (styled_text); the words come from the same reviewed script.
PLAIN_KINDS = ("caption", "badge", "disclosure")
STYLED_KINDS = ("title", "callout")
SCENE_KINDS = ("card", "image")
_OCR_AI = re.compile(r"[Aa4][Il1|iL]")  # tesseract reads the I of AI as l or 1


# -- sampling --------------------------------------------------------------------------------------------

def sample_times(boxes: Sequence[TextBox], duration: float, keyframes: Sequence[float] = (),
                 limit: int = MAX_CONTENT_FRAMES, least: int = MIN_CONTENT_FRAMES) -> list[float]:
    """Quiet moments to read: one per distinct scene (after its crossfade, inside a caption when one overlaps
    the scene, on a keyframe when one falls there, which is cheap to decode), then more scenes spread over the
    clip until there are `least`, at most `limit`."""
    scenes = [b for b in boxes if b.kind in SCENE_KINDS] or [
        TextBox(text="", x=0, y=0, w=0, h=0, start=k * duration / 4, end=(k + 1) * duration / 4, kind="image")
        for k in range(4)]
    captions = [b for b in boxes if b.kind == "caption"]
    first: list[float] = []  # one per distinct source
    more: list[float] = []  # scenes that repeat a source
    seen: set[str] = set()
    for scene in scenes:
        moment = _quiet_moment(scene, captions, duration, keyframes)
        if moment is None:
            continue
        if scene.source and scene.source in seen:
            more.append(moment)
        else:
            first.append(moment)
            seen.add(scene.source)
    times = first[:limit]
    while len(times) < min(least, limit) and more:
        farthest = max(more, key=lambda t: min(abs(t - u) for u in times) if times else t)
        more.remove(farthest)
        times.append(farthest)
    return sorted(times)


def _quiet_moment(scene: TextBox, captions: Sequence[TextBox], duration: float,
                  keyframes: Sequence[float]) -> float | None:
    lo, hi = scene.start + TRANSITION_GUARD, min(scene.end, duration) - 0.1
    if hi <= lo:
        return None
    spans = [(max(lo, c.start + 0.1), min(hi, c.end - 0.1)) for c in captions]
    spans = [(a, b) for a, b in spans if b - a > 0.05] or [(lo, hi)]
    on_key = [k for a, b in spans for k in keyframes if a <= k <= b]
    if on_key:
        return round(on_key[0], 3)
    a, b = max(spans, key=lambda s: s[1] - s[0])
    return round((a + b) / 2, 3)


def label_times(duration: float, keyframes: Sequence[float]) -> list[float]:
    """The first frame and a moment at least MIN_LABEL_SECONDS - 0.1 s later (a keyframe near 2 s when there is
    one), so that a label read at both has been on screen for the required time; else 0, 1 and 1.9 s."""
    later = [k for k in keyframes if MIN_LABEL_SECONDS - 0.1 <= k <= MIN_LABEL_SECONDS + 1.0 and k < duration]
    times = [0.0, later[0]] if later else list(LABEL_TIMES)
    return [t for t in times if t < duration]


def _scaled(box: TextBox, s: float) -> tuple[int, int, int, int]:
    return round(box.x * s), round(box.y * s), round(box.w * s), round(box.h * s)


def _glyph_px(box: TextBox) -> float:
    return box.h / (1.25 * box.lines + 0.6)


# -- checks that need no pixels --------------------------------------------------------------------------

def container_checks(p: Probe, preset: Preset | None) -> list[QCCheck]:
    v, a = p.video, p.audio
    problems = []
    if v.get("codec_name") != "h264":
        problems.append(f"video codec {v.get('codec_name')} (want h264)")
    if v.get("pix_fmt") != "yuv420p":
        problems.append(f"pixel format {v.get('pix_fmt')} (want yuv420p)")
    if a is None:
        problems.append("no audio stream")
    elif a.get("codec_name") != "aac":
        problems.append(f"audio codec {a.get('codec_name')} (want aac)")
    if preset is not None:
        if (p.width, p.height) != (preset.width, preset.height):
            problems.append(f"size {p.width}x{p.height} (want {preset.width}x{preset.height})")
        if abs(p.fps - preset.fps) > 0.5:
            problems.append(f"{p.fps:.2f} fps (want {preset.fps})")
        if a is not None and int(a.get("sample_rate", 0)) != preset.audio_rate:
            problems.append(f"audio {a.get('sample_rate')} Hz (want {preset.audio_rate})")
    if a is not None and int(a.get("channels", 0)) != 2:
        problems.append(f"{a.get('channels')} audio channel(s) (want stereo)")
    profile = str(v.get("profile", ""))
    detail = f"{v.get('codec_name')} {profile} {v.get('pix_fmt')} {p.width}x{p.height} {p.fps:.2f} fps"
    if a is not None:
        detail += f", {a.get('codec_name')} {a.get('sample_rate')} Hz {a.get('channels')} ch"
    return [QCCheck(id="container", ok=not problems, detail="; ".join(problems) or detail)]


def faststart_check(path: Path) -> QCCheck:
    kinds = top_level_boxes(path)
    if "moov" not in kinds or "mdat" not in kinds:
        return QCCheck(id="faststart", ok=False, detail=f"not an MP4 with moov and mdat (boxes: {', '.join(kinds)})")
    ok = kinds.index("moov") < kinds.index("mdat")
    return QCCheck(id="faststart", ok=ok, detail=("moov before mdat" if ok else
                   "moov after mdat: remux with -movflags +faststart"))


def av_sync_check(p: Probe) -> QCCheck:
    if p.audio is None:
        return QCCheck(id="av_sync", ok=False, detail="no audio stream")
    frame = 1.0 / p.fps if p.fps else 0.04
    v_start, a_start = p.stream_start(p.video), p.stream_start(p.audio)
    v_len, a_len = p.stream_duration(p.video), p.stream_duration(p.audio)
    start_gap, end_gap = abs(v_start - a_start), abs((v_start + v_len) - (a_start + a_len))
    ok = start_gap <= 0.05 and end_gap <= max(0.1, 2 * frame)
    return QCCheck(id="av_sync", ok=ok, detail=(
        f"audio starts {a_start - v_start:+.3f} s and ends {(a_start + a_len) - (v_start + v_len):+.3f} s "
        f"from the video"))


def loudness_check(lufs: float | None, peak: float | None) -> QCCheck:
    if lufs is None:
        return QCCheck(id="loudness", ok=False, detail="loudness could not be measured (silent or no audio)")
    ok = abs(lufs - TARGET_LUFS) <= LUFS_TOLERANCE and (peak is None or peak <= MAX_TRUE_PEAK)
    return QCCheck(id="loudness", ok=ok, detail=(
        f"{lufs:.1f} LUFS integrated (want {TARGET_LUFS:g} ±{LUFS_TOLERANCE:g}), true peak "
        f"{'n/a' if peak is None else f'{peak:.1f}'} dBTP (want ≤ {MAX_TRUE_PEAK:g})"))


def safe_zone_check(boxes: Sequence[TextBox], preset: Preset | None, width: int, height: int) -> QCCheck:
    if preset is None:
        return QCCheck(id="safe_zone", ok=True, severity="warn", detail="no platform preset: not checked")
    left, top, right, bottom = preset.safe_box()
    tol = 2
    outside = [f"{b.kind} {b.text.splitlines()[0][:16]!r} at ({b.x},{b.y},{b.w}x{b.h})"
               for b in boxes if b.kind in OVERLAY_KINDS and
               (b.x < left - tol or b.y < top - tol or b.x + b.w > right + tol or b.y + b.h > bottom + tol)]
    shown = sum(1 for b in boxes if b.kind in OVERLAY_KINDS)
    return QCCheck(id="safe_zone", ok=not outside, detail=(
        f"outside the safe zone {left},{top}–{right},{bottom}: " + "; ".join(outside[:5]) if outside
        else f"{shown} text box(es) inside the safe zone {left},{top}–{right},{bottom} of {width}x{height}"))


# -- reading text back -------------------------------------------------------------------------------------

def _similar(expected: str, read: str) -> float:
    a, b = compact_text(expected), compact_text(read)
    if not a:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _read_ok(box: TextBox, lines: list[OcrLine]) -> bool:
    if box.kind == "label":
        return is_explicit_label_text(_label_text(lines))
    return _similar(box.text, " ".join(line.text for line in lines)) >= READ_SIMILARITY


def _label_text(lines: list[OcrLine]) -> str:
    return _OCR_AI.sub("AI", "".join(line.text for line in lines))


def _label_glyph(lines: list[OcrLine], page: Page) -> float:
    words = [w for line in lines for w in line.words if any(is_cjk(c) for c in w.text)]
    words = words or [w for line in lines for w in line.words]
    return max((w.height for w in words), default=0) / page.scale


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


LATIN_CONF = 70.0
MAX_RETRIES = 4
RETRIES = ((True, OCR_LANGS, 36.0), (False, f"{OCR_LANGS}+eng", 36.0), (True, OCR_LANGS, 26.0),
           (True, OCR_LANGS, 52.0), (False, OCR_LANGS, 60.0))
_STROKES = set("一丨丶丿乙二三十丁亠冖匚卜")  # what edges and thin lines read as


def _worth_reading(line: OcrLine) -> bool:
    """Is this OCR line text, or noise from a photo or the host's hair? Measured on 40 rendered clips (10
    platforms, host on): noise reads as one or two CJK characters (局已, 石碍), strokes (一一) or unsure Latin
    (-AAARN at 59 %, arlz at 44 %); text reads as three or more CJK characters, or Latin at 70 % or better.
    So a two-character word (微信) burned in alone is not caught: the price of not failing clean clips."""
    text = line.text
    cjk = sum(1 for c in text if is_cjk(c) and c not in _STROKES)
    letters = max((sum(1 for c in w.text if c.isascii() and c.isalpha()) for w in line.words), default=0)
    return (line.conf >= MIN_CONF and cjk >= 3) or (line.conf >= LATIN_CONF and letters >= 4)


def approved_coverage(text: str, corpus: set[str]) -> float:
    grams = _bigrams(compact_text(text))
    return len(grams & corpus) / len(grams) if grams else 1.0


def best_partial_ratio(text: str, approved: Sequence[str]) -> float:
    """How well `text` matches its best window in any approved text (OCR slips a character here and there:
    「云十保山小垃咖啡」 is 「云南保山小粒咖啡」)."""
    line = compact_text(text)
    best = 0.0
    for candidate in approved:
        target = compact_text(candidate)
        if not target:
            continue
        n = len(line)
        windows = [target] if len(target) <= n else [target[i:i + n] for i in range(len(target) - n + 1)]
        best = max(best, *(SequenceMatcher(None, line, w, autojunk=False).ratio() for w in windows))
        if best >= 0.99:
            break
    return best


def is_approved(text: str, corpus: set[str], approved: Sequence[str]) -> bool:
    return (approved_coverage(text, corpus) >= APPROVED_COVERAGE
            or best_partial_ratio(text, approved) >= APPROVED_SIMILARITY)


def run_qc(clip: Path | str, *, approved: Sequence[str], preset: Preset | None, boxes: Sequence[TextBox],
           statements: Sequence[str] = ()) -> QCReport:
    """Check `clip` against what was approved and drawn. Raises LabelError when the file cannot be read."""
    started = time.perf_counter()
    path = Path(clip)
    p = probe(path)
    loud = Loudness(path)
    width, height, duration = p.width, p.height, p.duration
    delivery = [*container_checks(p, preset), faststart_check(path), av_sync_check(p)]
    if preset is None:  # a file of unknown destination: report what delivery checks find, do not fail on them
        delivery = [c.model_copy(update={"severity": "warn"}) for c in delivery]
    checks = list(delivery)
    implicit = check_implicit(p.tags)
    checks += [QCCheck(id=c.id, ok=c.ok, detail=c.detail) for c in implicit.checks]
    checks.append(safe_zone_check(boxes, preset, width, height))

    label_boxes = [b for b in boxes if b.kind == "label"]
    keyframes = keyframe_times(path)
    label_moments = label_times(duration, keyframes) if label_boxes else []
    content_times = sample_times(boxes, duration, keyframes)
    shrink = min(1.0, FRAME_SHORT_SIDE / max(1, min(width, height)))
    size = (2 * round(width * shrink / 2), 2 * round(height * shrink / 2)) if shrink < 1.0 else None
    frames = read_frames(path, sorted(set(label_moments + content_times)), size)
    crops: list[Page] = []
    frame_pages: list[Page] = []
    static_read: set[int] = set()  # a box on screen for the whole clip is read once (the label at its moments)
    for t, frame in sorted(frames.items()):
        s = frame.shape[1] / width if width else 1.0
        is_content = t in content_times
        active = [(i, b) for i, b in enumerate(boxes) if b.kind in OVERLAY_KINDS and b.active(t)]
        for i, b in active:
            static = b.start <= 0.05 and b.end >= duration - 0.1
            wanted = (b.kind == "label" and t in label_moments) or (is_content and not (static and i in static_read))
            if wanted:
                crops.append(crop_page(frame, _scaled(b, s), t, b.kind, i, _glyph_px(b) * s, base_scale=s))
                static_read.add(i) if static and is_content else None
        if is_content:
            struck = [b for b in boxes if b.kind == "struck" and b.active(t)]
            frame_pages.append(frame_page(frame, [_scaled(b, s) for b in [*(b for _, b in active), *struck]], t))
    crop_lines, frame_lines = read_pages(crops, frame_pages)
    # What did not read as approved gets more tries before it counts as wrong: grey levels (tiny text at proxy
    # scale), the English model beside the Chinese one (a label such as 「AI生成」 is half Latin), other sizes
    # (tesseract's reading of a 17 px 「AI」 changes with the enlargement). Only failed crops are retried.
    for attempt, (soft, langs, target) in enumerate(RETRIES):
        # Styled titles and callouts only warn when they do not read: one more try, not five (≈ 1 s a clip).
        retry = [k for k, (page, lines) in enumerate(zip(crops, crop_lines, strict=True))
                 if not _read_ok(boxes[page.index], lines) and (attempt == 0 or boxes[page.index].kind not in STYLED_KINDS)
                 ][:MAX_RETRIES]  # a broken clip is not worth more
        if not retry:
            break
        again_pages = []
        for k in retry:
            page, box = crops[k], boxes[crops[k].index]
            s = frames[page.t].shape[1] / width if width else 1.0
            again_pages.append(crop_page(frames[page.t], _scaled(box, s), page.t, box.kind, page.index,
                                         _glyph_px(box) * s, target_px=target, base_scale=s, soft=soft))
        again = read_each(again_pages, langs)
        fixed = 0
        for k, page, lines in zip(retry, again_pages, again, strict=True):
            if _read_ok(boxes[page.index], lines):
                crops[k], crop_lines[k] = page, lines
                fixed += 1
        if not fixed and len(retry) > 2:
            break  # several boxes that no reading fixes: the clip is broken there, not the OCR

    reads: list[TextRead] = []
    label_reads: dict[float, tuple[bool, float]] = {}
    for page, lines in zip(crops, crop_lines, strict=True):
        box = boxes[page.index]
        if box.kind == "label":
            text = _label_text(lines)
            found = is_explicit_label_text(text)
            if page.t in label_moments:
                label_reads[page.t] = (found, _label_glyph(lines, page) if found else 0.0)
            reads.append(TextRead(t=page.t, kind="label", expected=box.text, read=text, ok=found,
                                  similarity=round(_similar(box.text, text), 3), box=(box.x, box.y, box.w, box.h)))
            continue
        text = " ".join(line.text for line in lines)
        similarity = _similar(box.text, text)
        reads.append(TextRead(t=page.t, kind=box.kind, expected=box.text, read=text, similarity=round(similarity, 3),
                              ok=similarity >= READ_SIMILARITY, box=(box.x, box.y, box.w, box.h)))

    if label_boxes:
        checks += _label_checks(label_boxes[0], label_reads, label_moments, width, height, duration)
    else:
        explicit = check_explicit(path, width, height, duration)
        checks += [QCCheck(id=c.id, ok=c.ok, detail=c.detail) for c in explicit.checks]

    shown = [r for r in reads if r.kind in PLAIN_KINDS]
    wrong = [r for r in shown if not r.ok]
    checks.append(QCCheck(id="burned_text", ok=not wrong, severity="fail" if boxes else "warn", detail=(
        "; ".join(f"{r.kind} at {r.t:g}s reads {r.read!r}, approved {r.expected!r}" for r in wrong[:4]) if wrong
        else f"{len(shown)} caption/badge/statement read(s) match the approved text" if shown
        else "no drawn text to compare (no timeline boxes given)")))
    styled = [r for r in reads if r.kind in STYLED_KINDS]
    if styled:
        off = [r for r in styled if not r.ok]
        checks.append(QCCheck(id="styled_text", ok=not off, severity="warn", detail=(
            "; ".join(f"{r.kind} at {r.t:g}s reads {r.read!r}, drawn {r.expected!r}" for r in off[:4]) if off
            else f"{len(styled)} title/callout read(s) match the drawn text")))

    allowed = [*approved, *(piece for b in boxes for piece in b.text.split("\n"))]
    corpus: set[str] = set()
    for text in allowed:
        corpus |= _bigrams(compact_text(text))
    unapproved: list[str] = []
    for page, lines in zip(frame_pages, frame_lines, strict=True):
        for line in lines:
            if _worth_reading(line) and not is_approved(line.text, corpus, allowed):
                unapproved.append(f"{line.text} (t={page.t:g}s)")
    if approved:
        checks.append(QCCheck(id="unapproved_text", ok=not unapproved, detail=(
            "on screen but not approved: " + "; ".join(unapproved[:6]) if unapproved else
            f"{len(frame_pages)} frame(s) read: only approved text on screen")))
    else:  # nothing to compare with (a file from elsewhere): say what is on screen
        checks.append(QCCheck(id="unapproved_text", ok=True, severity="warn", detail=(
            "no approved texts given; text on screen: " + "; ".join(unapproved[:6]) if unapproved
            else f"no approved texts given; {len(frame_pages)} frame(s) read, no text found outside the label")))
    checks.append(_statement_check(statements, boxes, reads, duration))

    lufs, peak = loud.result()
    level = loudness_check(lufs, peak)
    checks.append(level if preset is not None else level.model_copy(update={"severity": "warn"}))
    return QCReport(path=str(path), width=width, height=height, duration=round(duration, 3),
                    seconds=round(time.perf_counter() - started, 3), frames=sorted(frames), loudness_lufs=lufs,
                    true_peak_dbtp=peak, checks=checks, reads=reads, unapproved=unapproved)


def _label_checks(box: TextBox, found: dict[float, tuple[bool, float]], times: list[float], width: int,
                  height: int, duration: float) -> list[QCCheck]:
    short = min(width, height) or 1
    seen = [g for ok, g in found.values() if ok]
    ratio = min(seen, default=0.0) / short
    first = found.get(times[0], (False, 0.0))[0] if times else False
    at_edge = box.y <= height * EDGE_BAND or box.y + box.h >= height * (1 - EDGE_BAND)
    visible = duration >= MIN_LABEL_SECONDS and bool(times) and all(found.get(t, (False, 0))[0] for t in times)
    missing = [f"{t:g}" for t in times if not found.get(t, (False, 0))[0]]
    return [
        QCCheck(id="CN-AI-V1", ok=first, detail=f"label {box.text!r} read in its box at t=0" if first
                else f"label {box.text!r} not readable in its box at t=0"),
        QCCheck(id="CN-AI-V2", ok=bool(seen) and ratio >= MIN_LABEL_HEIGHT_RATIO, detail=(
            f"glyph height {ratio * 100:.1f}% of the short side {short}px (needs ≥ {MIN_LABEL_HEIGHT_RATIO * 100:.0f}%)")),
        QCCheck(id="CN-AI-V3", ok=at_edge and bool(seen), detail=f"label box at ({box.x},{box.y}) of {width}x{height}"),
        QCCheck(id="CN-AI-V4", ok=visible, detail=(f"read at t={', '.join(f'{t:g}' for t in times)}s" if visible else
                f"not read at t={', '.join(missing) or '-'}s (needs ≥ {MIN_LABEL_SECONDS:g}s; clip {duration:.2f}s)")),
    ]


def _statement_check(statements: Sequence[str], boxes: Sequence[TextBox], reads: list[TextRead],
                     duration: float) -> QCCheck:
    if not statements:
        return QCCheck(id="statements", ok=True, detail="no category statement required")
    problems = []
    for statement in statements:
        key = compact_text(statement)
        shown = [b for b in boxes if b.kind == "disclosure" and key in compact_text(b.text)]
        if not shown:
            problems.append(f"「{statement}」 is not drawn")
            continue
        if not any(b.start <= 0.05 and b.end >= duration - 0.1 for b in shown):
            problems.append(f"「{statement}」 is not on screen for the whole clip")
        if not any(r.kind == "disclosure" and r.ok and key in compact_text(r.expected) for r in reads):
            problems.append(f"「{statement}」 did not read back in the sampled frames")
    return QCCheck(id="statements", ok=not problems, detail="; ".join(problems) or
                   "on screen for the whole clip and read back: " + "；".join(statements))
