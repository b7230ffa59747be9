"""Style packs: the look of a clip as data (assets/styles/*.yaml), chosen by name, category or rotation.

A pack sets fonts, colours, callout shapes, caption look, motion curves and pace, transition kinds and sound
effects; docs/styles.md documents every field. A merchant adds a pack by dropping a YAML file (brand colours,
a logo in a corner) into the styles folder; `extends: clean` takes every field it does not set from another
pack. Nothing here draws: the edit reads a Style to decide, the renderer draws what the edit decided.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from generator.errors import DaihuoError
from generator.settings import ASSETS_DIR
from generator.yamlfile import load_yaml

STYLES_DIR = ASSETS_DIR / "styles"
DEFAULT_STYLE = "clean"
_COLOUR = re.compile(r"^#([0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})$")


class StyleError(DaihuoError, ValueError):
    default_fix = "see docs/styles.md for the fields of a style pack"


def _check_colour(value: str) -> str:
    if not _COLOUR.match(value):
        raise ValueError(f"'{value}' is not a colour: write #RRGGBB or #RRGGBBAA")
    return value.upper()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Colors(_Strict):
    primary: str = Field(description="callout and badge background")
    accent: str = Field(description="highlighted words and numbers")
    text: str = "#FFFFFF"
    ink: str = Field(default="#111111", description="text outlines and dark text")
    cards: list[tuple[str, str]] = Field(min_length=1, description="gradient pairs for cards, used in turn")
    tint: str = Field(default="#1E2A4A80", description="laid over the pain beat's picture")
    badge: str = Field(default="#E62828F0", description="the price badge's background (white text on it)")
    caption_text: str = "#FFFFFF"
    caption_box: str | None = "#00000070"
    caption_highlight: str | None = Field(default=None, description="highlighted caption words; default: accent "
                                          "(a red accent on a see-through dark box can read as grey on grey)")

    @field_validator("primary", "accent", "text", "ink", "tint", "badge", "caption_text")
    @classmethod
    def _colour(cls, v: str) -> str:
        return _check_colour(v)

    @field_validator("caption_box", "caption_highlight")
    @classmethod
    def _maybe_colour(cls, v: str | None) -> str | None:
        return None if v is None else _check_colour(v)

    @field_validator("cards")
    @classmethod
    def _pairs(cls, v: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(_check_colour(a), _check_colour(b)) for a, b in v]


class Fonts(_Strict):
    display: str = Field(default="sans", description="hook, callouts, price: a family in assets/fonts.yaml")
    body: str = "sans"


Shape = Literal["box", "pill", "tag", "burst", "bubble", "underline", "ribbon", "none"]
Enter = Literal["none", "pop", "stamp", "fade", "slide_up", "slide_left", "slide_right"]


class CalloutLook(_Strict):
    shape: Shape = "pill"
    enter: Enter = "pop"
    duration: float = Field(default=0.25, ge=0, le=1)
    curve: str = "back_out"
    tilt: float = Field(default=0.0, ge=-12, le=12)
    outline: bool = Field(default=False, description="dark outline around callout text")
    size: float = Field(default=0.066, gt=0.03, lt=0.12, description="font size, share of the short side")


class HookLook(_Strict):
    size: float = Field(default=0.095, ge=0.075, lt=0.16, description="share of the short side (≥ 0.075 keeps glyphs ≥ 7 %)")
    shape: Shape = "none"
    background: str | None = None
    fill: str | None = Field(default=None, description="text colour; default colors.text")
    outline: bool = True
    enter: Enter = "pop"

    @field_validator("background", "fill")
    @classmethod
    def _maybe_colour(cls, v: str | None) -> str | None:
        return None if v is None else _check_colour(v)


class CaptionLook(_Strict):
    size: float = Field(default=0.058, gt=0.03, lt=0.09)
    shape: Literal["box", "none"] = "box"
    outline: bool = True
    enter: Enter = "none"


class Motion(_Strict):
    pace: float = Field(default=2.1, ge=1.0, le=3.5, description="target seconds per shot")
    hook_cut: float = Field(default=1.2, ge=0.5, le=1.5, description="the first cut, seconds")
    curve: str = Field(default="linear", description="how a shot's drift speeds up and slows down")
    pan: float = Field(default=1.0, ge=0.2, le=1.0, description="how far shots drift, share of the pan margin")
    punch: float = Field(default=1.12, ge=1.0, le=1.3, description="punch-in zoom scale")


class Transitions(_Strict):
    weights: dict[Literal["cut", "fade", "slide", "whip", "flash"], float] = Field(
        default_factory=lambda: {"cut": 3.0, "slide": 1.0})
    durations: dict[str, float] = Field(default_factory=lambda: {"fade": 0.3, "slide": 0.24, "whip": 0.18, "flash": 0.14})
    directions: list[Literal["left", "right", "up", "down"]] = Field(
        default_factory=lambda: ["left", "right", "left", "up"], min_length=1,
        description="where slides and whips push, taken in turn")


SoundName = Literal["whoosh", "hit", "pop", "tick", "ding", "rise"]


class Sounds(_Strict):
    transition: SoundName | None = "whoosh"
    cut: SoundName | None = "hit"
    callout: SoundName | None = "pop"
    row: SoundName | None = "tick"
    price: SoundName | None = "ding"
    pointer: SoundName | None = "rise"
    gains: dict[SoundName, float] = Field(default_factory=lambda: {
        "whoosh": -13.0, "hit": -11.0, "pop": -12.0, "tick": -14.0, "ding": -10.0, "rise": -14.0})


class Pictures(_Strict):
    frame: Literal["shadow", "border", "none"] = "shadow"
    pattern: Literal["circles", "stripes", "dots", "plain"] = "circles"
    pain: Literal["tint", "card"] = "tint"


class Logo(_Strict):
    file: str = Field(description="image file, relative to the pack's YAML")
    corner: Literal["top-right", "top-left"] = Field(default="top-right", description="under the price badge, "
                                                     "or under the AI label")
    height: float = Field(default=0.06, gt=0.02, le=0.15, description="share of the short side")


class Style(_Strict):
    name: str
    title: str = ""
    categories: list[str] = Field(default_factory=list, description="product categories this pack is first for")
    rotate: bool = Field(default=True, description="take part in automatic choice and variant rotation")
    fonts: Fonts = Field(default_factory=Fonts)
    colors: Colors
    hook: HookLook = Field(default_factory=HookLook)
    callout: CalloutLook = Field(default_factory=CalloutLook)
    caption: CaptionLook = Field(default_factory=CaptionLook)
    motion: Motion = Field(default_factory=Motion)
    transitions: Transitions = Field(default_factory=Transitions)
    sounds: Sounds = Field(default_factory=Sounds)
    pictures: Pictures = Field(default_factory=Pictures)
    logo: Logo | None = None
    source: str = Field(default="", description="the YAML file it came from")


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _raw(directory: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    raw: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            data = load_yaml(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise StyleError(f"{path}: not readable YAML ({str(exc).splitlines()[0]})", "fix the file's syntax") from None
        if not isinstance(data, dict):
            raise StyleError(f"{path}: a style pack is a mapping of fields", "see docs/styles.md")
        raw[path.stem] = (path, data)
    return raw


def _resolve(name: str, raw: dict[str, tuple[Path, dict[str, Any]]], seen: tuple[str, ...] = ()) -> dict[str, Any]:
    path, data = raw[name]
    parent = data.get("extends")
    if parent is None:
        return {k: v for k, v in data.items() if k != "extends"}
    if parent not in raw:
        raise StyleError(f"{path}: extends '{parent}', which is not a pack in {path.parent}",
                         f"use one of: {', '.join(sorted(raw))}")
    if parent in seen:
        raise StyleError(f"{path}: 'extends' goes round in a circle ({' → '.join((*seen, name, parent))})",
                         "let one pack stand on its own")
    return _merge(_resolve(parent, raw, (*seen, name)), {k: v for k, v in data.items() if k != "extends"})


@lru_cache(maxsize=8)
def _load(directory: str, stamp: tuple[tuple[str, float], ...]) -> dict[str, Style]:
    raw = _raw(Path(directory))
    styles: dict[str, Style] = {}
    for name, (path, _) in raw.items():
        data = _resolve(name, raw)
        logo = data.get("logo")
        if isinstance(logo, dict) and logo.get("file"):
            data["logo"] = {**logo, "file": str((path.parent / str(logo["file"])).resolve())}
        try:
            style = Style(**{**data, "name": name, "source": str(path)})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(top level)"
            raise StyleError(f"{path}: field '{where}': {first['msg']}") from None
        if style.logo and not Path(style.logo.file).is_file():
            raise StyleError(f"{path}: field 'logo.file': {style.logo.file} does not exist",
                             "put the logo image next to the YAML and name it relative to it")
        styles[name] = style
    if not styles:
        raise StyleError(f"no style packs in {directory}", "restore assets/styles/ from the repository")
    return styles


def load_styles(directory: Path = STYLES_DIR) -> dict[str, Style]:
    """Every pack in `directory`, `extends` resolved and validated (cached until a file changes)."""
    stamp = tuple((p.name, p.stat().st_mtime) for p in sorted(directory.glob("*.yaml")))
    return _load(str(directory), stamp)


def style_names(directory: Path = STYLES_DIR) -> list[str]:
    return sorted(load_styles(directory))


def choose_style(category: str, variant: int = 1, forced: str | None = None, directory: Path = STYLES_DIR) -> Style:
    """`forced` when given; else the first pack made for `category`, rotating through the others by variant."""
    styles = load_styles(directory)
    if forced:
        if forced not in styles:
            raise StyleError(f"unknown style '{forced}'", f"choose one of: {', '.join(sorted(styles))}")
        return styles[forced]
    pool = sorted(n for n, s in styles.items() if s.rotate) or sorted(styles)
    # A pack made for the category comes first even when it sits out of the rotation (a brand's own pack).
    matching = sorted(n for n in styles if _matches(styles[n], category))
    matching.sort(key=lambda n: styles[n].rotate)  # a brand pack (rotate: false) wins over a shipped one
    first = matching[0] if matching else (DEFAULT_STYLE if DEFAULT_STYLE in pool else pool[0])
    order = [first, *(n for n in pool if n != first)]
    return styles[order[(max(1, variant) - 1) % len(order)]]


def style_name(category: str, variant: int, forced: str | None) -> str:
    """The name of the pack `choose_style` picks (for records and the learning loop); FORCED when unknown."""
    try:
        return choose_style(category, variant, forced).name
    except StyleError:
        return forced or ""


def _matches(style: Style, category: str) -> bool:
    c = category.strip().lower()
    return bool(c) and any(k.lower() in c or c in k.lower() for k in style.categories if k)
