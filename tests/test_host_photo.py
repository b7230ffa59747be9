"""The bundled photo host, measured from the pixels and sound of rendered clips (no MediaPipe needed).

The main test renders a real clip with `--host photo` and checks, from the decoded video and its audio track:
the mouth region changes with the voice's loudness, the eyes close at least once every 6 s, and OpenCV's Haar
cascade (an independent face detector) finds the face in the host picture.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from generator.bootstrap import build_engines
from generator.host import make_host
from generator.host.pack import HostPackError, load_photo_pack
from generator.host.photo import PhotoHost
from generator.host.sprite import HOSTS_DIR, SpriteHost
from generator.models import Brief, LineTiming
from generator.pipeline import run_job
from generator.platforms import get_preset
from generator.settings import Settings
from tests.test_host_sprite import FRAME, dark_pixels, script_for, synth_voice

FPS = 15
SCALE = 0.5  # 540x960: the host's face is ~85 px wide, enough for the Haar cascade


def _video_region(path: Path, box: tuple[int, int, int, int]) -> np.ndarray:
    """Every frame of the clip cropped to box (x, y, w, h), as (n, h, w, 3) uint8 RGB."""
    x, y, w, h = box
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-vf", f"crop={w}:{h}:{x}:{y}",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


def _audio_rms(path: Path, fps: int, frames: int) -> np.ndarray:
    """Loudness of the clip's own audio track per video frame."""
    rate = 16000
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(rate), "-f", "s16le",
                          "-"], capture_output=True, check=True).stdout
    samples = np.frombuffer(raw, np.int16).astype(np.float64) / 32768
    hop = rate // fps
    out = np.zeros(frames)
    for i in range(frames):
        chunk = samples[i * hop:(i + 1) * hop]
        out[i] = np.sqrt(np.mean(chunk ** 2)) if chunk.size else 0.0
    return out


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def _sub(frames: np.ndarray, box: tuple[int, int, int, int], pad: int) -> np.ndarray:
    x, y, w, h = box
    return frames[:, max(0, y - pad):y + h + pad, max(0, x - pad):x + w + pad].astype(np.float64)


@pytest.fixture(scope="module")
def photo_clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PhotoHost, float]:
    tmp = tmp_path_factory.mktemp("photo_clip")
    sheet = tmp / "host.csv"
    sheet.write_text("商品编码,商品名称,卖点,到手价\nPH-1,保温杯,一杯热水保温十二小时；杯盖一键弹开；轻巧好带,59\n",
                     encoding="utf-8")
    brief = Brief(platforms=["douyin"], duration=15, scale=SCALE, host="photo", music=False)
    job = run_job(sheet, brief, tmp / "out")
    (variant,) = job.variants
    assert variant.error is None, variant.error
    host = build_engines(Settings(), brief).host(variant.voice, variant.script, get_preset("douyin").scaled(SCALE))
    assert isinstance(host, PhotoHost)
    return Path(variant.clips[0].path), host, variant.voice.duration


def test_rendered_photo_host_talks_blinks_and_is_a_face(photo_clip: tuple[Path, PhotoHost, float]) -> None:
    clip, host, duration = photo_clip
    frames = _video_region(clip, host.box)
    fps = get_preset("douyin").fps
    n = min(len(frames), int(duration * fps))
    frames = frames[:n]
    # Mouth: how far the mouth region is from the mouth at rest (the first, silent frame), per frame,
    # against the loudness of the clip's own audio track.
    mouth = _luma(_sub(frames, host.mouth_box, 2))
    change = np.abs(mouth - mouth[0]).mean(axis=(1, 2))
    energy = _audio_rms(clip, fps, n)
    corr = float(np.corrcoef(change, energy)[0, 1])
    assert corr >= 0.5, f"mouth change vs voice energy correlation {corr:.2f}"
    # Eyes: the dark pixels of the eye region (irises, pupils) dip while the lids cover them; a dip is a frame
    # with a quarter fewer than the median of the second around it (slow head motion moves that median).
    eyes = _luma(_sub(frames, host.eye_box, 2))
    dark = (eyes < np.percentile(eyes[0], 10)).sum(axis=(1, 2))
    around = np.array([np.median(dark[max(0, i - fps):i + fps]) for i in range(n)])
    closed = np.flatnonzero(dark < 0.75 * around) / fps
    assert closed.size, "the eyes never closed"
    gaps = np.diff(np.concatenate([[0.0], closed, [n / fps]]))
    assert gaps.max() <= 6.0, f"eyes open for {gaps.max():.1f} s without a blink (closed at {closed})"
    # An independent detector finds the face in (nearly) every sampled frame.
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    samples = frames[::fps // 3]
    hits = 0
    for rgb in samples:
        gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
        faces = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(40, 40))
        mx, my, mw, mh = host.mouth_box
        hits += any(x <= mx + mw / 2 <= x + w and y <= my + mh / 2 <= y + h * 1.1 for x, y, w, h in faces)
    rate = hits / len(samples)
    assert rate >= 0.95, f"Haar cascade found the face in {rate:.0%} of {len(samples)} sampled frames"
    print(f"photo host: mouth/energy r={corr:.2f}, blinks every ≤{gaps.max():.1f} s, face found {rate:.0%}")


def test_photo_host_overlay_contract_and_idle_motion(tmp_path: Path) -> None:
    voice = synth_voice(tmp_path)
    host = make_host("photo", voice, script_for(), FRAME, "pip", FPS)
    assert isinstance(host, PhotoHost) and host.engine == "photo"
    x, y, w, h = host.box
    first = host.rgba(0.1)
    assert first.shape == (h, w, 4) and first.dtype == np.uint8 and not first.flags.writeable
    assert first[0, 0, 3] == 0 and first[h // 2, w // 2, 3] == 255, "a rounded picture-in-picture card"
    assert host.rgba(0.1) is first, "a repeated pose must return the same cached array"
    # Silent stretches are not a frozen picture: breathing, head motion and blinks go on.
    pause = [t for t in np.arange(0, voice.duration, 1 / FPS) if not any(
        line.start - 0.2 <= t <= line.end + 0.2 for line in voice.lines)]
    silent = [host.rgba(t) for t in pause]
    assert len({id(a) for a in silent}) >= 5, "the host froze while silent"
    # The mouth's dark interior shows while speaking and not in the pauses.
    quiet = [dark_pixels(a, host.mouth_box, 70) for a in silent]
    spoken = [dark_pixels(host.rgba(line.start + f * (line.end - line.start)), host.mouth_box, 70)
              for line in voice.lines for f in (0.2, 0.35, 0.5, 0.65, 0.8)]
    assert max(quiet) < 0.3 * max(spoken), f"mouth not closed in pauses: {quiet} vs speaking {spoken}"
    assert np.mean(np.array(spoken) > max(quiet)) >= 0.5, f"mouth rarely open while speaking: {spoken}"


def test_side_layout_and_sprite_still_available(tmp_path: Path) -> None:
    voice = synth_voice(tmp_path, ["Buy one today"], pause_ms=300)
    side = make_host("photo", voice, script_for(["Buy one today"]), (640, 360), "side", FPS)
    assert isinstance(side, PhotoHost)
    frame = side.rgba(0.5)
    h = frame.shape[0]
    assert frame[h - 1, 0, 3] == 255 and frame[0, 0, 3] == 0, "standing on the frame edge: top corners round"
    assert side.box[1] + side.box[3] == 360
    assert isinstance(make_host("sprite", voice, script_for(["Buy one today"]), FRAME, "pip", FPS), SpriteHost)


def test_word_timings_drive_the_mouth(tmp_path: Path) -> None:
    """With word timings, a gap between two words inside one line closes the mouth there."""
    voice = synth_voice(tmp_path, ["Buy one today"], pause_ms=300)
    line = voice.lines[0]
    mid = (line.start + line.end) / 2
    timed = voice.model_copy(update={"lines": [LineTiming(**{**line.model_dump(), "words": [
        ("Buy", line.start, mid - 0.25), ("today", mid + 0.25, line.end)]})]})
    host = make_host("photo", timed, script_for(["Buy one today"]), FRAME, "pip", FPS)
    i = int(mid * FPS)
    assert host.shapes[i] in ("closed", "narrow"), host.shapes[i - 3:i + 4]


def test_a_broken_pack_is_reported_with_the_file_to_fix(tmp_path: Path) -> None:
    import shutil

    pack = tmp_path / "mine"
    shutil.copytree(HOSTS_DIR / "photo", pack)
    (pack / "mouth_open.png").unlink()
    with pytest.raises(HostPackError, match="mouth_open.png"):
        load_photo_pack(pack)
    source = (HOSTS_DIR / "photo" / "SOURCE.txt").read_text(encoding="utf-8")
    assert "public domain" in source and "astronaut" in source
