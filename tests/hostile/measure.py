"""Run one read in a fresh child process and measure it: wall time and peak memory above the baseline.

The figure is the child's peak resident memory during the read above its resident memory just before it
(Linux: the peak is reset through /proc/self/clear_refs after the imports), so it is what the read itself
cost. A child also keeps a runaway read (a bomb) from taking the test process down with it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_CHILD = r"""
import json, sys, time
from pathlib import Path
from generator.settings import SheetLimits
from generator.sheets import read_sheet
import openpyxl, yaml  # imported up front: their import is not the read's cost

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])  # kB

limits = SheetLimits(**json.loads(sys.argv[2]))
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current RSS
before = status("VmRSS")
start = time.monotonic()
try:
    result = read_sheet(Path(sys.argv[1]), limits=limits)
    answer = {"products": len(result.products), "errors": [str(e) for e in result.errors[:5]],
              "error_count": len(result.errors), "warnings": result.warnings[:20]}
except Exception as exc:  # what a user would see: the type says whether it was a clear SheetError
    answer = {"raised": type(exc).__name__, "message": str(exc)[:500]}
answer["seconds"] = time.monotonic() - start
answer["extra_mb"] = (status("VmHWM") - before) / 1024
print(json.dumps(answer))
"""


@dataclass(frozen=True)
class Measured:
    answer: dict
    seconds: float
    extra_mb: float
    killed: bool


def measure_read(path: Path, *, timeout: float = 30.0, memory_mb: int = 1500, code: Path = ROOT, **limits: object) -> Measured:
    """read_sheet(path) in a child limited to TIMEOUT seconds and MEMORY_MB of address space above Python's,
    importing the generator package of the checkout at CODE (this one by default)."""
    cmd = [sys.executable, "-c", _CHILD, str(path), json.dumps(limits)]
    limit = f"ulimit -v {(memory_mb + 1500) * 1024}; exec \"$@\""
    try:
        proc = subprocess.run(["bash", "-c", limit, "bash", *cmd], capture_output=True, text=True,
                              timeout=timeout, cwd=code)
    except subprocess.TimeoutExpired:
        return Measured({"raised": "Timeout"}, timeout, float("nan"), True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return Measured({"raised": "Crashed", "stderr": proc.stderr[-800:]}, float("nan"), float("nan"), True)
    answer = json.loads(lines[-1])
    return Measured(answer, answer["seconds"], answer["extra_mb"], False)
