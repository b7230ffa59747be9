"""Peak memory of this process and its child processes (the ffmpeg encoder), sampled from /proc.

`resource.getrusage(RUSAGE_CHILDREN).ru_maxrss` is no good here: on Linux a child's maxrss starts at the
parent's RSS at fork time, so a small ffmpeg forked from a big Python reads as big as Python. VmHWM in
/proc/<pid>/status is per address space and restarts at exec, so it is the child's own peak.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import TracebackType


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the parent pid is the 2nd field after the last ")".
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 1 and fields[1] == str(pid):
            kids.append(int(entry.name))
    return kids


class PeakMemory:
    """Context manager: samples every `interval` s; `.result()` gives MB figures after exit."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.pid = os.getpid()
        self.concurrent_kb = 0  # the largest sampled sum of this process and its children
        self.child_hwm_kb: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        total = _status_kb(self.pid, "VmRSS")
        for kid in _children(self.pid):
            total += _status_kb(kid, "VmRSS")
            self.child_hwm_kb[kid] = max(self.child_hwm_kb.get(kid, 0), _status_kb(kid, "VmHWM"))
        self.concurrent_kb = max(self.concurrent_kb, total)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> PeakMemory:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()

    def result(self) -> dict[str, float]:
        python = _status_kb(self.pid, "VmHWM")
        child = max(self.child_hwm_kb.values(), default=0)
        return {"peak_rss_mb": round((python + child) / 1024, 1), "python_rss_mb": round(python / 1024, 1),
                "ffmpeg_rss_mb": round(child / 1024, 1),
                "sampled_concurrent_rss_mb": round(self.concurrent_kb / 1024, 1)}
