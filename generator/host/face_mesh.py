"""The one module that imports MediaPipe: find the single face of a portrait and its 478 mesh landmarks.

MediaPipe 0.10.21 is the last release whose wheel bundles the legacy face-detection and face-mesh models, so
this works offline. It is only needed by `daihuo host create`; rendering a pack never imports it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from generator.errors import DaihuoError

MEDIAPIPE_VERSION = "0.10.21"
INSTALL_HINT = ("install the optional face tools: `make host-tools` (= pip install 'daihuo[host]' then "
                f"pip install --no-deps mediapipe=={MEDIAPIPE_VERSION})")
OTHER_FACE_SHARE = 0.4   # a second face at least this wide (relative to the largest) counts as another person
MESH_INPUT = 640          # the face crop handed to the mesh, in pixels


class PortraitError(DaihuoError, ValueError):
    """A portrait that cannot become a host: no face, several faces, a profile, a face too small."""


@dataclass(frozen=True)
class FaceFound:
    points: np.ndarray              # (478, 3) x, y in image pixels, z in the same scale
    faces: int                      # faces the detector saw at a comparable size
    box: tuple[int, int, int, int]  # detector box x, y, w, h in image pixels


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence MediaPipe's C++ log lines (TFLite, absl), which write to file descriptor 2 directly."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _solutions() -> tuple[Any, Any]:
    try:
        with _quiet():
            from mediapipe.python.solutions import face_detection, face_mesh
    except ImportError as exc:
        raise PortraitError(f"MediaPipe face mesh is not available ({exc})", INSTALL_HINT) from exc
    return face_detection, face_mesh


def _detect(image: np.ndarray) -> list[tuple[float, tuple[int, int, int, int]]]:
    """(score, box) of every face, full-range model first, short-range for close-ups it misses."""
    face_detection, _ = _solutions()
    h, w = image.shape[:2]
    for model in (1, 0):
        with _quiet(), face_detection.FaceDetection(model_selection=model,
                                                    min_detection_confidence=0.5) as detector:
            found = detector.process(image).detections or []
        boxes = []
        for det in found:
            b = det.location_data.relative_bounding_box
            boxes.append((float(det.score[0]), (round(b.xmin * w), round(b.ymin * h), round(b.width * w),
                                                round(b.height * h))))
        if boxes:
            return boxes
    return []


def _mesh(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray | None:
    """Landmarks of the face in `box`, from a square crop around it scaled to MESH_INPUT pixels."""
    _, face_mesh = _solutions()
    x, y, bw, bh = box
    side = 2.2 * max(bw, bh)
    cx, cy = x + bw / 2, y + bh / 2
    left, top = cx - side / 2, cy - side / 2
    crop = Image.fromarray(image).transform((MESH_INPUT, MESH_INPUT), Image.Transform.EXTENT,
                                            (left, top, left + side, top + side), Image.Resampling.BICUBIC,
                                            fillcolor=(128, 128, 128))
    with _quiet(), face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=True,
                                      min_detection_confidence=0.3) as mesh:
        result = mesh.process(np.asarray(crop))
    if not result.multi_face_landmarks:
        return None
    s = side / MESH_INPUT
    return np.array([[left + p.x * MESH_INPUT * s, top + p.y * MESH_INPUT * s, p.z * MESH_INPUT * s]
                     for p in result.multi_face_landmarks[0].landmark], dtype=np.float32)


def find_face(image: np.ndarray, label: str) -> FaceFound:
    """The one face of an RGB uint8 image. PortraitError (one line: problem and fix) for none or several."""
    faces = _detect(image)
    if not faces:
        raise PortraitError(f"{label}: no face found",
                            "use a front-facing photo in which one face is clearly visible")
    widest = max(b[2] for _, b in faces)
    people = [f for f in faces if f[1][2] >= OTHER_FACE_SHARE * widest]
    if len(people) > 1:
        raise PortraitError(f"{label}: {len(people)} faces found",
                            "crop the photo to the one person who should present")
    score, box = max(people, key=lambda f: f[1][2])
    points = _mesh(image, box)
    if points is None:
        raise PortraitError(f"{label}: a face was seen but its features could not be traced (turned away, "
                            "covered or blurred)", "use a sharp, front-facing photo with the whole face visible")
    return FaceFound(points=points, faces=len(people), box=box)
