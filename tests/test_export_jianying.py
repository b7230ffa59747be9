"""`--export jianying`: the draft folder beside a real clip, read back with plain json (what 剪映 reads).

One proxy-scale clip is rendered once; the draft is then checked against the clip's own outputs: the
mp4's duration (video segments tile it), the .srt (one caption run per cue, starting at the cue), the voice
track's spoken lines (the verbatim phrases join to each line's words), the files on disk (every media path
resolves inside the folder), the preset's AI label (one segment over the whole clip). Reruns: unchanged
inputs leave the folder alone; a changed price rebuilds it; jianying-zip adds a zip of the folder.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from generator.export.jianying import DRAFT_PLACEHOLDER
from generator.models import Brief
from generator.pipeline import run_job

ROOT = Path(__file__).resolve().parent.parent
FRAME_US = 1_000_000 / 30


def _sheet(tmp: Path, price: str | None = None) -> Path:
    rows = (ROOT / "examples" / "products.csv").read_bytes().splitlines()
    row = next(r for r in rows if r.startswith(b"HB-1001"))
    if price is not None:
        row = row.replace(b",89,", f",{price},".encode(), 1)
    sheet = tmp / "one.csv"
    sheet.write_bytes(rows[0] + b"\n" + row + b"\n")
    if not (tmp / "images").exists():
        shutil.copytree(ROOT / "examples" / "images", tmp / "images")
    return sheet


def _run(tmp: Path, export: str = "jianying", price: str | None = None):
    brief = Brief(platforms=["douyin"], duration=10, scale=0.25, qc="off", export=export)  # type: ignore[arg-type]
    return run_job(_sheet(tmp, price), brief, tmp / "out", job="jy")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("jianying")
    job = _run(tmp)
    variant = job.variants[0]
    assert variant.error is None, variant.error
    directory = Path(variant.directory)
    return tmp, variant, directory, directory / "douyin.jianying"


def _draft(folder: Path) -> dict:
    return json.loads((folder / "draft_content.json").read_text(encoding="utf-8"))


def _segments(draft: dict, kind: str, name: str = "") -> list[dict]:
    return [s for t in draft["tracks"] if t["type"] == kind and t["name"].startswith(name) for s in t["segments"]]


def _span(segment: dict) -> tuple[int, int]:
    r = segment["target_timerange"]
    return r["start"], r["start"] + r["duration"]


def _text(draft: dict, segment: dict) -> str:
    material = next(m for m in draft["materials"]["texts"] if m["id"] == segment["material_id"])
    return json.loads(material["content"])["text"]


def _srt(path: Path) -> list[tuple[int, str]]:
    cues = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        lines = block.strip().splitlines()
        h, m, s, ms = map(int, re.match(r"(\d+):(\d+):(\d+),(\d+)", lines[1]).groups())
        cues.append((((h * 60 + m) * 60 + s) * 1000 + ms, "\n".join(lines[2:])))
    return cues


def _bare(text: str) -> str:
    return re.sub(r"[\s，。！？；：、,.!?;:…#＃]", "", text)


def test_video_segments_tile_the_clip(made) -> None:
    _, variant, directory, folder = made
    draft = _draft(folder)
    assert (draft["canvas_config"]["width"], draft["canvas_config"]["height"]) == (270, 480)
    spans = [_span(s) for s in _segments(draft, "video")]
    assert spans[0][0] == 0
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False)), spans
    duration_us = variant.clips[0].duration * 1_000_000  # ffprobe of the mp4
    assert abs(spans[-1][1] - duration_us) <= FRAME_US
    assert len(spans) >= 3  # one per shot, not one still for the whole clip


def test_captions_follow_the_srt_and_the_spoken_lines(made) -> None:
    _, variant, directory, folder = made
    draft = _draft(folder)
    phrases = sorted((*_span(s), _text(draft, s)) for s in _segments(draft, "text", "captions"))
    cues = _srt(directory / "douyin.srt")
    lines = variant.voice.lines
    assert len(cues) == len(lines) >= 3
    starts_ms = [round(start / 1000) for start, _, _ in phrases]
    for (cue_ms, _), line, nxt in zip(cues, lines, [*cues[1:], (10 ** 9, "")], strict=True):
        assert cue_ms in starts_ms, (cue_ms, starts_ms)  # each line's first phrase appears with its cue
        said = "".join(text for start, _, text in phrases if cue_ms <= round(start / 1000) < nxt[0])
        assert _bare(said) == _bare(line.text)  # verbatim: the phrases are the line's own words
    for a, b in zip(phrases, phrases[1:], strict=False):
        assert a[1] <= b[0]


def test_every_media_file_is_inside_the_draft(made) -> None:
    _, _, _, folder = made
    draft = _draft(folder)
    paths = [m["path"] for kind in ("videos", "audios") for m in draft["materials"][kind]]
    assert len(paths) >= 3
    for path in paths:
        assert path.startswith(DRAFT_PLACEHOLDER + "/"), path
        assert (folder / path[len(DRAFT_PLACEHOLDER) + 1:]).is_file(), path
    audio = _segments(draft, "audio")
    assert any(s for s in audio if _span(s)[0] == 0)  # the voice (music bed mixed in) from the first frame
    assert len(audio) >= 2  # and the sound effects


def test_ai_label_spans_the_whole_clip(made) -> None:
    _, variant, directory, folder = made
    draft = _draft(folder)
    label = json.loads((directory / "douyin.json").read_text(encoding="utf-8"))["label_text"]
    (segment,) = _segments(draft, "text", "AI label")
    assert _text(draft, segment) == label == "内容由AI生成"
    start, end = _span(segment)
    assert start == 0 and abs(end - variant.clips[0].duration * 1_000_000) <= FRAME_US


def test_reruns_keep_a_current_draft_and_rebuild_a_stale_one(made) -> None:
    tmp, _, directory, folder = made
    before = (folder / "draft_content.json").stat().st_mtime_ns
    record = json.loads((directory / "douyin.json").read_text(encoding="utf-8"))["clip"]["inputs_hash"]
    assert json.loads((folder / "daihuo-export.json").read_text())["inputs_hash"] == record

    again = _run(tmp, export="jianying-zip")  # export is no input of the clip: not re-rendered
    assert again.variants[0].clips[0].skipped
    assert (folder / "draft_content.json").stat().st_mtime_ns == before
    with zipfile.ZipFile(directory / "douyin.jianying.zip") as z:
        names = set(z.namelist())
    assert {"douyin.jianying/draft_content.json", "douyin.jianying/draft_meta_info.json"} <= names
    assert {f"douyin.jianying/{p.relative_to(folder).as_posix()}" for p in folder.rglob("*") if p.is_file()} == names

    changed = _run(tmp, export="jianying-zip", price="79")
    assert not changed.variants[0].clips[0].skipped
    draft = _draft(folder)
    assert (folder / "draft_content.json").stat().st_mtime_ns != before
    assert any("79" in _text(draft, s) for s in _segments(draft, "text"))
    assert not list(directory.glob(".douyin.*tmp*"))
