"""`daihuo host create` on real portraits, through the real CLI (MediaPipe face mesh: `make test` installs it).

Two portraits become packs whose mouth opens, eyes close and face an independent detector finds; photos with
no face, two faces, a turned face or a tiny face are refused with one line saying why and what to do.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from matplotlib import cbook
from PIL import Image

from generator.host import make_host
from generator.host.pack import PhotoPack, load_photo_pack
from generator.host.photo import PhotoHost
from tests.test_host_sprite import dark_pixels, script_for, synth_voice

ROOT = Path(__file__).resolve().parent.parent
PORTRAITS = ROOT / "tests" / "data" / "portraits"
GRACE = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
OBAMA = PORTRAITS / "obama.jpg"


def create(portrait: Path, name: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator.cli", "host", "create", str(portrait), "--name", name,
                           "--out", str(out), "--licence", "public domain (test)"],
                          capture_output=True, text=True, cwd=ROOT, stdin=subprocess.DEVNULL, timeout=120)


def composed(pack: PhotoPack, mouth: str, eyes: str) -> np.ndarray:
    img = Image.fromarray(pack.base).convert("RGBA")
    for patch, at in [pack.mouths[mouth], *pack.eyes.get(eyes, [])]:
        img.alpha_composite(Image.fromarray(patch), dest=at)
    return np.asarray(img)


def box_of(points: np.ndarray, pad: float = 0.1) -> tuple[int, int, int, int]:
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    p = pad * (x1 - x0)
    return int(x0 - p), int(y0 - p), int(x1 - x0 + 2 * p), int(y1 - y0 + 2 * p)


@pytest.mark.parametrize("portrait", [GRACE, OBAMA], ids=["grace_hopper", "obama"])
def test_a_portrait_becomes_a_host_that_talks_and_blinks(portrait: Path, tmp_path: Path) -> None:
    from generator.host import landmarks as lm

    done = create(portrait, "mine", tmp_path)
    assert done.returncode == 0, done.stderr
    pack = load_photo_pack(tmp_path / "mine")
    assert pack.source["licence"] == "public domain (test)" and pack.source["portrait"] == portrait.name
    # Mouth: the open shape shows a dark mouth interior that the closed one does not.
    mouth = pack.mouth_box
    closed, opened = (dark_pixels(composed(pack, s, "open"), mouth, 70) for s in ("closed", "open"))
    assert opened > closed + 0.02 * mouth[2] * mouth[3], (closed, opened)
    # Eyes: closing the lids hides the dark iris: fewer pixels between the lids are as dark as it was.
    for upper, lower in ((lm.EYE_A_UPPER, lm.EYE_A_LOWER), (lm.EYE_B_UPPER, lm.EYE_B_LOWER)):
        x, y, w, h = box_of(pack.points[list(upper + lower), :2], pad=0.0)
        regions = [composed(pack, "closed", e)[y:y + h, x:x + w, :3].astype(float) @ [0.299, 0.587, 0.114]
                   for e in ("open", "closed")]
        dark = np.percentile(regions[0], 15)
        open_dark, shut_dark = ((r <= dark).sum() for r in regions)
        assert shut_dark < 0.5 * open_dark, (open_dark, shut_dark)
    # An independent detector still sees a face with the mouth open.
    gray = cv2.cvtColor(np.ascontiguousarray(composed(pack, "open", "open")[..., :3]), cv2.COLOR_RGB2GRAY)
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    assert len(cascade.detectMultiScale(gray, 1.1, 5, minSize=(80, 80))) >= 1
    # And the pack renders as a host by its folder path.
    voice = synth_voice(tmp_path, ["Buy one today"], pause_ms=300)
    host = make_host(str(tmp_path / "mine"), voice, script_for(["Buy one today"]), (540, 960), "pip", 15)
    assert isinstance(host, PhotoHost) and host.rgba(0.5).shape == (host.box[3], host.box[2], 4)


def _two_faces(path: Path) -> Path:
    a = Image.open(GRACE).convert("RGB")
    b = Image.open(OBAMA).convert("RGB").resize((a.width, round(OBAMA_RATIO * a.width)))
    sheet = Image.new("RGB", (a.width + b.width, max(a.height, b.height)), (200, 200, 200))
    sheet.paste(a, (0, 0))
    sheet.paste(b, (a.width, 0))
    sheet.save(path, quality=90)
    return path


OBAMA_RATIO = 569 / 455


def _small_face(path: Path) -> Path:
    canvas = Image.new("RGB", (1000, 1000), (90, 110, 130))
    canvas.paste(Image.open(GRACE).convert("RGB").resize((128, 150)), (430, 300))
    canvas.save(path, quality=90)
    return path


@pytest.mark.parametrize(("make", "says"), [
    (lambda tmp: ROOT / "examples" / "images" / "cream.jpg", "no face found"),
    (lambda tmp: _two_faces(tmp / "two.jpg"), "2 faces found"),
    (lambda tmp: PORTRAITS / "camera.jpg", "turned to the side"),
    (lambda tmp: _small_face(tmp / "small.jpg"), "px wide (need at least 80)"),
    (lambda tmp: tmp / "missing.jpg", "no such file"),
], ids=["no_face", "two_faces", "profile", "too_small", "missing"])
def test_unusable_photos_are_refused_in_one_line(make, says: str, tmp_path: Path) -> None:
    portrait = make(tmp_path)
    done = create(portrait, "nope", tmp_path / "out")
    assert done.returncode == 1
    message = done.stderr.strip()
    assert "\n" not in message and "Traceback" not in message, message
    assert says in message and str(portrait.name) in message and " — " in message, message
    assert not (tmp_path / "out" / "nope").exists()
