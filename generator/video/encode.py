"""The encode: which encoder, with which settings, and how raw frames reach ffmpeg — in one piece or in chunks.

One x264 encode of a 1080p clip keeps two cores only 150–185 % busy (its frame threads wait on each other and
on their input), and the compositor feeding it waits on the pipe. With `render_chunks` > 1 a clip long enough for
it is encoded in CHUNKS: consecutive runs of frames, each starting on a keyframe, encoded at the same time by
separate ffmpeg processes (each fed by its own compositor thread), then joined without re-encoding (ffmpeg's
concat demuxer, stream copy) in the pass that adds the sound and writes the metadata. Because the keyframe
interval is fixed (`-g`, `-keyint_min`, `-sc_threshold 0`) and every chunk starts on a multiple of it, the joined
stream has exactly the keyframes one encode would have; x264's rate control restarts at each chunk, which at a
fixed CRF changes nothing a viewer can see. On 2 cores it measured slower than one encode (two compositors and
two encoders of one clip contend, and the join is one more pass), so it is off by default: there, rendering two
whole clips at once fills the cores instead (generator/pipeline/runners.py). docs/bench.md has the measurements.

The sound is never in the video encode: it is mixed and encoded to AAC on a side thread while the frames encode
(a 30 s soundtrack costs about 1.4 CPU-s of AAC and 0.4 s of mixing, which used to stand in front of the first
frame), and the last pass copies both streams into the clip.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from generator.ffmpeg_errors import check_ffmpeg
from generator.platforms import Preset
from generator.settings import Settings
from generator.video.yuv import COLOR_TAGS

MIN_CHUNK_GOPS = 4  # shorter chunks are not worth another process (8 s at the usual 2 s keyframe interval)


@cache
def nvenc_available() -> bool:
    """True when ffmpeg has h264_nvenc and a GPU accepts a tiny test encode."""
    if not shutil.which("ffmpeg"):
        return False
    probe = subprocess.run(
        ["ffmpeg", "-hide_banner", "-v", "error", "-f", "lavfi", "-i", "color=black:s=256x256:d=0.1",
         "-c:v", "h264_nvenc", "-f", "null", "-"], capture_output=True, timeout=30,
    )
    return probe.returncode == 0


def choose_encoder(settings: Settings) -> str:
    if settings.encoder == "auto":
        return "h264_nvenc" if nvenc_available() else "libx264"
    return settings.encoder


@dataclass(frozen=True)
class EncodeArgs:
    """ffmpeg arguments of a clip's encode: the video encoder's, the audio encoder's, the container's (tags)."""

    preset: str  # the encoder's -preset
    video: list[str]
    audio: list[str]
    container: list[str]

    @property
    def output(self) -> list[str]:
        return [*self.audio, *self.container]

    @property
    def all(self) -> list[str]:
        return [*self.video, *self.output]


def encode_args(encoder: str, preset: Preset, settings: Settings, aigc_json: str) -> EncodeArgs:
    gop = str(keyframe_interval(preset))
    video = ["-pix_fmt", "yuv420p", "-g", gop, "-keyint_min", gop, "-sc_threshold", "0", *COLOR_TAGS]
    if encoder == "h264_nvenc":
        name, video = "p5", [*video, "-profile:v", "high", "-rc", "vbr", "-cq", "23", "-b:v", "0", "-bf", "2"]
    else:
        name, video = settings.x264_preset, [*video, "-profile:v", "high", "-crf", str(settings.crf), "-bf", "2"]
    if settings.threads:
        video += ["-threads", str(settings.threads)]
    audio = ["-ar", str(preset.audio_rate), "-ac", "2", "-b:a", "160k"]
    container = ["-movflags", "+faststart+use_metadata_tags", "-metadata", f"AIGC={aigc_json}"]
    return EncodeArgs(name, video, audio, container)


def encoder_params(encoder: str, preset: Preset, settings: Settings, aigc_json: str) -> tuple[str, list[str]]:
    """(ffmpeg preset, extra output args) of one whole encode. One place, so renders and the benchmark floor
    use the same settings."""
    args = encode_args(encoder, preset, settings, aigc_json)
    return args.preset, args.all


def keyframe_interval(preset: Preset) -> int:
    return int(round(preset.fps * preset.gop_seconds))


def chunk_ranges(n_frames: int, gop: int, chunks: int) -> list[tuple[int, int]]:
    """Frame ranges [first, end) of about equal length that cover the clip, each starting on a keyframe.

    One range when chunks <= 1 or the clip is too short for each chunk to hold MIN_CHUNK_GOPS keyframe intervals.
    """
    gops = -(-n_frames // max(1, gop))
    count = min(chunks, gops // MIN_CHUNK_GOPS)
    if count <= 1:
        return [(0, n_frames)]
    bounds = [round(gops * k / count) * gop for k in range(count)] + [n_frames]
    return list(zip(bounds, bounds[1:], strict=False))


def raw_input(width: int, height: int, fps: int) -> list[str]:
    return ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}", "-r", str(fps), "-i", "-"]


def encode_audio(soundtrack: Path, args: EncodeArgs, out: Path) -> Path:
    """The soundtrack encoded to AAC in its own file (OUT, .m4a), for `join_parts` to copy into the clip."""
    run_ffmpeg(["ffmpeg", "-y", "-v", "error", "-i", str(soundtrack), "-c:a", "aac", *args.audio, str(out)],
               "encode the soundtrack")
    return out


def join_parts(parts: list[Path], audio: Path, args: EncodeArgs, out: Path) -> None:
    """The video parts (one, or the chunks in order) and the encoded audio joined into OUT by stream copy, in the
    pass that writes the metadata and moves the index to the front."""
    listing = out.with_name(out.name + ".parts.txt")
    # The concat demuxer's list format: one quoted path per line, quotes in the path escaped.
    listing.write_text("".join("file '" + str(p.resolve()).replace("'", "'\\''") + "'\n" for p in parts),
                       encoding="utf-8")
    try:
        run_ffmpeg(["ffmpeg", "-y", "-v", "error", "-f", "concat", "-safe", "0", "-i", str(listing),
                    "-i", str(audio), "-map", "0:v:0", "-map", "1:a:0", "-c", "copy", *args.container, str(out)],
                   "join the clip's video and sound")
    finally:
        listing.unlink(missing_ok=True)


def run_ffmpeg(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, timeout=600)
    check_ffmpeg(proc.returncode, proc.stderr.decode("utf-8", "replace"), what)


def stream_frames(cmd: list[str], frames: Iterator[np.ndarray], spent: dict[str, float]) -> None:
    """Write each raw frame to ffmpeg's stdin; raise with ffmpeg's own message when it fails.

    `spent["frames"]` grows by the seconds spent composing frames (the iterator's own time)."""
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors)
        assert proc.stdin is not None
        _widen_pipe(proc.stdin.fileno())
        try:
            while True:
                start = time.perf_counter()
                frame = next(frames, None)
                spent["frames"] += time.perf_counter() - start
                if frame is None:
                    break
                proc.stdin.write(memoryview(frame))  # no copy: the buffer goes straight to the pipe
            proc.stdin.close()
        except BrokenPipeError:
            pass  # ffmpeg stopped reading: its exit status and message say why
        finally:
            if not proc.stdin.closed and proc.poll() is None:
                proc.kill()  # the frames failed (an exception): do not leave ffmpeg waiting for more
            code = proc.wait()
        errors.seek(0)
        check_ffmpeg(code, errors.read().decode("utf-8", "replace"), "encode the clip")


def _widen_pipe(fd: int) -> None:
    """A 1 MiB pipe instead of 64 KiB: far fewer context switches per 3 MB frame (Linux only, best effort)."""
    try:
        size = int(Path("/proc/sys/fs/pipe-max-size").read_text())
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, min(size, 1 << 20))
    except (OSError, ValueError, AttributeError):
        pass
