"""Options shared by `daihuo make` and `daihuo batch`: one definition, one validation, one Brief."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from generator.models import Brief
from generator.settings import get_settings

LANGUAGES = ("zh", "en", "id", "ms", "th", "vi")
POLICIES = ("fix", "block", "warn")

Platforms = Annotated[str, typer.Option(help="comma-separated presets, see `daihuo platforms`")]
Variants = Annotated[int, typer.Option(min=1, max=20, help="script variants per product")]
Duration = Annotated[int, typer.Option(min=5, max=180, help="target length in seconds (15, 30, 60 usual)")]
Lang = Annotated[str | None, typer.Option(help="zh|en|id|ms|th|vi; default: each product's own 语言 column")]
Job = Annotated[str | None, typer.Option(help="job name (default: the sheet's file name)")]
Writer = Annotated[str | None, typer.Option(help="script writer: template (offline) or openai")]
Voice = Annotated[str | None, typer.Option(help="voice engine: auto (best reachable; default), hibari (offline English), espeak (offline), openai or edge")]
Host = Annotated[str | None, typer.Option(help="virtual host: none, sprite (drawn), photo (a real face), a pack "
                                                "name or folder (`daihuo host create`), or http")]
Compliance = Annotated[str, typer.Option(help="fix (rewrite), block (stop the product) or warn")]
Music = Annotated[bool, typer.Option(help="background music ducked under the voice")]
Scale = Annotated[float, typer.Option(min=0.1, max=1.0, help="proxy render scale for quick previews")]
QC = Annotated[str, typer.Option("--qc", help="on: read every clip back and write <platform>.qc.json; off for previews")]
Learn = Annotated[Path | None, typer.Option(help="insights.json of `daihuo learn`: choose each variant's angle and "
                                                 "hook from what sold (Thompson sampling)")]
Explore = Annotated[float, typer.Option(min=0.0, max=1.0, help="with --learn: share of variants that try other "
                                                               "angles than the leader (0.125 = 1 in 8)")]
Style = Annotated[str | None, typer.Option(help="style pack (assets/styles/NAME.yaml); default: by product category, "
                                                "variants rotating through the packs")]
Captions = Annotated[str, typer.Option(help="verbatim (what is said, phrase by phrase) or keywords (short captions)")]
CAPTION_MODES = ("verbatim", "keywords")
Export = Annotated[str, typer.Option(help="none, jianying (also a 剪映 draft folder <platform>.jianying/ per clip) "
                                          "or jianying-zip (and <platform>.jianying.zip)")]
EXPORTS = ("none", "jianying", "jianying-zip")


def split_list(value: str) -> list[str]:
    return [v.strip() for v in value.replace("，", ",").split(",") if v.strip()]


def check_platforms(platforms: list[str]) -> None:
    from generator.platforms import load_presets

    unknown = [p for p in platforms if p not in load_presets()]
    if unknown or not platforms:
        raise typer.BadParameter(
            f"unknown platform(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(load_presets())}",
            param_hint="--platforms",
        )


def brief_from_options(
    *, platforms: str, variants: int, duration: int, lang: str | None, writer: str | None, voice: str | None,
    host: str | None, compliance: str, music: bool, scale: float, learn: Path | None = None, explore: float = 0.125,
    qc: str = "on", style: str | None = None, captions: str = "verbatim", export: str = "none",
) -> Brief:
    """Validate the shared options (usage errors exit 2) and fill the engines from the settings."""
    platform_list = split_list(platforms)
    check_platforms(platform_list)
    if lang is not None and lang not in LANGUAGES:
        raise typer.BadParameter(f"use one of {', '.join(LANGUAGES)}", param_hint="--lang")
    if compliance not in POLICIES:
        raise typer.BadParameter("use fix, block or warn", param_hint="--compliance")
    if learn is not None:
        check_insights(learn)
    if qc not in ("on", "off"):
        raise typer.BadParameter("use on or off", param_hint="--qc")
    if captions not in CAPTION_MODES:
        raise typer.BadParameter("use verbatim or keywords", param_hint="--captions")
    if export not in EXPORTS:
        raise typer.BadParameter(f"use {', '.join(EXPORTS)}", param_hint="--export")
    check_style(style)
    settings = get_settings()
    from generator.voice.registry import ENGINES

    if (voice or settings.voice) not in ENGINES:
        raise typer.BadParameter(f"use one of {', '.join(ENGINES)}", param_hint="--voice (or DAIHUO_VOICE)")
    return Brief(
        platforms=platform_list, language=lang, duration=duration, variants=variants,  # type: ignore[arg-type]
        writer=writer or settings.writer, voice=voice or settings.voice, host=host or settings.host,
        compliance=compliance, music=music, scale=scale, qc=qc, style=style, captions=captions,  # type: ignore[arg-type]
        export=export,  # type: ignore[arg-type]
        learn=str(learn.resolve()) if learn is not None else None, explore=explore,
    )


def check_insights(path: Path) -> None:
    """A --learn file that cannot steer the batch is a usage error (exit 2), said before anything renders."""
    from generator.learn.store import LearnError, load_insights

    try:
        load_insights(path)
    except LearnError as exc:
        raise typer.BadParameter(str(exc), param_hint="--learn") from None


def check_style(style: str | None) -> None:
    """A named style must be a pack in assets/styles/ (and every pack must load)."""
    from generator.edit.styles import StyleError, style_names

    try:
        names = style_names()
    except StyleError as exc:
        raise typer.BadParameter(str(exc), param_hint="--style") from None
    if style is not None and style not in names:
        raise typer.BadParameter(f"unknown style '{style}'; choose from {', '.join(names)}", param_hint="--style")
