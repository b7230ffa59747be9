"""One base for every error a user may see: what went wrong (`problem`) and what to do about it (`fix`).

Every entry point (CLI, API, worker) turns a DaihuoError into the same one-line message, `problem — fix`,
and never shows a traceback for one. Errors that are not DaihuoErrors are bugs or environment failures;
entry points still show them as one line, and the logs keep the traceback.
"""

from __future__ import annotations


class DaihuoError(Exception):
    """A failure with a message for people: `problem` says what happened, `fix` what to do next."""

    default_fix = ""

    def __init__(self, problem: str, fix: str | None = None) -> None:
        self.problem = problem
        self.fix = fix or self.default_fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"{self.problem} — {self.fix}" if self.fix else self.problem

    def __str__(self) -> str:
        return self.message


def one_line(exc: BaseException) -> str:
    """The message an entry point shows for any exception: no traceback, no multi-line noise."""
    if isinstance(exc, DaihuoError):
        text = exc.message
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return first[:500]
