"""The `daihuo` command line. Entry points only translate arguments; the work is in generator.pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from generator import cli_options as opt
from generator.settings import get_settings

app = typer.Typer(
    name="daihuo",
    help="带货 daihuo: product sheets in, captioned short videos and digital-host loops out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


@app.command("make")
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
    style: opt.Style = None,
    captions: opt.Captions = "verbatim",
    force: Annotated[bool, typer.Option(help="re-render clips even when they are already finished")] = False,
) -> None:
    """Render every product of SHEET into clips, offline and in-process (no Redis needed).

    Outputs go to OUT/<job>/<sku>/v<N>/<platform>.mp4 with cover, subtitles and manifest.json.
    Exit 0 when every row produced its clips, 1 when some rows failed, 2 on usage errors.
    """
    from generator.pipeline import run_job
    from generator.sheets import SheetError

    brief = opt.brief_from_options(platforms=platforms, variants=variants, duration=duration, lang=lang,
                                   writer=writer, voice=voice, host=host, compliance=compliance, music=music,
                                   scale=scale, style=style, captions=captions)
    if not sheet.exists():
        raise typer.BadParameter(f"{sheet} does not exist", param_hint="SHEET")
    out_root = out or get_settings().out

    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    ) as progress:
        tasks: dict[str, int] = {}

        def on_progress(key: str, done: int, total: int, note: str = "") -> None:
            if key not in tasks:
                tasks[key] = progress.add_task(key, total=total)
            progress.update(tasks[key], completed=done, total=total, description=f"{key} {note}".strip())

        try:
            result = run_job(sheet, brief, out_root, job=job, force=force, progress=on_progress)
        except SheetError as exc:  # the whole file is unusable: say why and how to fix it
            console.print(f"[red]sheet error:[/] {exc}")
            raise typer.Exit(1) from None

    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    for err in result.row_errors:
        console.print(f"[red]row error:[/] {err}")
    for variant in result.variants:
        if variant.error:
            console.print(f"[red]failed:[/] {variant.sku} v{variant.variant}: {variant.error}")
        for note in (variant.script.notes if variant.script else []):
            console.print(f"[cyan]note:[/] {variant.sku} v{variant.variant}: {note}")
    clips = [c for v in result.variants for c in v.clips]
    made = sum(1 for c in clips if not c.skipped)
    console.print(f"[green]{made} clip(s) rendered, {len(clips) - made} already up to date[/] → {result.out_dir}")
    raise typer.Exit(1 if result.failed else 0)


@app.command("platforms")
def platforms_cmd() -> None:
    """List the platform presets (size, cover, title limit, on-screen AI label)."""
    from generator.platforms import load_presets

    for key, p in load_presets().items():
        typer.echo(f"{key:16} {p.width}x{p.height}  cover {p.cover_width}x{p.cover_height}  "
                   f"title ≤{p.title_chars}  label {p.label}  ({p.name})")


def _register_verbs() -> None:
    """Verbs that live in their own modules attach themselves to the app here."""
    from generator import cli_compliance, cli_loop, cli_workers

    for module in (cli_compliance, cli_loop, cli_workers):
        module.register(app)


_register_verbs()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
