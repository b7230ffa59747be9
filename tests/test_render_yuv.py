"""The YUV compositor: conversions, blends, transitions and entrances draw what the Timeline says, and ffmpeg
receives the planes right."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from generator.models import Animation, Layer, Picture, Product, Shot, Timeline, Transition
from generator.platforms import get_preset
from generator.settings import Settings
from generator.video.render import frame_functions, render_video, rgb_frame_function
from generator.video.yuv import Frame420, PlaneBackground, PlaneSprite, rgb_to_yuv420, yuv420_to_rgb

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = Product(sku="Y1", title="保湿补水面霜", images=[str(ROOT / "examples" / "images" / "cream.jpg")])
RED, BLUE = ("#E02020", "#E02020"), ("#2040E0", "#2040E0")
W, H = 144, 256
PRESET = get_preset("douyin").scaled(W / 1080)


def _card(colors: tuple[str, str]) -> Picture:
    return Picture(kind="card", card="point", colors=colors, pattern="plain")


def _timeline(shots: list[Shot], layers: list[Layer] = (), duration: float = 3.0) -> Timeline:  # type: ignore[assignment]
    return Timeline(width=W, height=H, fps=30, duration=duration, language="zh", safe_zone=(0, 0, W, H), shots=shots,
                    layers=list(layers), content_box=(0, 0, W, H))


def _caption(start: float = 0.2, end: float = 2.0, **extra: object) -> Layer:
    return Layer(kind="caption", start=start, end=end, box=(20, 200, 0, 0), bounds=(0, 0, 0, 0), text=["字幕"], size=20,
                 background="#000000B0", shape="box", padding=4, **extra)  # type: ignore[arg-type]


def _sized(layer: Layer) -> Layer:
    from generator.video.layers import measure

    w, h = measure(layer, "zh")
    return layer.model_copy(update={"box": (*layer.box[:2], w, h), "bounds": (*layer.box[:2], w, h)})


def _rgb(buf: np.ndarray) -> np.ndarray:
    n = W * H
    return yuv420_to_rgb(buf[:n].reshape(H, W), buf[n:n + n // 4].reshape(H // 2, W // 2),
                         buf[n + n // 4:].reshape(H // 2, W // 2)).astype(int)


def _silence(tmp_path: Path, seconds: float = 3) -> Path:
    wav = tmp_path / "silence.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", str(seconds),
                    str(wav)], check=True)
    return wav


def test_fast_canvas_conversion_matches_the_float_reference() -> None:
    rgb = np.random.default_rng(1).integers(0, 256, (64, 96, 3), dtype=np.uint8)
    fast = PlaneBackground.from_rgb(rgb)
    y, u, v = rgb_to_yuv420(rgb)
    assert np.abs(fast.y.astype(int) - y).max() <= 1
    fu, fv = fast.chroma[(0, 0)]
    assert np.abs(fu.astype(int) - u).max() <= 1 and np.abs(fv.astype(int) - v).max() <= 1
    odd_u, _ = fast.chroma[(1, 1)]
    _, ref_u, _ = rgb_to_yuv420(rgb[1:63, 1:95])
    assert np.abs(odd_u.astype(int) - ref_u).max() <= 1, "chroma for odd pan offsets is sampled from the odd grid"


@pytest.mark.parametrize(("x", "y"), [(4, 6), (5, 7)])
def test_plane_sprite_blend_is_exact_at_alpha_0_and_255(x: int, y: int) -> None:
    frame = Frame420(32, 32)
    background = np.full((32, 32, 3), (20, 120, 200), dtype=np.uint8)
    for plane, value in zip(frame.planes, rgb_to_yuv420(background), strict=True):
        np.copyto(plane, value)
    rgba = np.zeros((8, 10, 4), dtype=np.uint8)
    rgba[:, :] = (230, 40, 40, 255)
    rgba[:, 5:, 3] = 0  # right half transparent
    PlaneSprite.from_rgba(rgba, x, y).blend_into(frame.planes)
    red_y = rgb_to_yuv420(np.full((2, 2, 3), (230, 40, 40), dtype=np.uint8))[0][0, 0]
    bg_y = rgb_to_yuv420(background)[0][0, 0]
    luma = frame.planes[0]
    assert (luma[y:y + 8, x:x + 5] == red_y).all(), "opaque pixels must be the sprite's colour, at (x, y)"
    assert (luma[y:y + 8, x + 5:x + 10] == bg_y).all(), "transparent pixels must leave the background"
    assert luma[y - 1, x] == bg_y and luma[y, x - 1] == bg_y, "nothing drawn outside the sprite's box"


def test_slide_shows_both_shots_side_by_side_then_the_new_one() -> None:
    shots = [Shot(start=0, end=1, beat="hook", picture=_card(RED), pan=(0, 0, 0, 0)),
             Shot(start=1, end=3, beat="demo", picture=_card(BLUE), pan=(0, 0, 0, 0),
                  transition=Transition(kind="slide", duration=0.3, direction="left"))]
    frames = rgb_frame_function(_timeline(shots), PRODUCT)
    mid = frames(1.1)
    assert mid[:, 4, 0] .mean() > 180 and mid[:, 4, 2].mean() < 80, "the outgoing shot still fills the left"
    assert mid[:, -4, 2].mean() > 180 and mid[:, -4, 0].mean() < 80, "the incoming shot pushes in from the right"
    after = frames(1.5)
    assert after[:, :, 2].mean() > 180, "after the slide only the new shot shows"


def test_flash_and_punch_in() -> None:
    shots = [Shot(start=0, end=1, beat="hook", picture=_card(RED), pan=(0, 0, 0, 0)),
             Shot(start=1, end=3, beat="demo", picture=Picture(kind="photo", image=0, fit="cover"), pan=(0, 0, 0, 0),
                  zoom=[(2.0, 1.25)], transition=Transition(kind="flash", duration=0.15))]
    frames = rgb_frame_function(_timeline(shots), PRODUCT)
    assert frames(1.0).mean() > frames(1.5).mean() + 20, "the flash starts near white"
    before, after = frames(1.9), frames(2.05)
    assert np.abs(before - after).mean() > 3, "a punch-in changes the framing at its time"


def test_layers_enter_as_planned_and_repeated_frames_are_reused() -> None:
    shots = [Shot(start=0, end=3, beat="hook", picture=_card(RED), pan=(0, 0, 0, 0))]
    pop = _sized(_caption(start=0.5, animation=Animation(enter="pop", duration=0.3)))
    yuv = frame_functions(_timeline(shots, [pop]), PRODUCT)
    empty = yuv(0.1).copy()
    assert np.array_equal(yuv(0.2), empty), "a still frame with nothing new is the same frame"
    growing = [_rgb(yuv(0.5 + k / 30).copy()) for k in range(9)]
    dark = [int((g[190:250, :, 0] < 120).sum()) for g in growing]  # the black box over the red card
    assert dark[0] < dark[4] <= dark[8] * 1.2, "the caption box grows during its pop"
    assert not np.array_equal(yuv(1.0), empty)
    assert np.array_equal(yuv(0.1), empty), "going back must redraw, not reuse a stale frame"


def test_render_video_streams_tagged_yuv420p_that_decodes_to_the_composed_frames(tmp_path: Path) -> None:
    shots = [Shot(start=0, end=1.5, beat="hook", picture=Picture(kind="photo", image=0, fit="contain",
                                                                   box=(10, 20, 124, 160))),
             Shot(start=1.5, end=3, beat="offer", picture=_card(BLUE), transition=Transition(kind="fade", duration=0.3))]
    timeline = _timeline(shots, [_sized(_caption())])
    out = tmp_path / "clip.mp4"
    timings: dict[str, float] = {}
    render_video(timeline, PRODUCT, PRESET, _silence(tmp_path), out, aigc_json='{"AIGC":{"Label":"1"}}',
                 settings=Settings(encoder="libx264"), timings=timings)
    assert set(timings) == {"prepare", "frames", "soundtrack", "encode_wait", "render", "chunks"}
    assert timings["chunks"] == 1, "a 3 s clip is too short to be encoded in chunks"
    probe = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
         "stream=pix_fmt,color_space,nb_read_frames,width,height", "-of", "json", str(out)],
        capture_output=True, text=True, check=True).stdout)["streams"][0]
    assert probe["pix_fmt"] == "yuv420p" and probe["color_space"] == "bt709"
    assert (probe["width"], probe["height"]) == (W, H) and int(probe["nb_read_frames"]) == 90
    reference = rgb_frame_function(timeline, PRODUCT)
    for t in (0.5, 2.5):
        # Swapped planes or a wrong colour matrix put this far above CRF 23's few levels of error.
        assert np.abs(_decoded(out, t) - reference(t).astype(int)).mean() < 6, t


def _decoded(clip: Path, t: float) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", f"{t}", "-i", str(clip), "-frames:v", "1", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(H, W, 3).astype(int)


def test_render_video_reports_ffmpeg_errors(tmp_path: Path) -> None:
    shots = [Shot(start=0, end=1, beat="hook", picture=_card(RED))]
    with pytest.raises(Exception, match="voice track|ffmpeg"):
        render_video(_timeline(shots, duration=1.0), PRODUCT, PRESET, tmp_path / "missing.wav", tmp_path / "x.mp4",
                     aigc_json="{}", settings=Settings(encoder="libx264"))
    assert not list(tmp_path.glob("*.mp4")) and not list(tmp_path.glob(".*tmp*")), "no partial files left"


class TwoPoseHost:
    """A minimal HostOverlay: two cached poses that alternate every 0.5 s, as a sprite host's cache returns them."""

    def __init__(self, box: tuple[int, int, int, int]) -> None:
        self.box = box
        self.mouth_box = (0, 0, 1, 1)
        self.engine = "test"
        _, _, w, h = box
        self.poses = [np.zeros((h, w, 4), dtype=np.uint8) for _ in range(2)]
        self.poses[0][h // 4:, :] = (30, 200, 90, 255)  # opaque body
        self.poses[1][h // 4:, :] = (200, 60, 160, 180)  # half-transparent

    def rgba(self, t: float) -> np.ndarray:
        return self.poses[int(t / 0.5) % 2]


def test_host_is_drawn_over_the_picture_and_under_the_captions() -> None:
    shots = [Shot(start=0, end=3, beat="hook", picture=_card(BLUE), pan=(0, 0, 0, 0))]
    caption = _sized(_caption(start=0.0, end=3.0))
    x, y, w, h = caption.box
    host = TwoPoseHost((11, y - 41, 91, 81))  # odd position: the sprite is padded to even pixels
    frames = rgb_frame_function(_timeline(shots, [caption]), PRODUCT, host)
    frame = frames(0.1)
    hx, hy, hw, hh = host.box
    body = frame[hy + hh // 3:y - 2, hx + 2:hx + hw - 2]
    assert np.abs(body - (30, 200, 90)).max() <= 4, "the opaque pose shows exactly at the host box"
    assert frame[y + h // 2, x + 2:x + 12].mean() < 90, "the caption's dark box is drawn over the host"
    assert np.abs(frames(0.6)[hy + hh // 2, hx + hw // 2] - (30, 200, 90)).max() > 30, "the next pose shows at 0.5 s"


def test_moviepy_renderer_draws_the_same_picture(tmp_path: Path) -> None:
    """DAIHUO_RENDERER=moviepy: MoviePy's VideoClip and writer, same encoder settings, same picture."""
    shots = [Shot(start=0, end=3, beat="hook", picture=Picture(kind="photo", image=0, fit="cover"))]
    timeline = _timeline(shots, [_sized(_caption())])
    out = tmp_path / "moviepy.mp4"
    render_video(timeline, PRODUCT, PRESET, _silence(tmp_path), out, aigc_json='{"AIGC":{"Label":"1"}}',
                 settings=Settings(encoder="libx264", renderer="moviepy"))
    info = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(out)],
                                     capture_output=True, text=True, check=True).stdout)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert video["pix_fmt"] == "yuv420p" and video["profile"] == "High"
    assert "AIGC" in info["format"]["tags"]
    assert np.abs(_decoded(out, 1.0) - rgb_frame_function(timeline, PRODUCT)(1.0).astype(int)).mean() < 6
