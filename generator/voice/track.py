"""Assemble one voice track from per-line audio: timing, ducked music, loudness normalisation.

Lines are placed back to back with short pauses (longer between beats), so every caption knows exactly when
its line is spoken. Music, when asked for, loops under the whole track and dips under speech. The mix is
normalised to -16 LUFS integrated (generator.voice.loudness). Lines are spoken concurrently (a bounded thread
pool) and placed in script order, so timings do not depend on which line finished first.
"""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydub import AudioSegment

from generator.errors import DaihuoError
from generator.ffmpeg_errors import check_ffmpeg
from generator.models import Line, LineTiming, Script, VoiceTrack
from generator.voice.audio import read_mono, resample, trim_silence
from generator.voice.base import SpokenLine, VoiceEngine
from generator.voice.loudness import TARGET_LUFS, normalise_loudness
from generator.voice.timing import LEAD_IN, gaps, speakable

__all__ = ["speak_script", "speakable", "normalise_loudness", "VoiceError", "RATE", "TARGET_LUFS"]

RATE = 48000
MUSIC_GAIN_DB = -28.0
DUCK_DB = -8.0
MAX_LINE_WORKERS = 4


class VoiceError(DaihuoError, RuntimeError):
    pass


def speak_lines(engine: VoiceEngine, texts: list[str], language: str, work_dir: Path, *, speed: float = 1.0,
                workers: int | None = None) -> list[SpokenLine]:
    """Every line spoken into work_dir/lineNNN.wav, several at once (a bounded pool), returned in order."""
    count = workers or min(MAX_LINE_WORKERS, os.cpu_count() or 2)

    def one(k: int) -> SpokenLine:
        return engine.speak(texts[k], language, work_dir / f"line{k:03d}.wav", speed=speed)  # type: ignore[arg-type]

    if count <= 1 or len(texts) <= 1:
        return [one(k) for k in range(len(texts))]
    with ThreadPoolExecutor(max_workers=min(count, len(texts)), thread_name_prefix="voice-line") as pool:
        return list(pool.map(one, range(len(texts))))


def speak_script_lines(script: Script, engine: VoiceEngine, work_dir: Path, *, speed: float = 1.0,
                       workers: int | None = None) -> list[tuple[Line, SpokenLine, float]]:
    """Every line of `script` spoken (several at once), in order, with the pause the track puts after it."""
    work_dir.mkdir(parents=True, exist_ok=True)
    lines = script.lines()
    spoken = speak_lines(engine, [speakable(line.text, script.language) for line in lines], script.language,
                         work_dir, speed=speed, workers=workers)
    return list(zip(lines, spoken, gaps([len(b.lines) for b in script.beats]), strict=True))


def speak_script(
    script: Script, engine: VoiceEngine, work_dir: Path, *, music: Path | None = None, speed: float = 1.0,
    workers: int | None = None,
) -> VoiceTrack:
    """Speak every line of `script`, place them on one timeline and write `work_dir/voice.wav`."""
    said_lines = speak_script_lines(script, engine, work_dir, speed=speed, workers=workers)
    spoken = [said for _, said, _ in said_lines]
    pieces: list[np.ndarray] = [np.zeros(int(LEAD_IN * RATE), dtype=np.float32)]
    cursor = LEAD_IN
    timings: list[LineTiming] = []
    for index, (line, said, pause) in enumerate(said_lines):
        native, native_rate = read_mono(Path(said.path))
        trimmed, cut = trim_silence(native, native_rate)
        audio = resample(trimmed, native_rate, RATE)
        start, end = cursor, cursor + len(audio) / RATE
        timings.append(LineTiming(
            index=index, text=line.text, caption=line.shown, start=round(start, 3), end=round(end, 3),
            words=_place_words(said.words, start - cut, start, end),
        ))
        pieces += [audio, np.zeros(int(pause * RATE), dtype=np.float32)]
        cursor = end + pause
    speech = np.concatenate(pieces)
    mix = speech if music is None else speech + _ducked_music(music, timings, len(speech))
    raw = work_dir / "voice.raw.wav"
    out = work_dir / "voice.wav"
    try:
        _write_wav(raw, mix)
        lufs = normalise_loudness(raw, out)
    finally:  # a full disk or a failed meter must not leave the unmastered mix behind
        raw.unlink(missing_ok=True)
    return VoiceTrack(
        path=str(out), duration=round(len(speech) / RATE, 3), lines=timings,
        engine=_label([s.engine for s in spoken], getattr(engine, "engine", engine.name)),
        voice=_label([s.voice for s in spoken], ""), loudness_lufs=lufs, music=str(music) if music else None,
    )


def _place_words(words: list[tuple[str, float, float]], shift: float, start: float, end: float
                 ) -> list[tuple[str, float, float]]:
    """Word times from the engine's file onto the track: moved by where the trimmed line landed, kept inside it."""
    placed = []
    for word, ws, we in words:
        a = min(max(start, shift + ws), end)
        b = min(max(a, shift + we), end)
        placed.append((word, round(a, 3), round(b, 3)))
    return placed


def _label(names: list[str], default: str) -> str:
    """What spoke the track: one name, or each distinct one in order of first use (a fallback mid-job)."""
    seen = [n for i, n in enumerate(names) if n and n not in names[:i]]
    return "; ".join(seen) if seen else default


@lru_cache(maxsize=4)
def _music_bed(path: str, _mtime: float) -> np.ndarray:
    """The decoded music file, once per process (every variant of a batch uses the same bed)."""
    bed = _decode_mono(Path(path))
    bed.flags.writeable = False
    return bed


def _decode_mono(path: Path) -> np.ndarray:
    """Any audio file as float32 mono at RATE, decoded by ffmpeg straight into memory. Samples are taken as 32-bit
    and cut to 16 (the top half), as pydub's from_file did, so the bundled bed's samples stay the same; pydub's
    route went through a temporary WAV file and cost 0.2 s more at every start."""
    proc = subprocess.run(["ffmpeg", "-hide_banner", "-v", "error", "-i", str(path), "-f", "s32le", "-ac", "1",
                           "-ar", str(RATE), "-"], capture_output=True, timeout=120)
    check_ffmpeg(proc.returncode, proc.stderr.decode(errors="replace"), f"decode the music {path.name}", VoiceError)
    return (np.frombuffer(proc.stdout, dtype="<i4") >> 16).astype(np.float32) / 32768.0


def preload_music(music: Path) -> np.ndarray:
    """The decoded music bed (once per process); called ahead of the first voice track to decode it early."""
    return _music_bed(str(music), music.stat().st_mtime)


def _ducked_music(music: Path, timings: list, length: int) -> np.ndarray:
    bed = preload_music(music)
    if bed.size == 0:
        return np.zeros(length, dtype=np.float32)
    reps = int(np.ceil(length / bed.size))
    bed = np.tile(bed, reps)[:length]
    # Gain envelope: music level in pauses, ducked under each spoken line, smoothed to ~120 ms ramps.
    gain_db = np.full(length, MUSIC_GAIN_DB, dtype=np.float32)
    for t in timings:
        gain_db[int(t.start * RATE): int(t.end * RATE)] = MUSIC_GAIN_DB + DUCK_DB
    gain_db = _moving_average(gain_db, int(0.12 * RATE))
    fade = np.ones(length, dtype=np.float32)
    fade_len = min(int(1.0 * RATE), length // 4)
    fade[:fade_len] = np.linspace(0, 1, fade_len)
    fade[-fade_len:] = np.linspace(1, 0, fade_len)
    return bed * (10 ** (gain_db / 20)) * fade


def _moving_average(x: np.ndarray, width: int) -> np.ndarray:
    """np.convolve(x, ones(width) / width, mode="same") through a running sum: O(n), not O(n·width)."""
    padded = np.concatenate([np.zeros(width - 1), x.astype(np.float64), np.zeros(width - 1)])
    sums = np.concatenate([[0.0], np.cumsum(padded)])
    full = (sums[width:] - sums[:-width]) / width
    first = (width - 1) // 2
    return full[first: first + x.size].astype(np.float32)


def _write_wav(path: Path, mono: np.ndarray) -> None:
    pcm = (np.clip(mono, -1, 1) * 32767).astype("<i2")
    AudioSegment(pcm.tobytes(), frame_rate=RATE, sample_width=2, channels=1).export(path, format="wav")
