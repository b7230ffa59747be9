"""`daihuo loop build` and `daihuo loop stream`: 24-hour digital-host loops (entry points only translate)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

loop_app = typer.Typer(help="Digital-host loops: plan hours of play-out from a few unique segments, then stream.",
                       no_args_is_help=True)
console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    app.add_typer(loop_app, name="loop")


def _weights(text: str) -> dict[str, float]:
    out = {}
    for part in text.replace("，", ",").split(","):
        if not part.strip():
            continue
        sku, sep, value = part.partition("=")
        try:
            out[sku.strip()] = float(value)
            if not sep or out[sku.strip()] <= 0:
                raise ValueError
        except ValueError:
            raise typer.BadParameter(f"'{part}': use SKU=WEIGHT with a positive number, e.g. A1=2,B7=0.5",
                                     param_hint="--weights") from None
    return out


def _read_products(sheet: Path, loop_dir: Path) -> list:
    from generator.settings import get_settings
    from generator.sheets import SheetError, read_sheet

    try:
        # Fetched image URLs are cached beside the loop, so a rebuild does not download them again.
        result = read_sheet(sheet, image_cache=loop_dir / ".cache" / "images", limits=get_settings().sheet_limits())
    except SheetError as exc:
        console.print(f"[red]sheet error:[/] {exc}")
        raise typer.Exit(1) from None
    for err in result.errors:
        console.print(f"[red]row error:[/] {err}")
    return list(result.products)


def _writer(engines: Any) -> Any:
    return lambda product, brief, variant, siblings: engines.writer.write(product, brief, variant, siblings=siblings)


def _review(engines: Any, brief: Any) -> Any:
    return lambda script, product: engines.reviewer.review(script, product, brief.compliance).script


@loop_app.command("build")
def build_cmd(
    sheet: Annotated[Path, typer.Argument(help="product sheet (.xlsx, .csv, .json, .yaml)")],
    out: Annotated[Path, typer.Option(help="loop folder: segments/, plan.json, loop.ffconcat, loop.m3u8")],
    hours: Annotated[float, typer.Option(min=0.001, max=168, help="length of the schedule")] = 24.0,
    platform: Annotated[str, typer.Option(help="target platform preset (size, label, rules)")] = "douyin",
    window: Annotated[float, typer.Option(min=0, help="minutes before a segment may play again")] = 60.0,
    seed: Annotated[int, typer.Option(help="seed for phrase slots, voice speeds and the schedule")] = 0,
    strict: Annotated[bool, typer.Option(help="refuse (exit 2) when the platform's rules forbid or restrict "
                                              "looped/unattended AI streams")] = False,
    scale: Annotated[float, typer.Option(min=0.1, max=1.0, help="proxy render scale")] = 1.0,
    start_hour: Annotated[float | None, typer.Option(min=0, max=24, help="wall-clock hour the loop starts "
                                                                          "(greetings by daypart); default now")] = None,
    weights: Annotated[str, typer.Option(help="rotation weights per SKU, e.g. A1=2,B7=0.5 (default 1)")] = "",
    host: Annotated[str | None, typer.Option(help="virtual host: sprite, http, none or a sprite folder")] = None,
    voice: Annotated[str | None, typer.Option(help="voice engine")] = None,
    writer: Annotated[str | None, typer.Option(help="script writer for the pitches")] = None,
    renderer: Annotated[str, typer.Option(help="pipeline (voice, host, captions; auto means the same) or card (a plain caption card)")] = "auto",
) -> None:
    """Plan HOURS of play-out for SHEET's products and render only the unique segments it needs.

    Exit 0 on success, 1 when the plan cannot be made (too little material for --window), 2 on usage
    errors or when --strict refuses a platform.
    """
    from functools import partial

    from generator.bootstrap import build_engines
    from generator.loop.build import build_loop
    from generator.loop.planner import PlanError
    from generator.loop.render import CardRenderer, PipelineRenderer
    from generator.loop.rules import blocking, check_platforms, general_rules
    from generator.models import Brief
    from generator.pipeline import render_segment
    from generator.platforms import UnknownPlatform, get_preset
    from generator.settings import get_settings

    settings = get_settings()
    rotation = _weights(weights)
    try:
        preset = get_preset(platform)
    except UnknownPlatform as exc:
        raise typer.BadParameter(str(exc), param_hint="--platform") from None
    findings = check_platforms([platform])
    for f in findings:
        colour = "red" if f.level == "forbid" else "yellow"
        console.print(f"[{colour}]{f.level}:[/] {f.platform}: {f.rule}")
    if findings:
        for detail in findings[0].details:
            console.print(f"  • {detail}")
        if findings[0].advice:
            console.print(f"  → {findings[0].advice}")
    if strict and blocking(findings):
        console.print(f"[red]refused (--strict):[/] {platform}'s published rules forbid or restrict looped or "
                      "unattended AI-host streams; see docs/host_and_loop.md")
        raise typer.Exit(2)
    for rule in general_rules():
        console.print(f"[cyan]rule:[/] {rule}")
    if not sheet.exists():
        raise typer.BadParameter(f"{sheet} does not exist", param_hint="SHEET")
    brief = Brief(platforms=[platform], writer=writer or settings.writer, voice=voice or settings.voice,
                  host=host or (settings.host if settings.host != "none" else "sprite"), scale=scale)
    engines = build_engines(settings, brief)
    if renderer == "card":
        size = preset.scaled(scale)
        chosen = CardRenderer((size.width, size.height), preset.fps, preset.label)
    else:
        chosen = PipelineRenderer(platform, partial(render_segment, engines=engines))
    products = _read_products(sheet, out)
    begin = start_hour if start_hour is not None else dt.datetime.now().hour + dt.datetime.now().minute / 60
    try:
        schedule = build_loop(products, brief, writer=_writer(engines), renderer=chosen, loop_dir=out,
                              hours=hours, window_min=window, seed=seed, start_hour=begin,
                              weights=rotation, review=_review(engines, brief),
                              progress=lambda m: console.print(f"[dim]{m}[/]"))
    except PlanError as exc:
        console.print(f"[red]cannot plan:[/] {exc}")
        raise typer.Exit(1) from None
    for warning in schedule.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    share = schedule.unique_seconds / schedule.total
    console.print(f"[green]{len(schedule.entries)} entries, {schedule.scheduled_seconds:.0f}s scheduled from "
                  f"{len(schedule.segments)} unique segments ({schedule.unique_seconds:.0f}s, {share:.1%})[/] → "
                  f"{out}/loop.ffconcat, {out}/loop.m3u8")


@loop_app.command("stream")
def stream_cmd(
    loop_dir: Annotated[Path, typer.Argument(help="folder written by `daihuo loop build`")],
    rtmp: Annotated[str, typer.Option(help="ingest URL: rtmp://..., or any ffmpeg output (udp://, file.ts)")],
    label: Annotated[str | None, typer.Option(help="on-screen AI label (default: the platform's wording)")] = None,
    retries: Annotated[int, typer.Option(min=0, help="consecutive failed reconnects before giving up")] = 20,
    start: Annotated[float, typer.Option(min=0, help="start this many seconds into the schedule")] = 0.0,
) -> None:
    """Push the loop to RTMP in real time (-re), reconnecting and resuming where it dropped; AI label on top."""
    from generator.loop.models import Schedule
    from generator.loop.stream import PLAN, StreamError, stream_loop
    from generator.platforms import load_presets

    plan = loop_dir / PLAN
    if not plan.exists():
        raise typer.BadParameter(f"{plan} not found; run `daihuo loop build` first", param_hint="LOOP_DIR")
    schedule = Schedule.model_validate_json(plan.read_text(encoding="utf-8"))
    presets = load_presets()
    text = label or next((presets[p].label for p in schedule.platforms if p in presets), "内容由AI生成")
    for f in schedule.rules:
        if f.level in ("forbid", "restrict"):
            console.print(f"[yellow]{f.level}:[/] {f.platform}: {f.rule}")
    try:
        report = stream_loop(loop_dir, rtmp, label=text, retries=retries, start=start,
                             log=lambda m: console.print(f"[dim]{m}[/]"))
    except StreamError as exc:
        console.print(f"[red]stream failed:[/] {exc}")
        raise typer.Exit(1) from None
    console.print(f"[green]streamed {report.played:.0f}s with {report.restarts} reconnect(s)[/]")
