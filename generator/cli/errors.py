"""The CLI's error boundary: every failure reaches the user as one line (problem — fix), never a traceback.

Tracebacks of unexpected errors go to OUT/.daihuo/daihuo.log (for a bug report), not to the terminal. Logging
itself never prints to the terminal either: not when no log file could be opened (a read-only output folder),
and not when writing the log fails (a full disk).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
import threading
from pathlib import Path
from typing import NoReturn

from rich.console import Console
from rich.markup import escape

from generator.errors import DaihuoError

console = Console(stderr=True)
LOG_NAME = "daihuo.log"


class QuietFileHandler(logging.FileHandler):
    """A log file that stops, silently, when it cannot be written (logging would print a traceback)."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        logging.getLogger("daihuo").removeHandler(self)
        self.close()


def quiet_logging() -> None:
    """daihuo's own log records never reach the terminal through logging's last-resort handler."""
    logging.raiseExceptions = False
    logger = logging.getLogger("daihuo")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


def log_to_file(out_root: Path) -> Path | None:
    """Send daihuo's log (with tracebacks) to OUT/.daihuo/daihuo.log; best effort."""
    path = Path(out_root) / ".daihuo" / LOG_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = QuietFileHandler(path, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("daihuo")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return path


def report(exc: BaseException) -> int:
    """Print EXC as one line and return the exit code: 1 for a DaihuoError, 1 for anything else too."""
    from generator.pipeline.failures import environment_error, explain

    if isinstance(exc, DaihuoError) or environment_error(exc, hide=False):
        console.print(f"[red]error:[/] {escape(explain(exc, hide=False))}")
        return 1
    logging.getLogger("daihuo").error("unexpected error", exc_info=exc)
    console.print(f"[red]error:[/] {escape(explain(exc, hide=False))} (an unexpected failure; details in "
                  f"OUT/.daihuo/{LOG_NAME} when the output folder is writable)")
    return 1


def run_guarded(main: object) -> None:
    quiet_logging()
    try:
        main()  # type: ignore[operator]
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - the boundary: nothing below it reaches the user raw
        sys.exit(report(exc))


def leave(code: object) -> NoReturn:
    """End the process once a command is done: exit handlers run and the streams are flushed, but Python does
    not tear its objects down one by one. With the fonts' character maps and the rule sets loaded, that teardown
    alone took 0.25 s at the end of every `daihuo make`. While a thread the command started is still running
    (a server's), the normal exit runs instead, which waits for it."""
    if isinstance(code, str):  # sys.exit("message"): printed, exit status 1, as Python does it
        print(code, file=sys.stderr)
    status = code if isinstance(code, int) else (0 if code is None else 1)
    main = threading.main_thread()
    if any(t is not main and not t.daemon and t.is_alive() for t in threading.enumerate()):
        sys.exit(status)
    atexit._run_exitfuncs()  # logging's shutdown, pools, temp-folder finalizers: everything registered
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe or stream: nothing can reach it anyway
            stream.flush()
    os._exit(status)
