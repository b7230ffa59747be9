"""The sprite host against a real espeak-ng voice: mouth open while speaking, closed in pauses, blinks."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from pydub import AudioSegment

from generator.host import make_host
from generator.host.layout import default_safe, host_box
from generator.host.sprite import SpriteHost, SpriteSetError, load_sprite_set
from generator.host.visemes import text_units
from generator.models import Beat, Line, LineTiming, Script, VoiceTrack

FPS = 15
FRAME = (360, 640)
LINES = ["大家好，欢迎来到直播间", "这款保温杯真的很好用", "Buy one today"]


def synth_voice(tmp: Path, lines: list[str] = LINES, pause_ms: int = 1500) -> VoiceTrack:
    """Lines spoken by espeak-ng with silence before, between and after them, plus their timings."""
    audio = AudioSegment.silent(duration=800, frame_rate=22050)
    timings = []
    for i, text in enumerate(lines):
        wav = tmp / f"line{i}.wav"
        voice = "en" if text.isascii() else "cmn"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(wav), text], check=True, capture_output=True)
        seg = AudioSegment.from_wav(wav).set_frame_rate(22050).set_channels(1)
        start = len(audio) / 1000
        audio += seg
        timings.append(LineTiming(index=i, text=text, caption=text, start=start, end=len(audio) / 1000))
        audio += AudioSegment.silent(duration=pause_ms, frame_rate=22050)
    path = tmp / "voice.wav"
    audio.export(path, format="wav")
    return VoiceTrack(path=str(path), duration=len(audio) / 1000, lines=timings, engine="espeak")


def script_for(lines: list[str] = LINES) -> Script:
    return Script(sku="CUP-1", variant=1, beats=[Beat(kind="hook", lines=[Line(text=t) for t in lines])])


def rms_per_frame(path: str, fps: int) -> np.ndarray:
    seg = AudioSegment.from_wav(path)
    samples = np.array(seg.get_array_of_samples(), dtype=np.float64) / 32768
    hop = seg.frame_rate // fps
    n = len(samples) // hop
    return np.sqrt((samples[: n * hop].reshape(n, hop) ** 2).mean(axis=1))


def dark_pixels(rgba: np.ndarray, box: tuple[int, int, int, int], luma: float = 80) -> int:
    x, y, w, h = box
    region = rgba[y:y + h, x:x + w].astype(np.float64)
    lum = 0.299 * region[..., 0] + 0.587 * region[..., 1] + 0.114 * region[..., 2]
    return int(((lum < luma) & (region[..., 3] > 128)).sum())


@pytest.fixture(scope="module")
def voice(tmp_path_factory: pytest.TempPathFactory) -> VoiceTrack:
    return synth_voice(tmp_path_factory.mktemp("voice"))


def test_mouth_follows_voice_energy(voice: VoiceTrack) -> None:
    host = make_host("default", voice, script_for(), FRAME, "pip", FPS)
    assert isinstance(host, SpriteHost)
    x, y, w, h = host.box
    assert (w, h) == host.rgba(0).shape[1::-1] and host.rgba(0).shape[2] == 4
    energy = rms_per_frame(voice.path, FPS)
    loud = energy > 0.25 * np.percentile(energy[energy > 1e-4], 90)
    mouth = np.array([dark_pixels(host.rgba((i + 0.5) / FPS), host.mouth_box) for i in range(len(energy))])
    # Pauses: frames in silence, away from speech edges, show a closed mouth (no dark mouth interior).
    silent = (energy < 1e-4)
    silent &= np.convolve(silent, np.ones(5), "same") == 5
    assert silent.sum() > FPS * 2, "the test voice should contain pauses"
    assert mouth[silent].max() == 0, "mouth must be closed in pauses"
    # Speech: the mouth is open in most loud frames.
    assert loud.sum() > FPS * 2
    open_share = (mouth[loud] > 0).mean()
    assert open_share > 0.6, f"mouth open in only {open_share:.0%} of speaking frames"
    # And it moves while speaking (several distinct openings, not one held shape).
    assert len(set(mouth[loud].tolist())) >= 3


def test_blinks_within_every_six_seconds(tmp_path: Path) -> None:
    path = tmp_path / "silence.wav"
    AudioSegment.silent(duration=20_000, frame_rate=8000).export(path, format="wav")
    voice = VoiceTrack(path=str(path), duration=20.0, lines=[], engine="test")
    host = make_host("default", voice, script_for(), FRAME, "side", FPS)
    assert host is not None
    assert isinstance(host, SpriteHost)
    _, eyes_y = host.point(*host.sprites.anchors["eyes"])
    _, below = host.point(0, host.sprites.anchors["eyes"][1] + 30)
    eye_band = (0, 2 * eyes_y - below, host.box[2], 2 * (below - eyes_y))
    dark = np.array([dark_pixels(host.rgba(i / FPS), eye_band, luma=90) for i in range(20 * FPS)])
    closed = dark < 0.5 * np.median(dark)
    starts = [i / FPS for i in range(len(closed)) if closed[i] and (i == 0 or not closed[i - 1])]
    assert starts, "no blink in 20 s"
    gaps = np.diff([0.0, *starts, 20.0])
    assert gaps.max() <= 6.0 + 1 / FPS, f"gaps between blinks {gaps}"
    assert closed.mean() < 0.15, "eyes should be open most of the time"


def test_rgba_is_cached_and_fast(voice: VoiceTrack) -> None:
    host = make_host("default", voice, script_for(), (1080, 1920), "pip", 30)
    assert host is not None
    start = time.perf_counter()
    frames = [host.rgba(i / 30) for i in range(int(voice.duration * 30))]
    elapsed = time.perf_counter() - start
    assert len({id(f) for f in frames}) <= 160
    assert elapsed < 0.06 * voice.duration * 30 / 4, f"{elapsed:.2f}s for {len(frames)} frames"
    assert not frames[0].flags.writeable


def test_same_seed_same_motion(voice: VoiceTrack) -> None:
    a = make_host("default", voice, script_for(), FRAME, "pip", FPS)
    b = make_host("default", voice, script_for(), FRAME, "pip", FPS)
    assert a is not None and b is not None
    assert [a.state(i / FPS) for i in range(100)] == [b.state(i / FPS) for i in range(100)]


@pytest.mark.parametrize("frame", [(1080, 1920), (1920, 1080), (360, 640)])
@pytest.mark.parametrize("layout", ["pip", "pip-right", "side", "full"])
def test_layout_boxes_fit(frame: tuple[int, int], layout: str) -> None:
    x, y, w, h = host_box(frame, layout, 760 / 600)
    assert x >= 0 and y >= 0 and x + w <= frame[0] and y + h <= frame[1]
    assert w % 2 == 0 and h % 2 == 0
    left, top, right, bottom = default_safe(frame)
    if layout.startswith("pip"):
        assert left <= x and x + w <= right and top <= y and y + h <= bottom
        assert 0.3 * frame[0] <= w <= 0.4 * frame[0]
    if layout == "side":
        assert x + w <= frame[0] / 3 + 1
    if layout == "full":
        assert h >= 0.5 * frame[1]


def test_none_and_unknown() -> None:
    voice = VoiceTrack(path="x.wav", duration=1, lines=[], engine="test")
    assert make_host("none", voice, script_for(), FRAME, "pip", FPS) is None
    with pytest.raises(SpriteSetError, match="installed hosts: default"):
        make_host("nobody", voice, script_for(), FRAME, "pip", FPS)
    with pytest.raises(ValueError, match="layout"):
        make_host("default", voice, script_for(), FRAME, "corner", FPS)


def test_user_sprite_folder(tmp_path: Path, voice: VoiceTrack) -> None:
    folder = tmp_path / "myhost"
    shutil.copytree(load_sprite_set("default").folder, folder)
    host = make_host(str(folder), voice, script_for(), FRAME, "full", FPS)
    assert host is not None and host.rgba(1.0).shape[:2] == (host.box[3], host.box[2])
    manifest = yaml.safe_load((folder / "host.yaml").read_text())
    del manifest["mouths"]["round"]
    (folder / "host.yaml").write_text(yaml.safe_dump(manifest))
    with pytest.raises(SpriteSetError, match="mouths round missing"):
        load_sprite_set(str(folder))


def test_visemes_from_text() -> None:
    assert [u.shape for u in text_units("八")] == ["closed", "open"]
    assert [u.shape for u in text_units("哦")] == ["round"]
    assert [u.shape for u in text_units("一")] == ["wide"]
    assert [u.shape for u in text_units("好，")][-1] == "closed"
    shapes = [u.shape for u in text_units("moon")]
    assert shapes[0] == "closed" and "round" in shapes
