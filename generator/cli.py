"""The `daihuo` command line. Entry points only translate arguments; the work is in generator.pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from generator.models import Brief
from generator.settings import get_settings

app = typer.Typer(
    name="daihuo",
    help="带货 daihuo: product sheets in, captioned short videos and digital-host loops out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.replace("，", ",").split(",") if v.strip()]


def _check_platforms(platforms: list[str]) -> None:
    from generator.video.presets import load_presets

    unknown = [p for p in platforms if p not in load_presets()]
    if unknown:
        raise typer.BadParameter(
            f"unknown platform(s) {', '.join(unknown)}; choose from {', '.join(load_presets())}",
            param_hint="--platforms",
        )


@app.command("make")
def make_cmd(
    sheet: Annotated[Path, typer.Argument(help="product sheet: .xlsx, .csv (UTF-8/BOM/GBK), .json or .yaml")],
    platforms: Annotated[str, typer.Option(help="comma-separated presets, see `daihuo platforms`")] = "douyin",
    variants: Annotated[int, typer.Option(min=1, max=20, help="script variants per product")] = 1,
    duration: Annotated[int, typer.Option(min=5, max=180, help="target length in seconds (15, 30, 60 usual)")] = 30,
    lang: Annotated[str | None, typer.Option(help="zh|en|id|ms|th|vi; default: each product's own 语言 column")] = None,
    out: Annotated[Path | None, typer.Option(help="output root (default $DAIHUO_OUT or ./out)")] = None,
    job: Annotated[str | None, typer.Option(help="job name (default: the sheet's file name)")] = None,
    writer: Annotated[str | None, typer.Option(help="script writer: template (offline) or openai")] = None,
    voice: Annotated[str | None, typer.Option(help="voice engine: espeak (offline), openai or edge")] = None,
    host: Annotated[str | None, typer.Option(help="virtual host: none, sprite, or http")] = None,
    compliance: Annotated[str, typer.Option(help="fix (rewrite), block (stop the product) or warn")] = "fix",
    music: Annotated[bool, typer.Option(help="background music ducked under the voice")] = True,
    scale: Annotated[float, typer.Option(min=0.1, max=1.0, help="proxy render scale for quick previews")] = 1.0,
    force: Annotated[bool, typer.Option(help="re-render clips even when they are already finished")] = False,
) -> None:
    """Render every product of SHEET into clips, offline and in-process (no Redis needed).

    Outputs go to OUT/<job>/<sku>/v<N>/<platform>.mp4 with cover, subtitles and manifest.json.
    Exit 0 when every row produced its clips, 1 when some rows failed, 2 on usage errors.
    """
    from generator.pipeline import run_job
    from generator.sheets import SheetError

    settings = get_settings()
    platform_list = _split(platforms)
    _check_platforms(platform_list)
    if lang is not None and lang not in ("zh", "en", "id", "ms", "th", "vi"):
        raise typer.BadParameter("use one of zh, en, id, ms, th, vi", param_hint="--lang")
    if compliance not in ("fix", "block", "warn"):
        raise typer.BadParameter("use fix, block or warn", param_hint="--compliance")
    if not sheet.exists():
        raise typer.BadParameter(f"{sheet} does not exist", param_hint="SHEET")
    brief = Brief(
        platforms=platform_list, language=lang, duration=duration, variants=variants,
        writer=writer or settings.writer, voice=voice or settings.voice, host=host or settings.host,
        compliance=compliance, music=music, scale=scale,  # type: ignore[arg-type]
    )
    out_root = out or settings.out

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
    from generator.video.presets import load_presets

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
