"""Read a photo host pack (host.yaml with `kind: photo`, written by `daihuo host create`): PNGs → numpy."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

from generator.errors import DaihuoError
from generator.host.eyes_synth import STATES as EYE_STATES
from generator.host.mouth_synth import SHAPES
from generator.yamlfile import load_yaml

Patch = tuple[np.ndarray, tuple[int, int]]  # RGBA uint8 patch and its top-left on the canvas


class HostPackError(DaihuoError, ValueError):
    default_fix = "recreate the pack with `daihuo host create PORTRAIT --name NAME` (docs/host_and_loop.md)"


@dataclass(frozen=True)
class PhotoPack:
    name: str
    folder: Path
    canvas: tuple[int, int]
    base: np.ndarray                  # (H, W, 3) uint8
    head_mask: np.ndarray             # (H, W) uint8
    mouths: dict[str, Patch]
    eyes: dict[str, list[Patch]]
    mouth_box: tuple[int, int, int, int]
    pivot: tuple[float, float]
    face_width: float
    points: np.ndarray                # (478, 3) face-mesh landmarks on the canvas
    source: dict[str, str] = field(default_factory=dict)

    @property
    def aspect(self) -> float:
        return self.canvas[1] / self.canvas[0]


def is_photo_pack(folder: Path) -> bool:
    manifest = folder / "host.yaml"
    if not manifest.exists():
        return False
    try:
        return (load_yaml(manifest.read_text(encoding="utf-8")) or {}).get("kind") == "photo"
    except yaml.YAMLError:
        return False


def _png(folder: Path, name: str, mode: str) -> np.ndarray:
    path = folder / name
    if not path.is_file():
        raise HostPackError(f"{folder / 'host.yaml'}: points to missing file {name}")
    with Image.open(path) as img:
        return np.asarray(img.convert(mode))


def _patch(folder: Path, spec: dict) -> Patch:
    return _png(folder, spec["file"], "RGBA"), (int(spec["at"][0]), int(spec["at"][1]))


def load_photo_pack(folder: Path) -> PhotoPack:
    manifest = folder / "host.yaml"
    m = load_yaml(manifest.read_text(encoding="utf-8")) or {}
    try:
        canvas = (int(m["canvas"][0]), int(m["canvas"][1]))
        base = _png(folder, m["base"], "RGB")
        mask = _png(folder, m["head_mask"], "L")
        mouths = {k: _patch(folder, v) for k, v in m["mouths"].items()}
        eyes = {k: [_patch(folder, s) for s in v] for k, v in m["eyes"].items()}
        mouth_box = tuple(int(v) for v in m["mouth_box"])
        pivot = (float(m["pivot"][0]), float(m["pivot"][1]))
        face_width = float(m["face_width"])
        with np.load(folder / m["landmarks"]) as data:
            points = data["points"].astype(np.float32)
    except OSError as exc:
        raise HostPackError(f"{manifest}: landmarks file unreadable ({exc})") from exc
    except (KeyError, TypeError, IndexError, ValueError) as exc:
        raise HostPackError(f"{manifest}: missing or malformed entry {exc}") from exc
    if base.shape[:2] != (canvas[1], canvas[0]) or mask.shape != base.shape[:2]:
        raise HostPackError(f"{manifest}: base and head mask must be {canvas[0]}x{canvas[1]}")
    missing = [s for s in SHAPES if s not in mouths] + [f"eyes {s}" for s in EYE_STATES if s not in eyes]
    if missing:
        raise HostPackError(f"{manifest}: {', '.join(missing)} missing")
    for patch, (x, y) in [*mouths.values(), *(p for ps in eyes.values() for p in ps)]:
        if x < 0 or y < 0 or x + patch.shape[1] > canvas[0] or y + patch.shape[0] > canvas[1]:
            raise HostPackError(f"{manifest}: a patch at ({x}, {y}) reaches outside the canvas")
    return PhotoPack(name=str(m.get("name", folder.name)), folder=folder, canvas=canvas, base=base, head_mask=mask,
                     mouths=mouths, eyes=eyes, mouth_box=mouth_box, pivot=pivot,  # type: ignore[arg-type]
                     face_width=face_width, points=points, source={k: str(v) for k, v in (m.get("source") or {}).items()})
