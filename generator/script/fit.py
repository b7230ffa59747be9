"""Fit a spoken script to the brief's length: measure the real voice, then trim or extend, then nudge the rate.

Writers estimate how long their lines take; voices disagree (the English template ran 38.5 s for a 30 s
brief, the Chinese one 25 s). So the voice speaks the script, and its own timings become the model: each
line's measured length, the pauses between lines and beats, the speaking rate in text units per second.
With that model the fitter drops the least useful lines (extra specs, extra selling points, the pain line)
or adds sheet-grounded ones (selling points and specs not yet said, scenes, audience), then picks a speaking
rate within ±8 % that lands on the target, and speaks again. Usually two passes; at most `rounds` + 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator.models import Beat, BeatKind, Line, LineTiming, Product, Script, VoiceTrack, stable_hash
from generator.voice.timing import speech_units as text_units

Speak = Callable[[Script, float], VoiceTrack]
Extras = Callable[[Product, Script], list[tuple[str, Line]]]
MAX_RATE_CHANGE = 0.08
TOLERANCE = 0.05
_ORDER: tuple[BeatKind, ...] = ("hook", "pain", "demo", "proof", "offer", "cta")


@dataclass(frozen=True)
class VoiceModel:
    """How long lines take in this voice: measured per line, plus pauses, at the rate it was spoken."""

    seconds: dict[str, float]  # line text → measured seconds (at `speed`)
    rate: float  # text units per second (at `speed`)
    speed: float
    lead: float
    tail: float
    pause_in_beat: float
    pause_between: float
    language: str

    @classmethod
    def measure(cls, script: Script, voice: VoiceTrack, speed: float) -> VoiceModel:
        lines = voice.lines
        seconds = {t.text: t.end - t.start for t in lines}
        units = sum(text_units(t.text, script.language) for t in lines)
        spoken = sum(seconds.values()) or 1.0
        beat_of = [b for b, beat in enumerate(script.beats) for _ in beat.lines]
        inner, between = [], []
        for i in range(len(lines) - 1):
            gap = lines[i + 1].start - lines[i].end
            (inner if i + 1 < len(beat_of) and beat_of[i] == beat_of[i + 1] else between).append(gap)
        return cls(seconds=seconds, rate=max(0.5, units / spoken), speed=speed,
                   lead=lines[0].start if lines else 0.35, tail=voice.duration - lines[-1].end if lines else 0.8,
                   pause_in_beat=sum(inner) / len(inner) if inner else 0.22,
                   pause_between=sum(between) / len(between) if between else 0.45, language=script.language)

    def line(self, line: Line, speed: float) -> float:
        base = self.seconds.get(line.text)
        if base is None:
            base = text_units(line.text, self.language) / self.rate
        return base * self.speed / speed

    def speech(self, script: Script, speed: float) -> float:
        return sum(self.line(line, speed) for line in script.lines())

    def total(self, script: Script, speed: float) -> float:
        pauses = sum(self.pause_in_beat * (len(b.lines) - 1) for b in script.beats) \
            + self.pause_between * max(0, len(script.beats) - 1)
        return self.lead + self.speech(script, speed) + pauses + self.tail


def fit_duration(script: Script, product: Product, target: float, speak: Speak, *, extras: Extras | None = None,
                 measure: Speak | None = None, tolerance: float = TOLERANCE, rounds: int = 3) -> tuple[Script, VoiceTrack]:
    """The script (lines dropped or added) and its voice track, within `tolerance` of `target` seconds when
    the lines and a rate change of at most ±8 % allow it. `speak(script, speed)` makes the real voice track;
    `measure(script, speed)`, when given, times the lines without mixing them (the cheap first look);
    `extras(product, script)` offers lines to add (most useful first)."""
    speed = 1.0
    if measure is not None:
        dry = measure(script, speed)
        first = dry.duration
        if abs(dry.duration - target) > tolerance * target:
            model = VoiceModel.measure(script, dry, speed)
            script = reshape(script, product, target, model, extras)
            speed = rate_for(script, target, model, speed)
    voice = speak(script, speed)
    if measure is None:
        first = voice.duration
    for _ in range(rounds):
        if abs(voice.duration - target) <= tolerance * target:
            break
        model = VoiceModel.measure(script, voice, speed)
        changed = reshape(script, product, target, model, extras)
        new_speed = rate_for(changed, target, model, speed)
        if changed == script and abs(new_speed - speed) < 0.005:
            break
        script, speed = changed, new_speed
        voice = speak(script, speed)
    note = (f"duration: {first:.1f} s spoken for a {target:g} s brief → {voice.duration:.1f} s "
            f"({len(script.lines())} lines, speaking rate ×{speed:.2f})")
    return script.model_copy(update={"notes": [*script.notes, note]}), voice


def rate_for(script: Script, target: float, model: VoiceModel, speed: float) -> float:
    """The speaking rate (within ±8 % of normal) that brings the estimate closest to `target`."""
    speech = model.speech(script, 1.0)
    rest = model.total(script, 1.0) - speech
    wanted = speech / max(0.1, target - rest)
    return round(min(1 + MAX_RATE_CHANGE, max(1 - MAX_RATE_CHANGE, wanted)), 3)


def reshape(script: Script, product: Product, target: float, model: VoiceModel, extras: Extras | None) -> Script:
    """Drop or add whole lines until the estimate at normal rate is within the ±8 % a rate change can absorb."""
    low, high = target * (1 - MAX_RATE_CHANGE / 2), target * (1 + MAX_RATE_CHANGE / 2)
    floor, ceiling = target * (1 - MAX_RATE_CHANGE + 0.01), target * (1 + MAX_RATE_CHANGE - 0.01)
    estimate = model.total(script, 1.0)
    if estimate > high:
        for kind, text in _drop_order(script):
            trial = _drop(script, text, kind)
            after = model.total(trial, 1.0)
            if after >= floor:  # a slower rate can still make up the rest
                script, estimate = trial, after
            if estimate <= high:
                break
        if estimate > high:
            script = _shorten(script, model, high)
    elif estimate < low and extras is not None:
        for beat, line in extras(product, script):
            trial = _with(script, beat, line)  # type: ignore[arg-type]
            after = model.total(trial, 1.0)
            if after <= ceiling:
                script, estimate = trial, after
            if estimate >= low:
                break
    return script


def _drop_order(script: Script) -> list[tuple[BeatKind, str]]:
    """Lines to drop, least useful first, as (beat kind, text); the hook, first selling point, offer and CTA
    lines stay."""
    beats = script.beats
    demo = [b for b in beats if b.kind == "demo"]
    order: list[tuple[BeatKind, str]] = []
    for beat in beats:  # extra spec lines
        if beat.kind == "proof":
            order += [("proof", line.text) for line in reversed(beat.lines[1:])]
    order += [("demo", line.text) for beat in reversed(demo[2:]) for line in reversed(beat.lines)]
    order += [("pain", line.text) for beat in beats if beat.kind == "pain" for line in reversed(beat.lines)]
    order += [("proof", beat.lines[0].text) for beat in beats if beat.kind == "proof"]
    order += [("demo", line.text) for beat in demo[1:2] for line in reversed(beat.lines)]
    order += [(beat.kind, line.text) for beat in beats if beat.kind in ("hook", "offer", "cta", "demo")
              for line in reversed(beat.lines[1:])]
    return order


def _drop(script: Script, text: str, kind: BeatKind) -> Script:
    beats: list[Beat] = []
    done = False
    for beat in script.beats:
        if not done and beat.kind == kind and any(line.text == text for line in beat.lines):
            lines = [line for line in beat.lines if line.text != text]
            done = True
            if lines:
                beats.append(beat.model_copy(update={"lines": lines}))
            continue
        beats.append(beat)
    return script.model_copy(update={"beats": beats})


def _shorten(script: Script, model: VoiceModel, high: float) -> Script:
    """Still too long with only the spine left: speak the short on-screen form of the longest lines."""
    for kind in ("offer", "hook", "cta", "demo"):
        if model.total(script, 1.0) <= high:
            break
        beats = []
        for beat in script.beats:
            if beat.kind == kind:
                lines = [Line(text=line.shown, caption=line.shown, keywords=line.keywords)
                         if line.caption and len(line.caption) < len(line.text) else line for line in beat.lines]
                beat = beat.model_copy(update={"lines": lines})
            beats.append(beat)
        script = script.model_copy(update={"beats": beats})
    return script


def _with(script: Script, kind: BeatKind, line: Line) -> Script:
    """`script` plus `line` in a beat of `kind` (a new demo beat per selling point; a new beat in story order)."""
    beats = list(script.beats)
    if kind != "demo":
        for i, beat in enumerate(beats):
            if beat.kind == kind:
                beats[i] = beat.model_copy(update={"lines": [*beat.lines, line]})
                return script.model_copy(update={"beats": beats})
    rank = _ORDER.index(kind)
    at = len(beats)
    for i, beat in enumerate(beats):
        if _ORDER.index(beat.kind) > rank:
            at = i
            break
    visual = next((b.visual for b in beats if b.kind == kind), "image:0")
    beats.insert(at, Beat(kind=kind, lines=[line], visual=visual))
    return script.model_copy(update={"beats": beats})


def line_timer(engine: object, work_dir: Path) -> Speak:
    """A `measure` for fit_duration: each line spoken by `engine` alone and timed the way the voice track
    places it (lead-in, trimmed line, pauses, tail), without the music mix and loudness passes that make a
    real voice track take seconds. The real track is measured again after the fit."""
    from generator.voice.audio import read_mono, trim_silence
    from generator.voice.timing import LEAD_IN
    from generator.voice.track import speak_script_lines

    def measure(script: Script, speed: float) -> VoiceTrack:
        cursor = LEAD_IN
        timings: list[LineTiming] = []
        for index, (line, said, pause) in enumerate(speak_script_lines(script, engine, work_dir, speed=speed)):  # type: ignore[arg-type]
            audio, rate = read_mono(Path(said.path))
            trimmed, _ = trim_silence(audio, rate)
            end = cursor + len(trimmed) / rate
            timings.append(LineTiming(index=index, text=line.text, caption=line.shown, start=cursor, end=end))
            cursor = end + pause
        for leftover in work_dir.glob("line*.wav"):
            leftover.unlink(missing_ok=True)
        return VoiceTrack(path="", duration=round(cursor, 3), lines=timings, engine="measure")

    return measure


class RememberedVoice:
    """A voice engine that speaks each (text, language, rate) once: the timing pass and the real voice track
    share the audio, so a network voice is not paid twice for an unchanged line. Files are kept in `store`."""

    def __init__(self, engine: object, store: Path) -> None:
        self._inner = engine
        self.name = getattr(engine, "name", "voice")
        self.store = store
        self._said: dict[tuple[str, str, float], object] = {}

    @property
    def engine(self) -> str:
        """What made the audio (an engine may fall back to espeak mid-job), for the voice record."""
        return str(getattr(self._inner, "engine", self.name))

    def __getattr__(self, attribute: str) -> object:  # chars_per_second, voice, ... from the engine itself
        return getattr(self._inner, attribute)

    def speak(self, text: str, language: str, out_path: Path, *, speed: float = 1.0) -> object:
        import shutil

        key = (text, language, round(speed, 4))
        kept = self._said.get(key)
        if kept is None:
            spoken = self._inner.speak(text, language, out_path, speed=speed)  # type: ignore[attr-defined]
            self.store.mkdir(parents=True, exist_ok=True)  # lines are spoken from several threads: names by content
            copy = self.store / f"line-{stable_hash(list(key))}{Path(spoken.path).suffix or '.wav'}"
            shutil.copyfile(spoken.path, copy)
            self._said[key] = kept = spoken.model_copy(update={"path": str(copy)})
            return spoken
        shutil.copyfile(kept.path, out_path)  # type: ignore[attr-defined]
        return kept.model_copy(update={"path": str(out_path)})  # type: ignore[attr-defined]
