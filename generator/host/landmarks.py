"""MediaPipe face-mesh landmark indices and the face geometry derived from them (pure numpy).

The 478-point mesh (468 face points + 10 iris points with refine_landmarks) has stable indices; the groups
below are the contours this project warps. Lists run from the subject's right to left (image left to right
for a front-facing photo) unless noted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LIP_UPPER_OUTER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIP_LOWER_OUTER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIP_UPPER_INNER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIP_LOWER_INNER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
             148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)
# Eyes: the image-left eye is the subject's right. Corners first and last.
EYE_A_UPPER = (33, 246, 161, 160, 159, 158, 157, 173, 133)
EYE_A_LOWER = (33, 7, 163, 144, 145, 153, 154, 155, 133)
EYE_B_UPPER = (362, 398, 384, 385, 386, 387, 388, 466, 263)
EYE_B_LOWER = (362, 382, 381, 380, 374, 373, 390, 249, 263)
BROW_A = (46, 53, 52, 65, 55, 70, 63, 105, 66, 107)
BROW_B = (276, 283, 282, 295, 285, 300, 293, 334, 296, 336)
NOSE_TIP, NOSE_BASE = 1, 2
CHIN = 152
CHEEK_A, CHEEK_B = 234, 454   # widest points of the face oval
FOREHEAD = 10


@dataclass(frozen=True)
class FaceGeometry:
    """The measures the checks and the synthesis need, in the pixel space of the points they came from."""

    face_width: float
    face_height: float
    yaw_ratio: float          # nose tip between the cheeks: 0.5 frontal, toward 0 or 1 turned away
    eye_width_ratio: float    # narrower eye / wider eye: 1 frontal, small in a profile
    roll_degrees: float       # tilt of the line through the eye corners
    mouth_width: float
    centre: tuple[float, float]


def geometry(points: np.ndarray) -> FaceGeometry:
    """Measures of a face from its (478, 2+) landmark array in pixels."""
    p = points[:, :2]
    a, b = p[CHEEK_A], p[CHEEK_B]
    width = float(np.linalg.norm(b - a))
    height = float(np.linalg.norm(p[CHIN] - p[FOREHEAD]))
    axis = b - a
    t = float(np.dot(p[NOSE_TIP] - a, axis) / max(np.dot(axis, axis), 1e-6))
    eye_a = float(np.linalg.norm(p[EYE_A_UPPER[-1]] - p[EYE_A_UPPER[0]]))
    eye_b = float(np.linalg.norm(p[EYE_B_UPPER[-1]] - p[EYE_B_UPPER[0]]))
    corners = p[EYE_B_UPPER[-1]] - p[EYE_A_UPPER[0]]
    roll = float(np.degrees(np.arctan2(corners[1], corners[0])))
    mouth = float(np.linalg.norm(p[LIP_UPPER_OUTER[-1]] - p[LIP_UPPER_OUTER[0]]))
    centre = p[list(FACE_OVAL)].mean(axis=0)
    return FaceGeometry(face_width=width, face_height=height, yaw_ratio=t,
                        eye_width_ratio=min(eye_a, eye_b) / max(eye_a, eye_b, 1e-6), roll_degrees=roll,
                        mouth_width=mouth, centre=(float(centre[0]), float(centre[1])))


def mouth_gap(points: np.ndarray) -> float:
    """Distance between the inner lips at the centre, relative to the mouth width (0 for closed lips)."""
    p = points[:, :2]
    gap = float(np.linalg.norm(p[LIP_LOWER_INNER[5]] - p[LIP_UPPER_INNER[5]]))
    return gap / max(float(np.linalg.norm(p[LIP_UPPER_OUTER[-1]] - p[LIP_UPPER_OUTER[0]])), 1e-6)


def eye_opening(points: np.ndarray) -> float:
    """Mean lid gap of both eyes relative to the eye width (about 0.25–0.35 open, under 0.1 closed)."""
    p = points[:, :2]
    out = []
    for upper, lower in ((EYE_A_UPPER, EYE_A_LOWER), (EYE_B_UPPER, EYE_B_LOWER)):
        gap = np.linalg.norm(p[list(upper[2:-2])] - p[list(lower[2:-2])], axis=1).mean()
        out.append(gap / max(float(np.linalg.norm(p[upper[-1]] - p[upper[0]])), 1e-6))
    return float(np.mean(out))
