"""Assemble one voice track from per-line audio: timing, ducked music, loudness normalisation.

Lines are placed back to back with short pauses (longer between beats), so every caption knows exactly when
its line is spoken. Music, when asked for, loops under the whole track and dips under speech. The mix is
normalised to -16 LUFS integrated (the usual target for mobile short video) by ffmpeg's loudnorm in two
passes, which also keeps true peaks under -1.5 dBTP.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np
from pydub import AudioSegment

from generator.errors import DaihuoError
from generator.models import LineTiming, Script, VoiceTrack
from generator.voice.base import VoiceEngine

RATE = 48000
TARGET_LUFS = -16.0
LEAD_IN = 0.35
PAUSE_IN_BEAT = 0.22
PAUSE_BETWEEN_BEATS = 0.45
TAIL = 0.8
MUSIC_GAIN_DB = -28.0
DUCK_DB = -8.0


class VoiceError(DaihuoError, RuntimeError):
    pass


def _to_array(segment: AudioSegment) -> np.ndarray:
    seg = segment.set_frame_rate(RATE).set_channels(1).set_sample_width(2)
    return np.array(seg.get_array_of_samples(), dtype=np.float32) / 32768.0


def speak_script(
    script: Script, engine: VoiceEngine, work_dir: Path, *, music: Path | None = None, speed: float = 1.0,
) -> VoiceTrack:
    """Speak every line of `script`, place them on one timeline and write `work_dir/voice.wav`."""
    work_dir.mkdir(parents=True, exist_ok=True)
    pieces: list[np.ndarray] = [np.zeros(int(LEAD_IN * RATE), dtype=np.float32)]
    cursor = LEAD_IN
    timings: list[LineTiming] = []
    index = 0
    for b, beat in enumerate(script.beats):
        for i, line in enumerate(beat.lines):
            spoken = engine.speak(speakable(line.text, script.language), script.language, work_dir / f"line{index:03d}.wav", speed=speed)
            audio = _trim_silence(_to_array(AudioSegment.from_file(spoken.path)))
            start, end = cursor, cursor + len(audio) / RATE
            timings.append(LineTiming(
                index=index, text=line.text, caption=line.shown, start=round(start, 3), end=round(end, 3),
                words=[(w, start + ws, start + we) for w, ws, we in spoken.words],
            ))
            pieces.append(audio)
            last = b == len(script.beats) - 1 and i == len(beat.lines) - 1
            pause = TAIL if last else (PAUSE_IN_BEAT if i < len(beat.lines) - 1 else PAUSE_BETWEEN_BEATS)
            pieces.append(np.zeros(int(pause * RATE), dtype=np.float32))
            cursor = end + pause
            index += 1
    speech = np.concatenate(pieces)
    mix = speech if music is None else speech + _ducked_music(music, timings, len(speech))
    raw = work_dir / "voice.raw.wav"
    _write_wav(raw, mix)
    out = work_dir / "voice.wav"
    lufs = normalise_loudness(raw, out)
    raw.unlink(missing_ok=True)
    return VoiceTrack(
        path=str(out), duration=round(len(speech) / RATE, 3), lines=timings, engine=getattr(engine, "engine", engine.name),
        loudness_lufs=lufs, music=str(music) if music else None,
    )


_HASHTAG = re.compile(r"[#＃]\S+")
_YUAN = re.compile(r"[¥￥]\s*(\d+(?:\.\d+)?)(\s*元)?")


def speakable(text: str, language: str) -> str:
    """What the voice should read: no hashtags; ¥89 read as 89元 / 89 yuan."""
    text = _HASHTAG.sub("", text)
    text = _YUAN.sub(r"\1元" if language == "zh" else r"\1 yuan", text)
    return text.strip() or "。"


def _trim_silence(audio: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    """espeak pads each file with silence; trim it so our own pauses set the rhythm."""
    loud = np.flatnonzero(np.abs(audio) > threshold)
    if loud.size == 0:
        return audio[: int(0.2 * RATE)]
    pad = int(0.03 * RATE)
    return audio[max(0, loud[0] - pad): loud[-1] + pad]


def _ducked_music(music: Path, timings: list, length: int) -> np.ndarray:
    bed = _to_array(AudioSegment.from_file(music))
    if bed.size == 0:
        return np.zeros(length, dtype=np.float32)
    reps = int(np.ceil(length / bed.size))
    bed = np.tile(bed, reps)[:length]
    # Gain envelope: music level in pauses, ducked under each spoken line, smoothed to ~120 ms ramps.
    gain_db = np.full(length, MUSIC_GAIN_DB, dtype=np.float32)
    for t in timings:
        gain_db[int(t.start * RATE): int(t.end * RATE)] = MUSIC_GAIN_DB + DUCK_DB
    ramp = int(0.12 * RATE)
    kernel = np.ones(ramp, dtype=np.float32) / ramp
    gain_db = np.convolve(gain_db, kernel, mode="same")
    fade = np.ones(length, dtype=np.float32)
    fade_len = min(int(1.0 * RATE), length // 4)
    fade[:fade_len] = np.linspace(0, 1, fade_len)
    fade[-fade_len:] = np.linspace(1, 0, fade_len)
    return bed * (10 ** (gain_db / 20)) * fade


def _write_wav(path: Path, mono: np.ndarray) -> None:
    pcm = (np.clip(mono, -1, 1) * 32767).astype("<i2")
    AudioSegment(pcm.tobytes(), frame_rate=RATE, sample_width=2, channels=1).export(path, format="wav")


# Speech from TTS engines has sharp peaks; a gentle compressor first lets loudnorm reach the target in its
# linear mode instead of being held back by the true-peak ceiling.
PRE_CHAIN = "acompressor=threshold=-21dB:ratio=4:attack=5:release=80:makeup=3"


def normalise_loudness(src: Path, dst: Path, target: float = TARGET_LUFS) -> float:
    """Two-pass EBU R128 loudnorm to stereo 48 kHz, then a final trim; returns the measured output LUFS."""
    m = _loudnorm_stats(src, f"{PRE_CHAIN},loudnorm=I={target}:TP=-1.5:LRA=11:print_format=json")
    apply = (
        f"{PRE_CHAIN},loudnorm=I={target}:TP=-1.5:LRA=11:measured_I={m['input_i']}:measured_TP={m['input_tp']}:"
        f"measured_LRA={m['input_lra']}:measured_thresh={m['input_thresh']}:offset={m['target_offset']}:"
        "linear=true:print_format=json"
    )
    tmp = dst.with_suffix(".tmp.wav")
    _run_ffmpeg(["-i", str(src), "-af", apply, "-ar", str(RATE), "-ac", "2", str(tmp)])
    measured = float(_loudnorm_stats(tmp, "loudnorm=print_format=json")["input_i"])
    if abs(measured - target) > 0.3:
        # loudnorm held back by the peak ceiling: trim the rest with a limiter guarding the peaks.
        trimmed = dst.with_suffix(".trim.wav")
        _run_ffmpeg(["-i", str(tmp), "-af", f"volume={target - measured:.2f}dB,alimiter=limit=0.89:level=false",
                     "-ar", str(RATE), "-ac", "2", str(trimmed)])
        os.replace(trimmed, tmp)
        measured = float(_loudnorm_stats(tmp, "loudnorm=print_format=json")["input_i"])
    os.replace(tmp, dst)
    return measured


def _run_ffmpeg(args: list[str]) -> str:
    proc = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-y", *args], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise VoiceError(f"ffmpeg failed: {proc.stderr[-500:]}")
    return proc.stderr


def _loudnorm_stats(src: Path, audio_filter: str) -> dict:
    err = _run_ffmpeg(["-i", str(src), "-af", audio_filter, "-f", "null", "-"])
    return json.loads(err[err.rfind("{"): err.rfind("}") + 1])
