"""The Timeline: what is on screen and when, as pure data. The edit decides it; the renderer only draws it.

Every pixel a clip shows comes from one of three lists:

- `shots`: the picture under everything. A shot shows one `Picture` (a product photo framed wide, tight or
  on a detail, or a generated card) from `start` to `end`, moving (`pan`, and `zoom` steps for punch-ins),
  and enters through a `Transition`.
- `layers`: everything drawn over the picture (AIGC label, price badge, captions, callouts, spec rows, the
  price slam, the cart pointer, a logo). Each layer says exactly where it rests (`box`, frame pixels) and
  every pixel any frame of its animation can cover (`bounds`), so checks (safe zones, overlaps) need no
  renderer.
- `sounds`: short sound effects and when they start; the renderer mixes them under the voice.

Boxes are (x, y, w, h) in frame pixels; `safe_zone` is (left, top, right, bottom). Colours are "#RRGGBB" or
"#RRGGBBAA". Times are seconds from the first frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from generator.models.common import BeatKind

if TYPE_CHECKING:  # only HostOverlay's annotation: importing numpy costs every command ~0.1 s of start-up
    import numpy as np

Box = tuple[int, int, int, int]
LayerKind = Literal["label", "disclosure", "badge", "logo", "caption", "hook", "callout", "title", "spec_row",
                    "price_old", "price_tag", "price", "offer", "pointer", "cta"]
Shape = Literal["none", "box", "pill", "tag", "burst", "bubble", "underline", "ribbon", "arrow", "image"]
Enter = Literal["none", "pop", "stamp", "fade", "slide_up", "slide_down", "slide_left", "slide_right"]
TransitionKind = Literal["cut", "fade", "slide", "whip", "flash"]
Direction = Literal["left", "right", "up", "down"]
SoundKind = Literal["whoosh", "hit", "pop", "tick", "ding", "rise"]
CardKind = Literal["", "title", "scene", "point", "specs", "offer", "cta"]


class Picture(BaseModel):
    """What a shot shows; shots with equal pictures share one pre-rendered image."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["photo", "card"]
    image: int = Field(default=0, description="index into Product.images")
    region: tuple[float, float, float, float] = Field(
        default=(0.0, 0.0, 1.0, 1.0), description="part of the photo shown (x0, y0, x1, y1), fractions")
    fit: Literal["contain", "cover"] = Field(
        default="contain", description="contain: whole region inside the picture box over a blurred backdrop; "
                                       "cover: the region fills the frame")
    card: CardKind = ""
    colors: tuple[str, str] = ("#FF5E4D", "#FFAA5A")
    pattern: Literal["circles", "stripes", "dots", "plain"] = "circles"
    tint: str | None = Field(default=None, description="colour laid over the picture (pain framing)")
    desaturate: float = Field(default=0.0, ge=0.0, le=1.0)
    frame: Literal["shadow", "border", "none"] = "shadow"
    box: Box | None = Field(default=None, description="where a contained photo sits; None: the whole frame")


class Transition(BaseModel):
    """How a shot enters: over `duration` seconds from the shot's start, the previous shot still moving."""

    kind: TransitionKind = "cut"
    duration: float = 0.0
    direction: Direction = "left"


class Shot(BaseModel):
    start: float
    end: float
    beat: BeatKind
    picture: Picture
    pan: tuple[float, float, float, float] = Field(
        default=(-1.0, 0.0, 1.0, 0.0), description="window centre from (x0, y0) to (x1, y1), in units of the pan "
                                                   "margin (-1..1)")
    curve: str = "ease_in_out"
    zoom: list[tuple[float, float]] = Field(
        default_factory=list, description="(time, scale ≥ 1) steps: from that time the picture is shown that much "
                                          "closer (a punch-in); before the first step, scale 1")
    transition: Transition = Field(default_factory=Transition)


class Animation(BaseModel):
    enter: Enter = "none"
    duration: float = 0.0
    curve: str = "back_out"
    distance: int = Field(default=0, description="pixels a slide travels")
    loop: Literal["none", "bounce", "pulse"] = "none"
    period: float = 0.7
    amplitude: int = Field(default=0, description="pixels of a bounce along `direction`")
    direction: tuple[float, float] = (0.0, 1.0)


class Layer(BaseModel):
    kind: LayerKind
    start: float
    end: float
    box: Box = Field(description="where the layer's image rests (x, y, w, h), frame pixels")
    bounds: Box = Field(description="every pixel any frame of its animation covers (x, y, w, h)")
    z: int = 0
    text: list[str] = Field(default_factory=list, description="lines, already wrapped")
    size: int = 0
    font: str = "sans"
    fill: str = "#FFFFFF"
    stroke: str | None = None
    stroke_width: int = 0
    background: str | None = None
    shape: Shape = "none"
    padding: int = 0
    align: Literal["center", "left"] = "center"
    line_spacing: float = 1.25
    highlight: list[tuple[int, int]] = Field(default_factory=list, description="character spans of ''.join(text)")
    highlight_fill: str = "#FFE14D"
    strike: bool = False
    tilt: float = Field(default=0.0, description="degrees, counter-clockwise")
    image: str | None = Field(default=None, description="picture file for shape 'image' (a logo)")
    pointing: tuple[float, float] = Field(default=(0.0, 1.0), description="arrow direction for shape 'arrow'")
    animation: Animation = Field(default_factory=Animation)


class SoundCue(BaseModel):
    t: float
    sound: SoundKind
    gain_db: float = -14.0


class Timeline(BaseModel):
    width: int
    height: int
    fps: int
    duration: float
    language: str
    style: str = "clean"
    safe_zone: tuple[int, int, int, int] = Field(description="(left, top, right, bottom) where text must stay")
    shots: list[Shot]
    layers: list[Layer]
    sounds: list[SoundCue] = Field(default_factory=list)
    content_box: Box = Field(description="where product pictures are fitted (beside the host in side layouts)")
    host_layout: str = "none"

    def shot_at(self, t: float) -> int:
        """Index of the shot on screen at time t."""
        for i in range(len(self.shots) - 1, -1, -1):
            if self.shots[i].start <= t:
                return i
        return 0


@runtime_checkable
class HostOverlay(Protocol):
    """A presenter drawn over the frame.

    `box` is (x, y, w, h) in frame pixels; `rgba(t)` returns an (h, w, 4) uint8 array with STRAIGHT
    (not premultiplied) alpha for time t in seconds. Arrays may be shared from a cache: treat them as read-only.
    `mouth_box` is (x, y, w, h) of the mouth inside the overlay, for checks and for engines that need it.
    """

    box: Box
    mouth_box: Box
    engine: str

    def rgba(self, t: float) -> np.ndarray: ...
