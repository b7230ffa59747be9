"""`daihuo host create`: turn one front-facing portrait into a photo host pack (entry point only translates)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

host_app = typer.Typer(help="Photo hosts: make a talking presenter from one portrait.", no_args_is_help=True)
console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    app.add_typer(host_app, name="host")


@host_app.command("create")
def create_cmd(
    portrait: Annotated[Path, typer.Argument(help="a front-facing photo (JPEG/PNG): one person, head and shoulders")],
    name: Annotated[str, typer.Option(help="pack name, used as `--host NAME` (lower-case letters, digits, - _)")],
    out: Annotated[Path | None, typer.Option(help="folder the pack goes into (default: assets/hosts/); "
                                                  "use `--host OUT/NAME` to render it")] = None,
    licence: Annotated[str | None, typer.Option(help="licence of the photo and the person's consent, recorded in "
                                                     "the pack")] = None,
    origin: Annotated[str | None, typer.Option(help="where the photo comes from, recorded in the pack")] = None,
    force: Annotated[bool, typer.Option(help="replace an existing pack of the same name")] = False,
) -> None:
    """Make a host pack (mouth shapes, blink frames, head motion) from PORTRAIT, for `--host NAME`.

    Needs the optional face tools (`make host-tools`); rendering the pack afterwards does not.
    Exit 0 when the pack was written, 1 when the photo cannot be used (the message says why and what to do).
    """
    from generator.errors import DaihuoError
    from generator.host.create import create_host
    from generator.host.sprite import HOSTS_DIR

    source = {k: v for k, v in (("licence", licence), ("origin", origin)) if v}
    try:
        folder = create_host(portrait, name, out or HOSTS_DIR, source=source, force=force)
    except DaihuoError as exc:
        console.print(f"[red]error:[/] {escape(exc.message)}", soft_wrap=True)
        raise typer.Exit(1) from None
    use = name if out is None else str(folder)
    console.print(f"[green]host pack written[/] → {escape(str(folder))}  (render with --host {escape(use)})",
                  soft_wrap=True)
