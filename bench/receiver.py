"""A local ingest for the live-room tests and bench/live.py: ffmpeg listening on 127.0.0.1, and what it received.

`Receiver` records the stream to a file with stream copy and follows ffmpeg's -progress output, so a test knows
the wall-clock time the first frame arrived and can map any stream time back to a wall-clock time.
`joins` checks packet timestamps for gaps; `black_spans` / `black_or_frozen` run ffmpeg's blackdetect (and
freezedetect) over the received file.
"""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """`ffmpeg -listen 1` on an RTMP URL (flv), or a TCP MPEG-TS listener; the stream goes to `out`."""

    def __init__(self, out: Path, *, rtmp: bool = True, port: int | None = None) -> None:
        port = port or free_port()
        self.port = port
        self.out = out
        self.url = f"rtmp://127.0.0.1:{port}/live/test" if rtmp else f"tcp://127.0.0.1:{port}"
        listen = ["-listen", "1", "-f", "flv", "-i", self.url] if rtmp else \
            ["-analyzeduration", "500000", "-probesize", "200000", "-f", "mpegts", "-i", f"{self.url}?listen=1"]
        self.proc = subprocess.Popen(
            ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-progress", "pipe:1", "-stats_period", "0.2",
             *listen, "-c", "copy", "-y", str(out)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.first_frame: float | None = None   # wall-clock time (time.time()) the first frame was written
        self.progress: list[tuple[float, float]] = []  # (wall clock, stream seconds written)
        self._reader = threading.Thread(target=self._follow, daemon=True)
        self._reader.start()
        time.sleep(0.5)  # listening

    def _follow(self) -> None:
        for line in self.proc.stdout or []:
            m = re.match(r"out_time_us=(\d+)", line)
            if m:
                t = int(m.group(1)) / 1e6
                now = time.time()
                if t > 0 and self.first_frame is None:
                    self.first_frame = now
                self.progress.append((now, t))

    def wait_first_frame(self, timeout: float) -> float | None:
        end = time.time() + timeout
        while self.first_frame is None and time.time() < end and self.proc.poll() is None:
            time.sleep(0.1)
        return self.first_frame

    def stream_time_at(self, wall: float) -> float:
        """Stream seconds the receiver had written at wall-clock time `wall` (interpolated)."""
        points = list(self.progress)
        before = [p for p in points if p[0] <= wall]
        if not before:
            return 0.0
        w0, t0 = before[-1]
        return t0 + (wall - w0)

    def wait(self, timeout: float) -> str:
        try:
            _out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            _out, err = self.proc.communicate(timeout=10)
        self._reader.join(timeout=2)
        return err or ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.wait(10)


def packet_times(path: Path, stream: str) -> list[float]:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", stream, "-show_entries", "packet=pts_time",
                          "-of", "csv=p=0", str(path)], capture_output=True, text=True, check=True).stdout
    return sorted(float(x.strip().strip(",")) for x in out.splitlines() if x.strip().strip(",") not in ("", "N/A"))


def joins(times: list[float], step: float, slack: float = 0.5) -> list[tuple[float, float]]:
    """Places where consecutive timestamps are further apart than `step` × (1 + slack): gaps in the stream."""
    return [(a, b) for a, b in zip(times, times[1:], strict=False) if b - a > step * (1 + slack)]


def _detect(path: Path, vf: str, key: str) -> list[str]:
    proc = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-v", "info", "-i", str(path), "-an", "-vf", vf,
                           "-f", "null", "-"], capture_output=True, text=True)
    return [line for line in proc.stderr.splitlines() if key in line]


def black_spans(path: Path, seconds: float = 0.1) -> list[str]:
    """blackdetect: spans of at least `seconds` where 98 % of the picture is black."""
    return _detect(path, f"blackdetect=d={seconds}:pic_th=0.98:pix_th=0.10", "black_start")


def black_or_frozen(path: Path, black_s: float = 0.1, frozen_s: float = 2.0) -> list[str]:
    """blackdetect and freezedetect (no pixel change for `frozen_s` seconds, noise floor -60 dB) in one pass."""
    return _detect(path, f"blackdetect=d={black_s}:pic_th=0.98:pix_th=0.10,freezedetect=n=-60dB:d={frozen_s}",
                   "_start")
