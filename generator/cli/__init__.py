"""The `daihuo` command line: one module per verb group; entry points only translate arguments.

make and platforms (make.py), lint and verify (compliance.py), learn (learn.py), host create (host.py),
loop build/stream (loop.py), worker, batch, status and serve (workers.py). The work is in generator.pipeline
and the stages; errors reach the user as one line.
"""

from __future__ import annotations

import typer

from generator.cli.errors import leave, run_guarded

app = typer.Typer(
    name="daihuo",
    help="带货 daihuo: product sheets in, captioned short videos and digital-host loops out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_verbs() -> None:
    from generator.cli import compliance, host, learn, loop, make, workers

    for module in (make, compliance, host, learn, loop, workers):
        module.register(app)


_register_verbs()


def main() -> None:
    try:
        run_guarded(app)
    except SystemExit as done:
        leave(done.code)
    leave(0)


__all__ = ["app", "main"]
