"""The Timeline: what is on screen and when, as pure data. The edit decides it; the renderer only draws it."""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel

OverlayKind = Literal["caption", "label", "badge", "disclosure"]
Box = tuple[int, int, int, int]


class Scene(BaseModel):
    start: float
    end: float
    visual: str
    pan: tuple[float, float] = (1.0, 0.0)  # direction of the slow drift, unit-ish vector


class Overlay(BaseModel):
    kind: OverlayKind
    lines: list[str]
    size: int  # font pixel size
    start: float
    end: float
    anchor: Literal["top-left", "top-right", "bottom-center"]
    x: int  # anchor point in the frame
    y: int
    max_width: int


class Timeline(BaseModel):
    width: int
    height: int
    fps: int
    duration: float
    language: str
    scenes: list[Scene]
    overlays: list[Overlay]
    content_box: tuple[int, int, int, int]  # (x, y, w, h) where product visuals are fitted
    host_layout: str = "none"


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
