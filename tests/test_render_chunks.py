"""A long clip is encoded in chunks at once and joined by stream copy (generator/video/encode.py): the joined file
must be what one encode would have made — every frame in order, keyframes on the same fixed interval, the
soundtrack in sync, the AIGC metadata, the colour tags, moov before mdat — and show the composed picture."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from generator.models import Picture, Product, Shot, Timeline, Transition
from generator.platforms import get_preset
from generator.settings import Settings
from generator.video.encode import chunk_ranges
from generator.video.render import render_video, rgb_frame_function

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = Product(sku="C1", title="保湿补水面霜", images=[str(ROOT / "examples" / "images" / "cream.jpg")])
W, H, FPS, SECONDS = 144, 256, 30, 20.0
PRESET = get_preset("douyin").scaled(W / 1080)
GOP = int(round(PRESET.fps * PRESET.gop_seconds))


def test_chunks_start_on_keyframes_and_cover_the_clip() -> None:
    assert chunk_ranges(600, 60, 2) == [(0, 300), (300, 600)]
    assert chunk_ranges(601, 60, 2) == [(0, 360), (360, 601)], "11 intervals: the split is still on a keyframe"
    assert chunk_ranges(400, 60, 2) == [(0, 400)], "under 2 × 4 keyframe intervals: one encode"
    assert chunk_ranges(600, 60, 1) == [(0, 600)]
    for n, chunks in ((900, 3), (1234, 4), (2000, 2)):
        ranges = chunk_ranges(n, 60, chunks)
        assert ranges[0][0] == 0 and ranges[-1][1] == n and len(ranges) == chunks
        assert all(a % 60 == 0 and a < b for a, b in ranges)
        assert all(b == c for (_, b), (c, _) in zip(ranges, ranges[1:], strict=False))


def _timeline() -> Timeline:
    # A new picture every 2.5 s (cards of changing colour, the photo), with fades: the chunk seam at 10 s falls
    # inside a shot, so a frame out of place would show.
    shots = []
    for k in range(8):
        start = k * SECONDS / 8
        picture = Picture(kind="photo", image=0, fit="cover") if k % 3 == 0 else \
            Picture(kind="card", card="point", colors=(f"#{40 + 25 * k:02X}3060", "#103020"), pattern="stripes")
        shots.append(Shot(start=start, end=start + SECONDS / 8, beat="demo", picture=picture, pan=(-1, 0, 1, 0),
                          transition=Transition(kind="fade", duration=0.3) if k else Transition(kind="cut", duration=0)))
    return Timeline(width=W, height=H, fps=FPS, duration=SECONDS, language="zh", safe_zone=(0, 0, W, H), shots=shots,
                    layers=[], content_box=(0, 0, W, H))


def _tone(path: Path) -> Path:
    """A 1 kHz beep at 10.0 s (the chunk seam) over silence: sync is checked where the chunks meet."""
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    f"sine=f=1000:r=48000:d={SECONDS},volume='if(between(t,10,10.2),1,0)':eval=frame",
                    "-ac", "2", str(path)], check=True)
    return path


def _probe(path: Path) -> dict:
    return json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-show_entries", "frame=pts_time,key_frame",
         "-select_streams", "v:0", "-of", "json", str(path)], capture_output=True, text=True, check=True).stdout)


def _frames(path: Path) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, H, W, 3).astype(np.int16)


def _beep_at(path: Path) -> float:
    """Where the beep starts in the clip's audio, in seconds."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", "48000",
                          "-f", "f32le", "-"], capture_output=True, check=True).stdout
    audio = np.abs(np.frombuffer(raw, dtype=np.float32))
    return float(np.flatnonzero(audio > 0.05)[0]) / 48000


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, dict[str, float]]]:
    folder = tmp_path_factory.mktemp("chunks")
    sound = _tone(folder / "tone.wav")
    made = {}
    for chunks in (1, 2):
        timings: dict[str, float] = {}
        out = folder / f"clip{chunks}.mp4"
        render_video(_timeline(), PRODUCT, PRESET, sound, out, aigc_json='{"AIGC":{"Label":"1"}}',
                     settings=Settings(encoder="libx264", render_chunks=chunks), timings=timings)
        made[chunks] = (out, timings)
    assert not list(folder.glob(".*")), "no chunk, list or temp file is left beside the clip"
    return made


def test_a_chunked_clip_is_one_clean_stream(clips: dict[int, tuple[Path, dict[str, float]]]) -> None:
    (one, one_timings), (two, two_timings) = clips[1], clips[2]
    assert one_timings["chunks"] == 1 and two_timings["chunks"] == 2
    info, single = _probe(two), _probe(one)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert video["pix_fmt"] == "yuv420p" and video["color_space"] == "bt709" and video["color_range"] == "tv"
    times = [float(f["pts_time"]) for f in info["frames"]]
    assert len(times) == int(SECONDS * FPS) == len(single["frames"]), "every frame, once"
    assert np.allclose(np.diff(times), 1 / FPS, atol=1e-3), "presentation times step by one frame, in order"
    keys = [n for n, f in enumerate(info["frames"]) if f["key_frame"]]
    assert keys == [n for n, f in enumerate(single["frames"]) if f["key_frame"]] == list(range(0, len(times), GOP))
    assert float(info["format"]["duration"]) == pytest.approx(float(single["format"]["duration"]), abs=0.03)
    assert json.loads(info["format"]["tags"]["AIGC"])["AIGC"]["Label"] == "1"
    head = two.read_bytes()[:4096]
    assert 0 <= head.find(b"moov") < max(head.find(b"mdat"), 4096), "faststart: the index comes first"
    assert _beep_at(two) == pytest.approx(10.0, abs=0.03) == _beep_at(one), "the soundtrack stays in sync"


def test_a_chunked_clip_shows_the_composed_picture(clips: dict[int, tuple[Path, dict[str, float]]]) -> None:
    decoded = {n: _frames(path) for n, (path, _) in clips.items()}
    reference = rgb_frame_function(_timeline(), PRODUCT)
    for n in (0, 150, 299, 300, 301, 450, 599):  # around the seam at frame 300 too
        want = reference(n / FPS).astype(np.int16)
        # A frame from the wrong place (or a chunk shifted by one frame during a pan) is far above CRF 23's error.
        assert np.abs(decoded[2][n] - want).mean() < 6, n
        assert np.abs(decoded[2][n] - decoded[1][n]).mean() < 3, n


def test_a_frame_that_fails_stops_the_encoders_and_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A compositor error mid-clip reaches the caller at once (ffmpeg is not left waiting for frames that never
    come), in the one-encode and the chunked path, and no partial file stays beside the clip."""
    import generator.video.render as render

    def broken(timeline, product, host=None):  # noqa: ANN001, ANN202 - the frame function's own signature
        def make_frame(t: float):  # noqa: ANN202
            if t >= 1.0:
                raise ValueError("a layer could not be drawn")
            return np.zeros(W * H * 3 // 2, dtype=np.uint8)
        return make_frame

    monkeypatch.setattr(render, "frame_functions", broken)
    sound = _tone(tmp_path / "tone.wav")
    for chunks in (1, 2):
        with pytest.raises(ValueError, match="could not be drawn"):
            render_video(_timeline(), PRODUCT, PRESET, sound, tmp_path / f"c{chunks}.mp4", aigc_json="{}",
                         settings=Settings(encoder="libx264", render_chunks=chunks))
    assert not list(tmp_path.glob("*.mp4")) and not list(tmp_path.glob(".*")), list(tmp_path.iterdir())
