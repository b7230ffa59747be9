"""The clip's soundtrack: the voice track with the edit's sound effects mixed under it, at −16 LUFS.

The voice track arrives finished (speech, ducked music, normalised to −16 LUFS integrated). Effects land
mostly in the pauses between lines, so they raise the integrated loudness a little; the mix is measured with
ffmpeg's EBU R128 meter and brought back to the target with one gain, and peaks are held under −1 dBFS.
The track is also padded with silence when the picture runs longer than the voice (an end-card hold).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np

from generator.errors import DaihuoError
from generator.ffmpeg_errors import check_ffmpeg
from generator.models import SoundCue
from generator.video.sfx import RATE, sound

TARGET_LUFS = -16.0
PEAK = 0.89  # −1 dBFS


class SoundError(DaihuoError, RuntimeError):
    default_fix = "check that ffmpeg is installed (make setup) and that the voice track is a readable audio file"


def mix_soundtrack(voice: Path, cues: list[SoundCue], duration: float, out: Path) -> Path:
    """Write `out` (WAV, 48 kHz stereo): `voice` plus `cues`, `duration` seconds long, at −16 LUFS.

    With no cues and nothing to pad, the voice track is used as it is (returned unchanged).
    """
    audio = _decode(voice)
    length = int(round(duration * RATE))
    if not cues and abs(audio.shape[0] - length) < RATE // 100:
        return voice
    mix = np.zeros((length, 2), dtype=np.float32)
    n = min(length, audio.shape[0])
    mix[:n] = audio[:n]
    for cue in cues:
        effect = sound(cue.sound) * np.float32(10 ** (cue.gain_db / 20))
        start = int(round(cue.t * RATE))
        if start >= length:
            continue
        end = min(length, start + effect.size)
        mix[start:end] += effect[:end - start, None]
    measured = integrated_loudness(mix)
    if measured is not None and np.isfinite(measured):
        mix *= np.float32(10 ** ((TARGET_LUFS - measured) / 20))
    _hold_peaks(mix)
    _write(out, mix)
    return out


def _decode(path: Path) -> np.ndarray:
    proc = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "2", "-ar", str(RATE), "-"],
                          capture_output=True, timeout=300)
    if proc.returncode != 0:
        raise SoundError(f"could not read the voice track {path}: {proc.stderr.decode(errors='replace').strip()[-300:]}")
    return np.frombuffer(proc.stdout, dtype=np.float32).reshape(-1, 2).copy()


def integrated_loudness(stereo: np.ndarray) -> float | None:
    """EBU R128 integrated loudness (LUFS) of float stereo samples, measured by ffmpeg's ebur128 filter."""
    proc = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-f", "f32le", "-ac", "2", "-ar", str(RATE), "-i", "-",
         "-af", "ebur128", "-f", "null", "-"], input=stereo.astype(np.float32).tobytes(), capture_output=True,
        timeout=300)
    text = proc.stderr.decode(errors="replace")
    found = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", text[text.rfind("Summary:"):])
    if proc.returncode != 0 or not found or found.group(1) == "-inf":
        return None
    return float(found.group(1))


def _hold_peaks(mix: np.ndarray, block: int = 240) -> None:
    """Scale down 5 ms blocks whose peak passes −1 dBFS, with the gain smoothed between blocks."""
    peaks = np.abs(mix).max(axis=1)
    n = peaks.size // block * block
    if n == 0 or peaks.max() <= PEAK:
        np.clip(mix, -PEAK, PEAK, out=mix)
        return
    block_peak = np.maximum(peaks[:n].reshape(-1, block).max(axis=1), 1e-9)
    gain = np.minimum(1.0, PEAK / block_peak)
    gain = np.minimum(gain, np.concatenate([gain[1:], gain[-1:]]))  # look one block ahead
    gain = np.minimum(gain, np.concatenate([gain[:1], gain[:-1]]))
    smooth = np.repeat(gain, block).astype(np.float32)
    mix[:n] *= smooth[:, None]
    np.clip(mix, -PEAK, PEAK, out=mix)


def _write(path: Path, mix: np.ndarray) -> None:
    pcm = (np.clip(mix, -1, 1) * 32767).astype("<i2")
    proc = subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "s16le", "-ac", "2", "-ar", str(RATE), "-i", "-",
                           "-c:a", "pcm_s16le", str(path)], input=pcm.tobytes(), capture_output=True, timeout=300)
    check_ffmpeg(proc.returncode, proc.stderr.decode(errors="replace"), f"write the soundtrack {path.name}", SoundError)
