"""Platform presets, loaded from assets/presets.yaml (data, not code)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel

from generator.errors import DaihuoError
from generator.settings import ASSETS_DIR
from generator.yamlfile import load_yaml


class SafeZone(BaseModel):
    """Margins as fractions of the frame that platform UI may cover."""

    top: float
    bottom: float
    left: float
    right: float


class CartSpot(BaseModel):
    """Where the platform's app shows the product card, cart or link over (or under) the clip.

    x, y are fractions of the frame (y may be 1.0: under the player); the CTA pointer points there.
    """

    x: float
    y: float
    zh: str = "点击下方链接"
    en: str = "Tap the link below"


class Preset(BaseModel):
    key: str
    name: str
    width: int
    height: int
    fps: int
    safe: SafeZone
    cover_width: int
    cover_height: int
    title_chars: int
    description_chars: int
    hashtags: int
    label: str
    gop_seconds: float = 2.0
    audio_rate: int = 48000
    cart: CartSpot = CartSpot(x=0.5, y=1.0)

    @property
    def short_side(self) -> int:
        return min(self.width, self.height)

    @property
    def vertical(self) -> bool:
        return self.height > self.width

    def safe_box(self) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) pixel box where text must stay."""
        return (
            round(self.width * self.safe.left),
            round(self.height * self.safe.top),
            round(self.width * (1 - self.safe.right)),
            round(self.height * (1 - self.safe.bottom)),
        )

    def scaled(self, scale: float) -> Preset:
        """The same layout at proxy size (even dimensions, as yuv420p needs)."""
        if scale >= 1.0:
            return self

        def even(v: int) -> int:
            return max(2, int(round(v * scale / 2)) * 2)

        return self.model_copy(update={
            "width": even(self.width), "height": even(self.height),
            "cover_width": even(self.cover_width), "cover_height": even(self.cover_height),
        })


class UnknownPlatform(DaihuoError, ValueError):
    pass


@lru_cache(maxsize=1)
def load_presets() -> dict[str, Preset]:
    data = load_yaml((ASSETS_DIR / "presets.yaml").read_text(encoding="utf-8"))
    defaults = data.get("defaults", {})
    presets: dict[str, Preset] = {}
    for key, p in data["presets"].items():
        presets[key] = Preset(
            key=key, name=p["name"], width=p["size"][0], height=p["size"][1],
            fps=p.get("fps", defaults.get("fps", 30)), safe=SafeZone(**p["safe"]),
            cover_width=p["cover"][0], cover_height=p["cover"][1],
            title_chars=p["title_chars"], description_chars=p["description_chars"],
            hashtags=p["hashtags"], label=p["label"],
            gop_seconds=defaults.get("gop_seconds", 2), audio_rate=defaults.get("audio_rate", 48000),
            cart=CartSpot(**p.get("cart", defaults.get("cart", {"x": 0.5, "y": 1.0}))),
        )
    return presets


def get_preset(key: str) -> Preset:
    presets = load_presets()
    if key not in presets:
        raise UnknownPlatform(f"unknown platform '{key}'; choose from: {', '.join(presets)}")
    return presets[key]
