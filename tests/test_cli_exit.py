"""The `daihuo` process ends as soon as its command is done (generator/cli/errors.py `leave`), and ending early
loses nothing: the exit status, every byte written to stdout and stderr, and no traceback. (The log file's
handler writes each record as it comes, and the exit handlers, logging's shutdown among them, still run.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def daihuo(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator.cli", *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120, **kwargs)  # type: ignore[call-overload]


def test_a_command_keeps_its_exit_status_and_all_of_its_output() -> None:
    done = daihuo("lint", "examples/banned_claims.csv", "--json")
    assert done.returncode == 1, done.stderr  # blocking findings
    report = json.loads(done.stdout)  # the whole document arrived: cut short, it would not parse
    assert report and "Traceback" not in done.stderr


def test_help_and_usage_errors_keep_their_statuses() -> None:
    assert daihuo("--help").returncode == 0
    missing = daihuo("make", "no-such-sheet.csv")
    assert missing.returncode == 2 and "no-such-sheet.csv" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_a_reader_that_goes_away_early_gets_no_traceback() -> None:
    """`daihuo lint … | head -1`: the pipe closes before the output is written; the process still ends quietly."""
    shell = f"{sys.executable} -m generator.cli lint examples/banned_claims.csv | head -c 10"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", shell], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=120)
    assert len(done.stdout) == 10 and "Traceback" not in done.stderr, done.stderr

