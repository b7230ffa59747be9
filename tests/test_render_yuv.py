"""The YUV render path draws the same picture as the RGB reference, and ffmpeg receives the planes right."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from generator.models import Beat, Line, LineTiming, Product, Script, VoiceTrack
from generator.platforms import get_preset
from generator.settings import Settings
from generator.video.layout import build_timeline
from generator.video.render import (
    build_plane_sprites,
    build_sprites,
    frame_function,
    plane_backgrounds,
    render_backgrounds,
    render_video,
    yuv_frame_function,
)
from generator.video.yuv import Frame420, PlaneSprite, rgb_to_yuv420, yuv420_to_rgb

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = Product(sku="Y1", title="保湿补水面霜", price=129, sale_price=89, offer="下单送小样",
                  images=[str(ROOT / "examples" / "images" / "cream.jpg")])
SCRIPT = Script(sku="Y1", beats=[
    Beat(kind="hook", lines=[Line(text="还在找靠谱的面霜？")], visual="image:0"),
    Beat(kind="offer", lines=[Line(text="到手价八十九元")], visual="card:offer"),
])
VOICE = VoiceTrack(path="unused.wav", duration=3.0, engine="test", lines=[
    LineTiming(index=0, text="a", caption="还在找靠谱的面霜？", start=0.2, end=1.3),
    LineTiming(index=1, text="b", caption="到手价八十九元", start=1.6, end=2.8),
])


def _timeline(scale: float = 0.25):
    preset = get_preset("douyin").scaled(scale)
    return preset, build_timeline(PRODUCT, SCRIPT, VOICE, preset)


def _silence(tmp_path: Path, seconds: float = 3) -> Path:
    wav = tmp_path / "silence.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", str(seconds),
                    str(wav)], check=True)
    return wav


def _error_against_reference(clip: Path, preset, timeline, t: float) -> float:
    """Mean absolute RGB difference between the decoded frame at `t` and the RGB reference compositor's."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", f"{t}", "-i", str(clip), "-frames:v", "1", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    decoded = np.frombuffer(raw, dtype=np.uint8).reshape(timeline.height, timeline.width, 3).astype(int)
    reference = frame_function(timeline, render_backgrounds(timeline, PRODUCT, preset), build_sprites(timeline),
                               None)(t).astype(int)
    return float(np.abs(decoded - reference).mean())


def _as_rgb(buf: np.ndarray, w: int, h: int) -> np.ndarray:
    n = w * h
    return yuv420_to_rgb(buf[:n].reshape(h, w), buf[n:n + n // 4].reshape(h // 2, w // 2),
                         buf[n + n // 4:].reshape(h // 2, w // 2))


def test_yuv_frames_match_the_rgb_reference() -> None:
    preset, timeline = _timeline()
    rgb_bgs = render_backgrounds(timeline, PRODUCT, preset)
    rgb = frame_function(timeline, rgb_bgs, build_sprites(timeline), None)
    yuv = yuv_frame_function(timeline, plane_backgrounds(rgb_bgs), build_plane_sprites(timeline), None)
    cut = timeline.scenes[1].start
    for t in (0.0, 0.7, cut + 0.05, cut + 0.2, 2.5):  # caption on, crossfade, card scene
        # The reference through the same 4:2:0 conversion: what remains is the blend arithmetic.
        reference = yuv420_to_rgb(*rgb_to_yuv420(rgb(t))).astype(int)
        diff = np.abs(reference - _as_rgb(yuv(t), timeline.width, timeline.height).astype(int))
        assert diff.mean() < 1.0 and np.percentile(diff, 99) <= 4, f"t={t}: mean {diff.mean():.2f}"


def test_repeated_frame_is_reused_and_changes_show() -> None:
    preset, timeline = _timeline()
    yuv = yuv_frame_function(timeline, plane_backgrounds(render_backgrounds(timeline, PRODUCT, preset)),
                             build_plane_sprites(timeline), None)
    before = yuv(0.10).copy()  # no caption yet (first line starts at 0.2)
    assert np.array_equal(yuv(0.10), before)
    with_caption = yuv(0.25).copy()
    assert not np.array_equal(with_caption, before), "a caption that appears must change the frame"
    assert np.array_equal(yuv(0.10), before), "going back must redraw, not reuse a stale frame"


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
    rgb = frame.rgb()
    assert np.abs(rgb[y + 4, x + 2].astype(int) - (230, 40, 40)).max() <= 3


def test_render_video_streams_tagged_yuv420p_that_decodes_to_the_reference(tmp_path: Path) -> None:
    preset, timeline = _timeline()
    wav = _silence(tmp_path)
    out = tmp_path / "clip.mp4"
    timings: dict[str, float] = {}
    render_video(timeline, PRODUCT, preset, wav, out, aigc_json='{"AIGC":{"Label":"1"}}',
                 settings=Settings(encoder="libx264"), timings=timings)
    assert set(timings) == {"prepare", "frames", "encode_wait", "render"}
    probe = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
         "stream=pix_fmt,color_space,nb_read_frames,width,height", "-of", "json", str(out)],
        capture_output=True, text=True, check=True).stdout)["streams"][0]
    assert probe["pix_fmt"] == "yuv420p" and probe["color_space"] == "bt709"
    assert (probe["width"], probe["height"]) == (timeline.width, timeline.height)
    assert int(probe["nb_read_frames"]) == 90
    # Swapped planes or a wrong colour matrix put this far above CRF 23's few levels of error.
    assert _error_against_reference(out, preset, timeline, 2.5) < 5


def test_render_video_reports_ffmpeg_errors(tmp_path: Path) -> None:
    preset, timeline = _timeline(0.125)
    with pytest.raises(RuntimeError, match="ffmpeg failed"):
        render_video(timeline, PRODUCT, preset, tmp_path / "missing.wav", tmp_path / "x.mp4", aigc_json="{}",
                     settings=Settings(encoder="libx264"))
    assert not (tmp_path / "x.mp4").exists()


class TwoPoseHost:
    """A minimal HostOverlay: two cached poses that alternate every 0.5 s, as a sprite host's cache returns them."""

    def __init__(self, box: tuple[int, int, int, int]) -> None:
        self.box = box
        _, _, w, h = box
        self.poses = [np.zeros((h, w, 4), dtype=np.uint8) for _ in range(2)]
        self.poses[0][h // 4:, :] = (30, 200, 90, 255)  # opaque body
        self.poses[1][h // 4:, :] = (200, 60, 160, 180)  # half-transparent
        self.calls = 0

    def rgba(self, t: float) -> np.ndarray:
        self.calls += 1
        return self.poses[int(t / 0.5) % 2]


def test_host_is_blended_under_the_captions_like_the_reference() -> None:
    preset, timeline = _timeline()
    host = TwoPoseHost((11, 101, 91, 121))  # odd position: the sprite is padded to even pixels
    rgb_bgs = render_backgrounds(timeline, PRODUCT, preset)
    rgb = frame_function(timeline, rgb_bgs, build_sprites(timeline), host)
    yuv = yuv_frame_function(timeline, plane_backgrounds(rgb_bgs), build_plane_sprites(timeline), host)
    for t in (0.1, 0.6, 1.1, 0.15):
        reference = yuv420_to_rgb(*rgb_to_yuv420(rgb(t))).astype(int)
        got = _as_rgb(yuv(t), timeline.width, timeline.height).astype(int)
        assert np.abs(reference - got).mean() < 1.0, f"t={t}"
        x, y, w, h = host.box
        inside = got[y + h // 2:y + h - 2, x + 2:x + w - 2]
        want = (30, 200, 90) if int(t / 0.5) % 2 == 0 else None
        if want:
            assert np.abs(inside - want).max() <= 3, "the opaque pose must show exactly at the host box"


def test_moviepy_renderer_draws_the_same_picture(tmp_path: Path) -> None:
    """DAIHUO_RENDERER=moviepy: MoviePy's VideoClip and writer, same encoder settings, same picture."""
    preset, timeline = _timeline()
    wav = _silence(tmp_path)
    out = tmp_path / "moviepy.mp4"
    render_video(timeline, PRODUCT, preset, wav, out, aigc_json='{"AIGC":{"Label":"1"}}',
                 settings=Settings(encoder="libx264", renderer="moviepy"))
    info = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(out)],
                                     capture_output=True, text=True, check=True).stdout)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert video["pix_fmt"] == "yuv420p" and video["profile"] == "High"
    assert "AIGC" in info["format"]["tags"]
    assert _error_against_reference(out, preset, timeline, 2.5) < 5
