"""`daihuo make` (a sheet into clips, in this process) and `daihuo platforms`."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from generator.cli import options as opt
from generator.cli.errors import log_to_file
from generator.settings import get_settings

console = Console(stderr=True)


def make_cmd(
    sheet: Annotated[Path, typer.Argument(help="product sheet: .xlsx, .csv (UTF-8/BOM/GBK), .json or .yaml")],
    platforms: opt.Platforms = "douyin",
    variants: opt.Variants = 1,
    duration: opt.Duration = 30,
    lang: opt.Lang = None,
    out: Annotated[Path | None, typer.Option(help="output root (default $DAIHUO_OUT or ./out)")] = None,
    job: opt.Job = None,
    writer: opt.Writer = None,
    voice: opt.Voice = None,
    host: opt.Host = None,
    compliance: opt.Compliance = "fix",
    music: opt.Music = True,
    scale: opt.Scale = 1.0,
    qc: opt.QC = "on",
    style: opt.Style = None,
    captions: opt.Captions = "verbatim",
    export: opt.Export = "none",
    force: Annotated[bool, typer.Option(help="re-render clips even when they are already finished")] = False,
    learn: opt.Learn = None,
    explore: opt.Explore = 0.125,
) -> None:
    """Render every product of SHEET into clips, offline and in-process (no Redis needed).

    Outputs go to OUT/<job>/<sku>/v<N>/<platform>.mp4 with cover, subtitles, manifest.json and (unless
    --qc off) <platform>.qc.json. Exit 0 when every row produced its clips and every clip passed QC, 1 when
    some rows failed or a clip failed QC, 2 on usage errors.
    """
    from generator.bootstrap import build_engines
    from generator.pipeline import run_job
    from generator.sheets import SheetError

    brief = opt.brief_from_options(platforms=platforms, variants=variants, duration=duration, lang=lang,
                                   writer=writer, voice=voice, host=host, compliance=compliance, music=music,
                                   scale=scale, learn=learn, explore=explore, qc=qc, style=style,
                                   captions=captions, export=export)
    if not sheet.exists():
        raise typer.BadParameter(f"{sheet} does not exist", param_hint="SHEET")
    settings = get_settings()
    out_root = out or settings.out
    log_to_file(out_root)

    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    ) as progress:
        tasks: dict[str, int] = {}
        lock = threading.Lock()  # clips of a product render on several threads

        def on_progress(key: str, done: int, total: int, note: str = "") -> None:
            with lock:
                if key not in tasks:
                    tasks[key] = progress.add_task(key, total=total)
                progress.update(tasks[key], completed=done, total=total, description=f"{key} {note}".strip())

        try:
            result = run_job(sheet, brief, out_root, job=job, force=force, progress=on_progress,
                             engines=build_engines(settings, brief), settings=settings)
        except SheetError as exc:  # the whole file is unusable: say why and how to fix it
            console.print(f"[red]sheet error:[/] {exc}")
            raise typer.Exit(1) from None

    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    for err in result.row_errors:
        console.print(f"[red]row error:[/] {err}")
    from generator.compliance.qc_pipeline import qc_summary
    from generator.pipeline.fallbacks import variant_fallbacks

    qc_failed = 0
    for variant in result.variants:
        if variant.error:
            console.print(f"[red]failed:[/] {variant.sku} v{variant.variant}: {variant.error}")
        for fallback in variant_fallbacks(variant):
            console.print(f"[yellow]fallback:[/] {fallback.line(variant.sku, variant.variant)}")
        for clip in variant.clips:
            qc = qc_summary(Path(variant.directory), clip.platform)
            if qc is not None and not qc["ok"]:
                qc_failed += 1
                console.print(f"[red]QC failed:[/] {variant.sku} v{variant.variant} {clip.platform}: "
                              + "; ".join(qc["failures"]) + f" (see {clip.platform}.qc.json)")
        for note in (variant.script.notes if variant.script else []):
            console.print(f"[cyan]note:[/] {variant.sku} v{variant.variant}: {note}")
        if variant.script and variant.script.creative:
            console.print(f"[cyan]learn:[/] {variant.sku} v{variant.variant}: {variant.script.angle} · "
                          f"{variant.script.hook_id or 'free hook'} ({variant.script.creative.mode})")
    clips = [c for v in result.variants for c in v.clips]
    made = sum(1 for c in clips if not c.skipped)
    console.print(f"[green]{made} clip(s) rendered, {len(clips) - made} already up to date[/] → {result.out_dir}")
    raise typer.Exit(1 if result.failed or qc_failed else 0)


def platforms_cmd() -> None:
    """List the platform presets (size, cover, title limit, on-screen AI label)."""
    from generator.platforms import load_presets

    for key, p in load_presets().items():
        typer.echo(f"{key:16} {p.width}x{p.height}  cover {p.cover_width}x{p.cover_height}  "
                   f"title ≤{p.title_chars}  label {p.label}  ({p.name})")


def register(app: typer.Typer) -> None:
    app.command("make")(make_cmd)
    app.command("platforms")(platforms_cmd)
