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


def writer_fn(engines: Any) -> Any:
    return lambda product, brief, variant, siblings: engines.writer.write(product, brief, variant, siblings=siblings)


def review_fn(engines: Any, brief: Any) -> Any:
    return lambda script, product: engines.reviewer.review(script, product, brief.compliance).script


def rule_guard(platform: str, strict: bool) -> None:
    """Print what the platform's published rules say about looped/unattended AI streams; --strict refuses."""
    from generator.loop.rules import blocking, check_platforms, general_rules
    from generator.platforms import UnknownPlatform, get_preset

    try:
        get_preset(platform)
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


def loop_brief(settings: Any, platform: str, *, writer: str | None, voice: str | None, host: str | None,
               scale: float, duration: int) -> Any:
    from generator.models import Brief

    return Brief(platforms=[platform], writer=writer or settings.writer, voice=voice or settings.voice,
                 host=host or (settings.host if settings.host != "none" else "sprite"), scale=scale,
                 duration=duration)


def segment_renderer(kind: str, platform: str, brief: Any, engines: Any) -> Any:
    """The loop's SegmentRenderer: the pipeline's render_segment bound to ENGINES, or the caption card."""
    from functools import partial

    from generator.loop.render import CardRenderer, PipelineRenderer
    from generator.pipeline import render_segment
    from generator.platforms import get_preset

    if kind == "card":
        preset = get_preset(platform)
        size = preset.scaled(brief.scale)
        return CardRenderer((size.width, size.height), preset.fps, preset.label)
    if kind not in ("auto", "pipeline"):
        raise typer.BadParameter(f"'{kind}': use auto, pipeline or card", param_hint="--renderer")
    return PipelineRenderer(platform, partial(render_segment, engines=engines))


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
    duration: Annotated[int, typer.Option(min=5, max=180, help="target seconds of one pitch")] = 30,
) -> None:
    """Plan HOURS of play-out for SHEET's products and render only the unique segments it needs.

    Exit 0 on success, 1 when the plan cannot be made (too little material for --window), 2 on usage
    errors or when --strict refuses a platform.
    """
    from generator.bootstrap import build_engines
    from generator.loop.build import build_loop
    from generator.loop.planner import PlanError
    from generator.settings import get_settings

    settings = get_settings()
    rotation = _weights(weights)
    rule_guard(platform, strict)
    if not sheet.exists():
        raise typer.BadParameter(f"{sheet} does not exist", param_hint="SHEET")
    brief = loop_brief(settings, platform, writer=writer, voice=voice, host=host, scale=scale, duration=duration)
    engines = build_engines(settings, brief)
    chosen = segment_renderer(renderer, platform, brief, engines)
    products = _read_products(sheet, out)
    begin = start_hour if start_hour is not None else dt.datetime.now().hour + dt.datetime.now().minute / 60
    try:
        schedule = build_loop(products, brief, writer=writer_fn(engines), renderer=chosen, loop_dir=out,
                              hours=hours, window_min=window, seed=seed, start_hour=begin,
                              weights=rotation, review=review_fn(engines, brief),
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
    source: Annotated[Path, typer.Argument(help="product sheet (a live room), or a folder written by `loop build`")],
    rtmp: Annotated[str, typer.Option(help="ingest URL: rtmp://..., or any ffmpeg output (udp://, tcp://, file.ts)")],
    label: Annotated[str | None, typer.Option(help="(folder) AI label drawn over the stream (default: the "
                                                    "platform's wording; from a sheet every segment carries it)")] = None,
    retries: Annotated[int, typer.Option(min=0, help="consecutive failed reconnects before giving up")] = 20,
    start: Annotated[float, typer.Option(min=0, help="(folder) start this many seconds into the schedule")] = 0.0,
    out: Annotated[Path | None, typer.Option(help="(sheet) loop folder: the segment cache `loop build` shares, "
                                                   "live/ logs; default OUT/live/<sheet name>")] = None,
    hours: Annotated[float, typer.Option(min=0.001, max=168, help="(sheet) how long to stay on air")] = 24.0,
    platform: Annotated[str, typer.Option(help="(sheet) platform preset: size, label, rules")] = "douyin",
    window: Annotated[float, typer.Option(min=0, help="(sheet) minutes before a segment may play again")] = 60.0,
    seed: Annotated[int, typer.Option(help="(sheet) seed for phrase slots, voice speeds and choices")] = 0,
    strict: Annotated[bool, typer.Option(help="(sheet) refuse (exit 2) when the platform's rules forbid or "
                                              "restrict looped/unattended AI streams")] = False,
    scale: Annotated[float, typer.Option(min=0.1, max=1.0, help="(sheet) stream size as a share of the preset")] = 1.0,
    start_hour: Annotated[float | None, typer.Option(min=0, max=24, help="(sheet) wall-clock hour now, for "
                                                                          "daypart greetings; default now")] = None,
    weights: Annotated[str, typer.Option(help="(sheet) rotation weights per SKU, e.g. A1=2,B7=0.5")] = "",
    host: Annotated[str | None, typer.Option(help="(sheet) virtual host: sprite, http, none or a folder")] = None,
    voice: Annotated[str | None, typer.Option(help="(sheet) voice engine")] = None,
    writer: Annotated[str | None, typer.Option(help="(sheet) script writer; openai also answers questions")] = None,
    renderer: Annotated[str, typer.Option(help="(sheet) auto/pipeline or card")] = "auto",
    duration: Annotated[int, typer.Option(min=5, max=180, help="(sheet) target seconds of one pitch")] = 30,
    buffer: Annotated[int, typer.Option(min=1, max=20, help="(sheet) segments ready before going on air")] = 2,
    answer_scale: Annotated[float | None, typer.Option(min=0.1, max=1.0, help="(sheet) render scale of answers "
                                                       "(smaller renders faster; default min(--scale, 0.5))")] = None,
    comments_port: Annotated[int, typer.Option(min=0, max=65535, help="(sheet) HTTP port for POST /comments and "
                                               "POST /stats; 0 turns it off")] = 8790,
    comments_host: Annotated[str, typer.Option(help="(sheet) address to listen on; not loopback needs "
                                                    "DAIHUO_LIVE_TOKEN")] = "127.0.0.1",
    comments_file: Annotated[str | None, typer.Option(help="(sheet) JSON-lines comment feed: a file to follow, "
                                                           "or - for stdin")] = None,
    host_name: Annotated[str, typer.Option(help="(sheet) the AI host's name in greetings")] = "小禾",
) -> None:
    """Push a live stream to RTMP in real time, the AI label on every frame.

    From a SHEET: a live room on air in about a minute (the first segments are rendered first), answering
    viewers' comments from the sheet at the next spoken-line boundary. From a FOLDER written by
    `loop build`: its fixed schedule, reconnecting and resuming where it dropped.
    """
    if source.is_dir():
        _stream_folder(source, rtmp, label, retries, start)
        return
    if not source.exists():
        raise typer.BadParameter(f"{source} does not exist", param_hint="SOURCE")
    from generator.cli.live import LiveOptions, stream_live
    from generator.settings import get_settings

    settings = get_settings()
    rule_guard(platform, strict)
    options = LiveOptions(
        sheet=source, rtmp=rtmp, retries=retries,
        out=out or settings.out / "live" / source.stem, hours=hours, platform=platform, window=window, seed=seed,
        start_hour=start_hour if start_hour is not None else dt.datetime.now().hour + dt.datetime.now().minute / 60,
        weights=_weights(weights), renderer=renderer, buffer=buffer,
        answer_scale=answer_scale or min(scale, 0.5), comments_port=comments_port, comments_host=comments_host,
        comments_file=comments_file, host_name=host_name)
    brief = loop_brief(settings, platform, writer=writer, voice=voice, host=host, scale=scale, duration=duration)
    products = _read_products(source, options.out)
    stream_live(options, brief, products, settings, console)


def _stream_folder(loop_dir: Path, rtmp: str, label: str | None, retries: int, start: float) -> None:
    from generator.loop.models import Schedule
    from generator.loop.stream import PLAN, StreamError, stream_loop
    from generator.platforms import load_presets

    plan = loop_dir / PLAN
    if not plan.exists():
        raise typer.BadParameter(f"{plan} not found; run `daihuo loop build` first, or pass a product sheet",
                                 param_hint="SOURCE")
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
