"""Live play-out: one long-running encoder pushes the stream; segments reach it as raw frames, slice by slice.

Why this shape (measured in bench/live.py): the encoder reads raw yuv420p video and s16le audio from two
FIFOs, so its timestamps come from frame and sample counts and cannot jump at a join, and every segment joins
the same H.264 stream (no new stream header or timestamp reset at the receiver). Each slice of a segment (a
few spoken lines, [start, end) seconds) is decoded by a short-lived ffmpeg that writes *exactly* its frames and
samples into the FIFOs (tpad/apad pad a short file, -frames:v/atrim cut a long one), scaled to the stream size.
The encoder runs with -re, so it pushes in real time; while a decoder starts up the encoder still holds about
a second of frames in its input queue, and if a decoder is late the encoder waits (no frame is repeated,
none is black). We hold a write end of both FIFOs open for the whole session, so the end of one decoder is
not an end of file for the encoder. The encoder draws nothing itself: every segment carries the platform's
AI label, burned into every frame by the renderer that made it.

When the ingest drops, the encoder exits; the slice that was playing is played again into a new encoder after
a backoff (1 s, 2 s, 4 s ... 30 s), and `retries` consecutive failures raise StreamError.
"""

from __future__ import annotations

import contextlib
import fcntl
import heapq
import os
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from generator.loop.media import MediaError, _tool, probe
from generator.loop.stream import StreamError, output_format

F_SETPIPE_SZ = 1031  # Linux fcntl: the FIFO's buffer size
HEALTHY_SECONDS = 10.0  # an encoder that ran this long resets the failure count
STALL_SECONDS = 15.0    # an encoder that reports no progress this long (an ingest that stopped reading) is restarted
CONNECT_SECONDS = 15.0  # extra time for the first progress report (connecting, the first frames)
# Opening an input makes ffmpeg read its first bytes (an ID3 probe), so a starting encoder waits on the audio
# FIFO while a decoder may be waiting for the video FIFO to drain: each waits for the other. These silent
# samples, written before the encoder starts and trimmed off by it, let it open the audio input at once.
PREROLL_SAMPLES = 1024


class SliceError(MediaError):
    """One segment file could not be played; the stream goes on with the next."""


@dataclass(frozen=True)
class StreamFormat:
    width: int
    height: int
    fps: int
    sample_rate: int = 48000
    video_bitrate: str = "2500k"
    preset: str = "veryfast"

    @property
    def frame_bytes(self) -> int:
        return self.width * self.height * 3 // 2


def pipe_bytes(wanted: int) -> int:
    """A FIFO size the kernel accepts: a power of two from 64 KiB to 1 MiB."""
    size = 1 << 16
    while size < wanted and size < 1 << 20:
        size <<= 1
    return size


def bitrate_for(width: int, height: int) -> str:
    """2500 kbit/s at 1080×1920, scaled by pixel count, at least 300 kbit/s."""
    return f"{max(300, round(2500 * width * height / (1080 * 1920)))}k"


@lru_cache(maxsize=512)
def _has_audio(path: str, mtime_ns: int) -> bool:
    return any(s.get("codec_type") == "audio" for s in probe(path).get("streams", []))


def decoder_command(path: Path, start: float, frames: int, samples: int, fmt: StreamFormat,
                    video_out: str, audio_out: str) -> list[str]:
    """ffmpeg writing exactly `frames` raw frames and `samples` stereo samples of `path` from `start` seconds."""
    seconds = frames / fmt.fps
    w, h = fmt.width, fmt.height
    vf = (f"fps={fmt.fps},scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,"
          f"setsar=1,format=yuv420p,tpad=stop_mode=clone:stop_duration={seconds + 2:.3f}")
    af = (f"aresample={fmt.sample_rate},aformat=sample_fmts=s16:channel_layouts=stereo,"
          f"apad=whole_len={samples},atrim=end_sample={samples}")
    args = [_tool("ffmpeg"), "-hide_banner", "-nostdin", "-v", "error", "-ss", f"{start:.3f}",
            "-t", f"{seconds + 0.5:.3f}", "-i", str(path)]
    audio_map = "0:a:0"
    if not _has_audio(str(path), path.stat().st_mtime_ns):
        args += ["-f", "lavfi", "-i", f"anullsrc=r={fmt.sample_rate}:cl=stereo"]
        audio_map = "1:a:0"
    return args + ["-map", "0:v:0", "-vf", vf, "-frames:v", str(frames), "-f", "rawvideo", "-y", video_out,
                   "-map", audio_map, "-af", af, "-ac", "2", "-f", "s16le", "-y", audio_out]


def encoder_command(video_in: str, audio_in: str, url: str, fmt: StreamFormat) -> list[str]:
    # Raw inputs need no probing (and probing one FIFO while the decoder writes the other would deadlock).
    # The input queues hold about a second: enough to cover a decoder's start, short enough that an answer
    # queued at a boundary is on air about a second later.
    raw_in = ["-re", "-probesize", "32", "-analyzeduration", "0", "-thread_queue_size"]
    args = [_tool("ffmpeg"), "-hide_banner", "-nostdin", "-v", "error", "-stats_period", "0.2",
            "-progress", "pipe:1",
            *raw_in, str(max(8, fmt.fps)), "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{fmt.width}x{fmt.height}",
            "-framerate", str(fmt.fps), "-i", video_in,
            *raw_in, str(max(8, fmt.sample_rate // 1024)), "-f", "s16le", "-ar", str(fmt.sample_rate), "-ac", "2", "-i", audio_in,
            "-af", f"atrim=start_sample={PREROLL_SAMPLES},asetpts=PTS-STARTPTS",
            "-c:v", "libx264", "-preset", fmt.preset, "-tune", "zerolatency", "-pix_fmt", "yuv420p",
            "-b:v", fmt.video_bitrate, "-maxrate", fmt.video_bitrate, "-bufsize", fmt.video_bitrate,
            "-g", str(2 * fmt.fps), "-c:a", "aac", "-b:a", "128k", "-ar", str(fmt.sample_rate), "-ac", "2"]
    muxer = output_format(url)
    if muxer == "flv":
        args += ["-flvflags", "no_duration_filesize"]
    if muxer:
        args += ["-f", muxer]
    return args + ["-y", url]


@dataclass
class _Encoder:
    proc: subprocess.Popen
    video_fd: int
    audio_fd: int
    started: float
    base_frames: int  # frames fed before this encoder started (its timestamps start at 0)
    last_progress: float = 0.0
    encoded: float = 0.0  # stream seconds this encoder has encoded (its own timestamps)
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=20))


class Playout:
    """Feed slices of segment files to one live encoder; `position` is the stream time fed so far (seconds).

    `mark(t, fn)` calls fn(wall-clock time) once the encoder has encoded stream time t: that is when a frame goes
    on air (to within the encoder's progress period, 0.2 s). `on_air_at` is the wall-clock time of the first
    encoded frame.
    """

    def __init__(self, url: str, fmt: StreamFormat, *, workdir: Path, retries: int = 20,
                 backoff: float = 1.0, backoff_max: float = 30.0, log: Callable[[str], None] = lambda _m: None):
        self.url, self.fmt, self.retries, self.log = url, fmt, retries, log
        self.backoff, self.backoff_max = backoff, backoff_max
        workdir.mkdir(parents=True, exist_ok=True)
        self._dir = Path(tempfile.mkdtemp(prefix="playout-", dir=workdir))
        self.frames = 0
        self.restarts = 0
        self.errors: list[str] = []
        self.on_air_at: float | None = None
        self._encoder: _Encoder | None = None
        self._failures = 0
        self._marks: list[tuple[float, int, Callable[[float], None]]] = []
        self._mark_seq = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    @property
    def position(self) -> float:
        return self.frames / self.fmt.fps

    def mark(self, stream_time: float, fn: Callable[[float], None]) -> None:
        with self._lock:
            self._mark_seq += 1
            heapq.heappush(self._marks, (stream_time, self._mark_seq, fn))

    def play(self, path: Path, start: float, end: float) -> float:
        """Feed [start, end) seconds of `path` (padded with its last frame and silence past its end); returns
        the stream seconds fed (0 once `stop()` was called). Blocks until the decoder has handed its last frame
        to the encoder. A file ffmpeg cannot decode raises SliceError (the stream itself goes on)."""
        # Frame numbers of the file, not rounded lengths: slices [a, b) and [b, c) add up to [a, c).
        frames = max(1, round(end * self.fmt.fps) - round(start * self.fmt.fps))
        while not self._stopping.is_set():
            encoder = self._ensure_encoder()
            f0, f1 = self.frames, self.frames + frames
            rate = self.fmt.sample_rate / self.fmt.fps
            samples = round(f1 * rate) - round(f0 * rate)
            try:
                cmd = decoder_command(path, start, frames, samples, self.fmt, self._fifo("video"),
                                      self._fifo("audio"))
            except (OSError, MediaError) as exc:
                raise SliceError(f"cannot read {path.name}: {exc}") from None
            outcome, err = self._decode(cmd, encoder)
            if outcome == "ok":
                self.frames = f1
                return frames / self.fmt.fps
            if outcome == "decoder":
                # Part of a frame may be in the FIFOs: only a new encoder is sure to start on a frame boundary.
                self._reset(encoder)
                raise SliceError(f"ffmpeg could not decode {path.name}: {err}")
            if outcome == "encoder":
                self._encoder_failed(encoder, err)
        return 0.0

    def stop(self) -> None:
        """Make a running or later `play` return at once (any thread); `close()` then ends the stream."""
        self._stopping.set()

    def close(self) -> None:
        """End the stream: the encoder reads the end of both FIFOs, flushes and exits. Call it from the thread
        that plays (after `stop()` from any other)."""
        encoder, self._encoder = self._encoder, None
        if encoder is not None:
            os.close(encoder.video_fd)
            os.close(encoder.audio_fd)
            left = 0.0 if self._stopping.is_set() else self.position - encoder.base_frames / self.fmt.fps - encoder.encoded
            try:
                encoder.proc.wait(timeout=max(0.0, left) + 10)
            except subprocess.TimeoutExpired:
                encoder.proc.kill()
                encoder.proc.wait()
        for name in ("video", "audio"):
            Path(self._fifo(name)).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self._dir.rmdir()

    # -- internals ----------------------------------------------------------------------------------
    def _fifo(self, name: str) -> str:
        return str(self._dir / f"{name}.fifo")

    def _decode(self, cmd: list[str], encoder: _Encoder) -> tuple[str, str]:
        """("ok" | "decoder" | "encoder" | "stopped", error text)."""
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
        while True:
            try:
                _out, err = proc.communicate(timeout=0.25)
                break
            except subprocess.TimeoutExpired:
                stalled = time.monotonic() - encoder.last_progress > STALL_SECONDS
                if encoder.proc.poll() is not None or stalled or self._stopping.is_set():
                    proc.kill()
                    proc.communicate()
                    if self._stopping.is_set():
                        return "stopped", ""
                    tail = "".join(encoder.tail).strip()
                    return "encoder", tail or (f"no progress for {STALL_SECONDS:.0f}s" if stalled else "")
        if proc.returncode != 0:
            if encoder.proc.poll() is not None:
                return "encoder", "".join(encoder.tail).strip()
            return "decoder", (err or "").strip()[-300:]
        return "ok", ""

    def _reset(self, encoder: _Encoder) -> None:
        """Replace an encoder that is still running (not a failure of the ingest)."""
        if self._encoder is encoder:
            self._encoder = None
        self._release(encoder)
        self.restarts += 1

    @staticmethod
    def _release(encoder: _Encoder) -> None:
        for fd in (encoder.video_fd, encoder.audio_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        if encoder.proc.poll() is None:
            encoder.proc.kill()
        encoder.proc.wait()

    def _ensure_encoder(self) -> _Encoder:
        if self._encoder is not None and self._encoder.proc.poll() is None:
            return self._encoder
        if self._encoder is not None:
            self._encoder_failed(self._encoder, "".join(self._encoder.tail).strip())
        for name in ("video", "audio"):
            path = Path(self._fifo(name))
            path.unlink(missing_ok=True)
            os.mkfifo(path)
        # O_RDWR never blocks on a FIFO, and this write end keeps the encoder from seeing an end of file
        # between two decoders.
        fds = [os.open(self._fifo(n), os.O_RDWR) for n in ("video", "audio")]
        # Video: about a quarter second of frames in the FIFO (64 KiB to 1 MiB) on top of the encoder's input
        # queue: slack for a decoder's start, little delay for an answer. Audio: 1 MiB (5 s at 48 kHz), so a
        # decoder that writes its first samples before the encoder reads any never blocks on them (with the
        # default 64 KiB a decoder and a starting encoder can wait on each other for ever). Above
        # /proc/sys/fs/pipe-max-size the call fails and the default size serves.
        for fd, size in ((fds[0], pipe_bytes(self.fmt.frame_bytes * self.fmt.fps // 4)), (fds[1], 1 << 20)):
            with contextlib.suppress(OSError):
                fcntl.fcntl(fd, F_SETPIPE_SZ, size)
        os.write(fds[1], bytes(PREROLL_SAMPLES * 4))
        cmd = encoder_command(self._fifo("video"), self._fifo("audio"), self.url, self.fmt)
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        encoder = _Encoder(proc, fds[0], fds[1], time.monotonic(), self.frames,
                           last_progress=time.monotonic() + CONNECT_SECONDS)
        threading.Thread(target=self._follow, args=(encoder,), daemon=True, name="playout-progress").start()
        threading.Thread(target=lambda: encoder.tail.extend(proc.stderr or []), daemon=True,
                         name="playout-stderr").start()
        self._encoder = encoder
        return encoder

    def _follow(self, encoder: _Encoder) -> None:
        """Read the encoder's -progress output: first frame on air, and the marks it has passed."""
        for line in encoder.proc.stdout or []:
            if not line.startswith("out_time_us=") or line.strip() == "out_time_us=N/A":
                continue
            encoder.encoded = max(0, int(line.split("=", 1)[1])) / 1e6
            encoded = encoder.encoded + encoder.base_frames / self.fmt.fps
            now = time.time()
            encoder.last_progress = max(encoder.last_progress, time.monotonic())
            if self.on_air_at is None and encoded > 0:
                self.on_air_at = now
            due = []
            with self._lock:
                while self._marks and self._marks[0][0] <= encoded + 1e-6:
                    due.append(heapq.heappop(self._marks)[2])
            for fn in due:
                fn(now)

    def _encoder_failed(self, encoder: _Encoder, err: str) -> None:
        if self._encoder is encoder:
            self._encoder = None
        self._release(encoder)
        ran = time.monotonic() - encoder.started
        self._failures = 1 if ran >= HEALTHY_SECONDS else self._failures + 1
        message = err.splitlines()[-1] if err.strip() else f"encoder exit {encoder.proc.returncode}"
        self.errors.append(message)
        if self._failures > self.retries:
            raise StreamError(f"gave up after {self.retries} failed attempts to stream to {self.url}: {message}",
                              "check the ingest URL and the network, then start again")
        wait = min(self.backoff_max, self.backoff * 2 ** (self._failures - 1))
        self.log(f"stream dropped at {self.position:.1f}s ({message}); reconnecting in {wait:.0f}s")
        self.restarts += 1
        self._stopping.wait(wait)


def check_tools() -> None:
    """Fail early, in one line, when ffmpeg is missing."""
    try:
        _tool("ffmpeg")
        _tool("ffprobe")
    except MediaError as exc:
        raise StreamError(str(exc)) from None
