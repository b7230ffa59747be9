"""The sprite host: layered PNGs from assets/hosts/<name>/ animated by the voice.

Layers are scaled to the overlay box once; composites are cached per (mouth, eyes, head offset, body offset),
so after the first second of a clip almost every frame is a dictionary lookup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from generator.errors import DaihuoError
from generator.host.animation import blink_times, eyes_closed, motion_for
from generator.host.base import Box
from generator.host.energy import voice_energy
from generator.host.frame_cache import FrameCache
from generator.host.visemes import SHAPES, mouth_shapes, text_track
from generator.models import Script, VoiceTrack, stable_hash
from generator.settings import ASSETS_DIR
from generator.yamlfile import load_yaml

HOSTS_DIR = ASSETS_DIR / "hosts"
CACHE_SIZE = 160
# Also bounded by bytes: at landscape sizes 160 composed poses would hold ~240 MB (docs/bench.md).
CACHE_BYTES = 64 << 20


class SpriteSetError(DaihuoError, ValueError):
    pass


@dataclass(frozen=True)
class Layer:
    name: str
    image: Image.Image
    at: tuple[int, int] = (0, 0)
    moves: str = "body"   # "head": follows head sway; "body": follows breathing only


@dataclass(frozen=True)
class SpriteSet:
    name: str
    folder: Path
    canvas: tuple[int, int]
    layers: list[Layer]
    eyes: dict[str, Layer]
    mouths: dict[str, Layer]
    mouth_box: tuple[int, int, int, int]
    scale: float = 1.0
    card: tuple[int, int, int, int] | None = None
    anchors: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def aspect(self) -> float:
        return self.canvas[1] / self.canvas[0]

    def mouth_box_in(self, box: Box) -> Box:
        """The mouth's (x, y, w, h) inside an overlay of `box` size."""
        s = box[2] / self.canvas[0]
        x, y, w, h = self.mouth_box
        return round(x * s), round(y * s), max(1, round(w * s)), max(1, round(h * s))


def resolve_folder(name: str) -> Path:
    folder = Path(name).expanduser()
    if ("/" in name or name.startswith(".")) and folder.is_dir():
        return folder
    folder = HOSTS_DIR / name
    if folder.is_dir():
        return folder
    found = sorted(p.name for p in HOSTS_DIR.iterdir() if (p / "host.yaml").exists()) if HOSTS_DIR.is_dir() else []
    raise SpriteSetError(f"no sprite host '{name}': expected {folder}/host.yaml; installed hosts: "
                         f"{', '.join(found) or 'none'} (see docs/host_and_loop.md for the folder format)")


def _layer(folder: Path, name: str, spec: str | dict, canvas: tuple[int, int]) -> Layer:
    if isinstance(spec, str):
        spec = {"file": spec}
    path = folder / spec["file"]
    if not path.exists():
        raise SpriteSetError(f"{folder / 'host.yaml'}: layer '{name}' points to missing file {path.name}")
    image = Image.open(path).convert("RGBA")
    at = tuple(spec.get("at", (0, 0)))
    if at == (0, 0) and image.size != canvas and "at" not in spec:
        raise SpriteSetError(f"{path}: is {image.size[0]}x{image.size[1]} but the canvas is "
                             f"{canvas[0]}x{canvas[1]}; give the layer an `at: [x, y]` or draw it canvas-sized")
    return Layer(name=name, image=image, at=(int(at[0]), int(at[1])), moves=spec.get("moves", "body"))


def load_sprite_set(name: str = "default") -> SpriteSet:
    folder = resolve_folder(name)
    manifest_path = folder / "host.yaml"
    if not manifest_path.exists():
        raise SpriteSetError(f"{folder} has no host.yaml manifest (see docs/host_and_loop.md)")
    m = load_yaml(manifest_path.read_text(encoding="utf-8")) or {}
    try:
        canvas = (int(m["canvas"][0]), int(m["canvas"][1]))
        layers = [_layer(folder, spec.get("name", spec["file"]), spec, canvas) for spec in m["layers"]]
        eyes = {k: _layer(folder, f"eyes_{k}", v, canvas) for k, v in m["eyes"].items()}
        mouths = {k: _layer(folder, f"mouth_{k}", v, canvas) for k, v in m["mouths"].items()}
        mouth_box = tuple(int(v) for v in m["mouth_box"])
    except (KeyError, TypeError, IndexError) as exc:
        raise SpriteSetError(f"{manifest_path}: missing or malformed entry {exc}; needs canvas, layers, eyes "
                             f"(open, closed), mouths ({', '.join(SHAPES)}) and mouth_box") from exc
    for key in ("open", "closed"):
        if key not in eyes:
            raise SpriteSetError(f"{manifest_path}: eyes.{key} is missing")
    missing = [s for s in SHAPES if s not in mouths]
    if missing:
        raise SpriteSetError(f"{manifest_path}: mouths {', '.join(missing)} missing (need {', '.join(SHAPES)})")
    for layer in (*eyes.values(), *mouths.values()):
        object.__setattr__(layer, "moves", "head")  # face parts always follow the head
    card = tuple(int(v) for v in m["card"]) if m.get("card") else None
    anchors = {k: (int(v[0]), int(v[1])) for k, v in (m.get("anchors") or {}).items()}
    return SpriteSet(name=folder.name, folder=folder, canvas=canvas, layers=layers, eyes=eyes, mouths=mouths,
                     mouth_box=mouth_box, scale=float(m.get("scale", 1.0)), card=card,  # type: ignore[arg-type]
                     anchors=anchors)


def seed_for(script: Script | None, voice: VoiceTrack) -> int:
    key = [script.sku, script.variant] if script else [voice.path]
    return int(stable_hash(key, 8), 16)


class SpriteHost:
    """HostOverlay made of a SpriteSet, animated by one VoiceTrack."""

    engine = "sprite"

    def __init__(self, sprites: SpriteSet, voice: VoiceTrack, script: Script | None, *, box: Box, fps: int,
                 card: bool = False) -> None:
        self.sprites = sprites
        self.box = box
        self.fps = fps
        self.duration = voice.duration
        _, _, bw, bh = box
        # The sprite fills the box width (times the manifest's scale) and stands on the box's bottom edge.
        # On a card (picture-in-picture) leave a margin so the hair does not touch the card's edge.
        self._s = bw * sprites.scale * (0.92 if card else 1.0) / sprites.canvas[0]
        self._size = (max(1, round(sprites.canvas[0] * self._s)), max(1, round(sprites.canvas[1] * self._s)))
        self._origin = ((bw - self._size[0]) // 2, bh - self._size[1])
        self.mouth_box = self._mouth_box()
        seed = seed_for(script, voice)
        self._motion = motion_for(bh, seed)
        self._blinks = blink_times(voice.duration + 1.0, seed)
        energy = voice_energy(voice.path, fps, voice.duration)
        self.energy = energy
        self.shapes = mouth_shapes(text_track(voice.lines), energy, fps)
        self._scaled: dict[str, Image.Image] = {}
        self._backdrop = self._card() if card else Image.new("RGBA", (bw, bh), (0, 0, 0, 0))
        self._cache = FrameCache(CACHE_BYTES, CACHE_SIZE)

    def _mouth_box(self) -> Box:
        x, y, w, h = self.sprites.mouth_box
        px, py = self.point(x, y)
        return px, py, max(1, round(w * self._s)), max(1, round(h * self._s))

    def point(self, x: float, y: float) -> tuple[int, int]:
        """A sprite-canvas point (e.g. a manifest anchor) in overlay pixels, at rest."""
        return round(self._origin[0] + x * self._s), round(self._origin[1] + y * self._s)

    def _card(self) -> Image.Image:
        _, _, bw, bh = self.box
        ss = 2
        img = Image.new("RGBA", (bw * ss, bh * ss), (0, 0, 0, 0))
        colour = self.sprites.card or (250, 246, 240, 235)
        ImageDraw.Draw(img).rounded_rectangle((0, 0, bw * ss - 1, bh * ss - 1), radius=round(bw * 0.08 * ss),
                                              fill=tuple(colour))
        return img.resize((bw, bh), Image.Resampling.LANCZOS)

    def _scaled_layer(self, layer: Layer) -> tuple[Image.Image, tuple[int, int]]:
        if layer.name not in self._scaled:
            w, h = layer.image.size
            size = (max(1, round(w * self._s)), max(1, round(h * self._s)))
            self._scaled[layer.name] = layer.image.resize(size, Image.Resampling.LANCZOS)
        return self._scaled[layer.name], (round(layer.at[0] * self._s), round(layer.at[1] * self._s))

    def state(self, t: float) -> tuple[str, bool, tuple[int, int], int]:
        """(mouth shape, eyes open, head offset, body offset) at time t."""
        i = min(max(int(t * self.fps), 0), len(self.shapes) - 1) if self.shapes else -1
        mouth = self.shapes[i] if i >= 0 and t < self.duration else "closed"
        breath = self._motion.body(t)
        dx, dy = self._motion.head(t)
        return mouth, not eyes_closed(t, self._blinks, self.fps), (dx, dy - breath), -breath

    def rgba(self, t: float) -> np.ndarray:
        key = self.state(t)
        return self._cache.get(key, lambda: self._compose(*key))

    def _compose(self, mouth: str, eyes_open: bool, head: tuple[int, int], body: int) -> np.ndarray:
        canvas = self._backdrop.copy()
        stack = [*self.sprites.layers, self.sprites.eyes["open" if eyes_open else "closed"],
                 self.sprites.mouths[mouth]]
        ox, oy = self._origin
        for layer in stack:
            image, (ax, ay) = self._scaled_layer(layer)
            dx, dy = head if layer.moves == "head" else (0, body)
            _paste(canvas, image, ox + ax + dx, oy + ay + dy)
        array = np.asarray(canvas, dtype=np.uint8)
        array.flags.writeable = False
        return array


def _paste(canvas: Image.Image, image: Image.Image, x: int, y: int) -> None:
    """alpha_composite that clips at the canvas edges: swaying layers may hang over by a pixel or two."""
    sx, sy = max(0, -x), max(0, -y)
    x, y = max(0, x), max(0, y)
    w = min(image.width - sx, canvas.width - x)
    h = min(image.height - sy, canvas.height - y)
    if w > 0 and h > 0:
        canvas.alpha_composite(image, dest=(x, y), source=(sx, sy, sx + w, sy + h))
