"""`daihuo host create`: one front-facing portrait → a photo host pack that renders with numpy alone.

Stages: read the photo (edge) → find the one face (MediaPipe, generator.host.face_mesh) → check it is usable
→ frame a head-and-shoulders canvas → synthesise mouth shapes, blink frames and the head mask (pure) → write
the pack folder atomically (edge). The face finder is handed in, so the pure part is testable without it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from PIL import Image, ImageDraw, ImageFilter, ImageOps, UnidentifiedImageError

from generator.host import landmarks as lm
from generator.host.eyes_synth import blink_frames
from generator.host.face_mesh import MEDIAPIPE_VERSION, FaceFound, PortraitError
from generator.host.mouth_synth import mouth_shapes

CANVAS = (480, 600)          # pack canvas (width, height): a head-and-shoulders frame, 4:5
MIN_FACE_PX = 80             # narrower faces (cheek to cheek, in the photo) are too small to animate well
FRAME_FACE_WIDTHS = 2.4      # canvas width in face widths, when the photo has room
MIN_FACE_WIDTHS = 1.5        # tighter than this and there is no neck or shoulders to move the head against
EYE_LINE = 0.40              # eyes this far down the canvas
YAW_RANGE = (0.36, 0.64)     # nose position between the cheeks that still counts as front-facing
MIN_EYE_RATIO = 0.65         # narrower eye / wider eye below this: turned to the side
MAX_ROLL = 15.0              # degrees of head tilt
MIN_EYE_OPENING = 0.12       # lid gap / eye width: below this the eyes are closed in the photo
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass
class PackData:
    """Everything a photo host pack holds, in canvas pixels (pure data, written by `write_pack`)."""

    base: np.ndarray                                           # (H, W, 3) uint8
    head_mask: np.ndarray                                      # (H, W) uint8
    mouths: dict[str, tuple[np.ndarray, tuple[int, int]]]      # RGBA patch, top-left
    eyes: dict[str, list[tuple[np.ndarray, tuple[int, int]]]]
    points: np.ndarray                                         # (478, 3) float32 landmarks on the canvas
    mouth_box: tuple[int, int, int, int]
    pivot: tuple[float, float]
    face_width: float
    meta: dict = field(default_factory=dict)


def read_portrait(path: Path) -> np.ndarray:
    """RGB uint8 pixels of an image file, upright per its EXIF orientation."""
    if not path.is_file():
        raise PortraitError(f"{path}: no such file", "give the path of a JPEG or PNG portrait")
    try:
        with Image.open(path) as img:
            return np.asarray(ImageOps.exif_transpose(img).convert("RGB"))
    except (UnidentifiedImageError, OSError) as exc:
        raise PortraitError(f"{path}: not a readable image ({exc})", "use a JPEG or PNG photo") from exc


def check_face(points: np.ndarray, label: str) -> None:
    """Refuse faces that cannot be animated believably; each message says what to change."""
    g = lm.geometry(points)
    if not YAW_RANGE[0] <= g.yaw_ratio <= YAW_RANGE[1] or g.eye_width_ratio < MIN_EYE_RATIO:
        raise PortraitError(f"{label}: the face is turned to the side (a profile or three-quarter view)",
                            "use a front-facing photo, looking into the camera")
    if g.face_width < MIN_FACE_PX:
        raise PortraitError(f"{label}: the face is only {g.face_width:.0f} px wide (need at least {MIN_FACE_PX})",
                            "use a larger photo or one taken closer, head and shoulders")
    if abs(g.roll_degrees) > MAX_ROLL:
        raise PortraitError(f"{label}: the head is tilted by {g.roll_degrees:.0f}°",
                            "straighten the photo so the eyes are level")
    if lm.eye_opening(points) < MIN_EYE_OPENING:
        raise PortraitError(f"{label}: the eyes are closed in the photo", "use a photo with open eyes")


def frame_canvas(image: np.ndarray, points: np.ndarray, label: str) -> tuple[np.ndarray, np.ndarray]:
    """The head-and-shoulders canvas (CANVAS size) cut from the photo, and the landmarks moved onto it."""
    h, w = image.shape[:2]
    aspect = CANVAS[1] / CANVAS[0]
    g = lm.geometry(points)
    p = points[:, :2]
    width = min(FRAME_FACE_WIDTHS * g.face_width, w, h / aspect)
    if width < MIN_FACE_WIDTHS * g.face_width:
        raise PortraitError(f"{label}: the face fills the photo, with no room for the neck and shoulders",
                            "use a photo that shows the head and shoulders")
    height = width * aspect
    eye_y = float(p[[lm.EYE_A_UPPER[0], lm.EYE_A_UPPER[-1], lm.EYE_B_UPPER[0], lm.EYE_B_UPPER[-1]], 1].mean())
    left = float(np.clip(g.centre[0] - width / 2, 0, w - width))
    top = float(np.clip(eye_y - EYE_LINE * height, 0, h - height))
    canvas = Image.fromarray(image).resize(CANVAS, Image.Resampling.LANCZOS,
                                           box=(left, top, left + width, top + height))
    s = CANVAS[0] / width
    moved = points.copy()
    moved[:, 0] = (points[:, 0] - left) * s
    moved[:, 1] = (points[:, 1] - top) * s
    moved[:, 2] = points[:, 2] * s
    return np.asarray(canvas), moved


def head_mask(points: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, tuple[float, float]]:
    """Soft mask of the head (face, hair above it, a little beyond the cheeks) and the neck pivot it turns on."""
    g = lm.geometry(points)
    p = points[:, :2]
    oval = p[list(lm.FACE_OVAL)].copy()
    cx, cy = g.centre
    oval[:, 0] = cx + (oval[:, 0] - cx) * 1.15
    top = oval[:, 1].min()
    above = oval[:, 1] < cy
    oval[above, 1] -= 0.35 * g.face_height * ((cy - oval[above, 1]) / max(cy - top, 1e-6))
    oval[:, 1] += np.where(oval[:, 1] > cy, 0.06 * g.face_height, 0)
    img = Image.new("L", size, 0)
    ImageDraw.Draw(img).polygon([(float(x), float(y)) for x, y in oval], fill=255)
    img = img.filter(ImageFilter.GaussianBlur(radius=0.045 * size[0]))
    chin = p[lm.CHIN]
    return np.asarray(img), (float(chin[0]), float(chin[1] + 0.3 * g.face_height))


def build_pack(image: np.ndarray, found: FaceFound, label: str) -> PackData:
    """The pure part of `host create`: checks, framing and synthesis."""
    check_face(found.points, label)
    canvas, points = frame_canvas(image, found.points, label)
    mouths, mouth_box = mouth_shapes(canvas, points)
    mask, pivot = head_mask(points, CANVAS)
    return PackData(base=canvas, head_mask=mask, mouths=mouths, eyes=blink_frames(canvas, points),
                    points=points.astype(np.float32), mouth_box=mouth_box, pivot=pivot,
                    face_width=lm.geometry(points).face_width)


def check_name(name: str) -> None:
    if not name or set(name) - NAME_CHARS or name[0] in "-_" or name in ("sprite", "default", "none", "http"):
        raise PortraitError(f"host name '{name}' is not usable",
                            "use lower-case letters, digits, - and _ (and not sprite, default, none or http)")


def write_pack(pack: PackData, folder: Path, *, name: str, source: dict[str, str], force: bool) -> Path:
    """Write the pack into `folder` atomically: a temporary sibling folder renamed into place."""
    if folder.exists() and not force:
        raise PortraitError(f"{folder} already exists", "choose another --name, or pass --force to replace it")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=folder.parent))
    try:
        Image.fromarray(pack.base).save(tmp / "base.png", optimize=True)
        Image.fromarray(pack.head_mask).save(tmp / "head_mask.png", optimize=True)
        mouths = {}
        for shape, (patch, at) in pack.mouths.items():
            Image.fromarray(patch).save(tmp / f"mouth_{shape}.png", optimize=True)
            mouths[shape] = {"file": f"mouth_{shape}.png", "at": [int(at[0]), int(at[1])]}
        eyes: dict[str, list] = {}
        for state, patches in pack.eyes.items():
            eyes[state] = []
            for i, (patch, at) in enumerate(patches):
                Image.fromarray(patch).save(tmp / f"eyes_{state}_{i}.png", optimize=True)
                eyes[state].append({"file": f"eyes_{state}_{i}.png", "at": [int(at[0]), int(at[1])]})
        np.savez_compressed(tmp / "landmarks.npz", points=pack.points)
        manifest = {
            "kind": "photo", "name": name, "canvas": list(CANVAS), "base": "base.png", "head_mask": "head_mask.png",
            "mouths": mouths, "eyes": eyes, "mouth_box": [int(v) for v in pack.mouth_box],
            "pivot": [round(pack.pivot[0], 1), round(pack.pivot[1], 1)], "face_width": round(pack.face_width, 1),
            "landmarks": "landmarks.npz", "source": source,
            "created_with": {"tool": "daihuo host create", "mediapipe": MEDIAPIPE_VERSION},
        }
        header = "# A photo host made by `daihuo host create` (docs/host_and_loop.md). Regenerate, do not edit.\n"
        (tmp / "host.yaml").write_text(header + yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False),
                                       encoding="utf-8")
        (tmp / "SOURCE.txt").write_text("".join(f"{k}: {v}\n" for k, v in source.items()), encoding="utf-8")
        os.chmod(tmp, 0o755)
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(folder, old)
            os.replace(tmp, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def create_host(portrait: Path, name: str, out_root: Path, *, source: dict[str, str] | None = None,
                force: bool = False, find: Callable[[np.ndarray, str], FaceFound] | None = None) -> Path:
    """Make the pack `out_root/name/` from one portrait; returns its folder. PortraitError when unusable."""
    check_name(name)
    if find is None:
        from generator.host.face_mesh import find_face as find
    image = read_portrait(portrait)
    pack = build_pack(image, find(image, str(portrait)), str(portrait))
    meta = {"portrait": portrait.name, **(source or {})}
    meta.setdefault("licence", "not recorded: only use a photo you have the rights to and the person's consent")
    return write_pack(pack, out_root / name, name=name, source=meta, force=force)
