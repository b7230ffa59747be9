"""Loudness: every voice track leaves at -16 LUFS integrated (the usual target for mobile short video), stereo
48 kHz, with true peaks kept near -1.5 dBTP.

Two ffmpeg runs, both measuring with the EBU R128 meter (ebur128): the first measures the compressed mix,
the second applies the gain that reaches the target, a peak limiter, and measures what it wrote. ffmpeg's
loudnorm filter did the same work in three to five runs, each resampling to 192 kHz for its true-peak
detector (about 0.7 s per run on a 30 s track here); the meter alone costs a fraction of that. Mastering reads
only the integrated level, so its meter runs without the true-peak detector (which resamples ×4 and was two
thirds of each run: 0.22 → 0.08 s on a 30 s track), and without its ten log lines a second.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from generator.errors import DaihuoError
from generator.ffmpeg_errors import check_ffmpeg

TARGET_LUFS = -16.0
TRUE_PEAK_DB = -1.5
RATE = 48000
# Speech from TTS engines has sharp peaks; a gentle compressor first lets the gain reach the target without the
# limiter working hard.
PRE_CHAIN = "acompressor=threshold=-21dB:ratio=4:attack=5:release=80:makeup=3"
STEREO = f"aformat=sample_fmts=fltp:sample_rates={RATE}:channel_layouts=stereo"
# The limiter works on sample peaks; half a dB below the true-peak ceiling leaves room for inter-sample peaks.
LIMIT = 10 ** ((TRUE_PEAK_DB - 0.5) / 20)
TOLERANCE = 0.3


class LoudnessError(DaihuoError, RuntimeError):
    default_fix = "check that ffmpeg is installed and the voice audio is readable"


def normalise_loudness(src: Path, dst: Path, target: float = TARGET_LUFS) -> float:
    """Write `src` to `dst` at `target` LUFS (stereo 48 kHz, atomically); returns the measured output LUFS."""
    level, _ = measure(src, f"{PRE_CHAIN},{STEREO}", true_peak=False)
    tmp = dst.with_suffix(".tmp.wav")
    try:
        measured = _apply(src, tmp, f"{PRE_CHAIN},{STEREO}", target - level)
        if abs(measured - target) > TOLERANCE:  # the limiter took off more than expected: trim once more
            again = dst.with_suffix(".trim.wav")
            measured = _apply(tmp, again, STEREO, target - measured)
            os.replace(again, tmp)
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
    return measured


LEVEL_ONLY = "ebur128=framelog=verbose"  # the integrated level; per-frame lines only at -v verbose


def measure(src: Path, chain: str = "anull", *, true_peak: bool = True) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of `src` after `chain`, by ffmpeg's ebur128 meter; the peak is -inf
    when `true_peak` is off."""
    meter = "ebur128=peak=true:framelog=verbose" if true_peak else LEVEL_ONLY
    return _summary(_ffmpeg(["-i", str(src), "-af", f"{chain},{meter}", "-f", "null", "-"]))


def _apply(src: Path, dst: Path, chain: str, gain_db: float) -> float:
    af = f"{chain},volume={gain_db:.2f}dB,alimiter=limit={LIMIT:.4f}:level=false,{LEVEL_ONLY}"
    return _summary(_ffmpeg(["-i", str(src), "-af", af, "-ar", str(RATE), "-ac", "2", "-c:a", "pcm_s16le", str(dst)]))[0]


def _summary(log: str) -> tuple[float, float]:
    summary = log[log.rfind("Summary:"):]
    level = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    peak = re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    if not level:
        raise LoudnessError("ffmpeg's loudness meter gave no reading")
    return float(level.group(1)), float(peak.group(1)) if peak else float("-inf")  # float() reads "-inf"


def _ffmpeg(args: list[str]) -> str:
    proc = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-y", *args], capture_output=True, text=True,
                          timeout=300)
    check_ffmpeg(proc.returncode, proc.stderr, "measure or write the voice track", LoudnessError)
    return proc.stderr
