"""The duration budget: how much narration fits the target seconds, and trimming a script to it (pure).

Units, pauses and rates come from the one speech-timing model (generator.voice.timing): characters for
Chinese and Thai, words otherwise, the same units as VoiceEngine.chars_per_second reports.
"""

from __future__ import annotations

from generator.models import BEAT_ORDER, Language, Script
from generator.voice.timing import counts_characters, rate_of, speech_units, unit_name

__all__ = ["budget_units", "count_units", "counts_characters", "script_units", "trim_to_budget", "unit_name"]
# How far over the budget a reply may run before it goes back to the model.
TOLERANCE = 1.15
# Beats whose extra lines go first when trimming (the hook, offer and call to action are kept whole).
TRIM_ORDER = ("proof", "demo", "pain", "offer", "hook", "cta")


def count_units(text: str, language: Language) -> int:
    return speech_units(text, language)


def budget_units(duration: float, language: Language, rate: float | None = None) -> int:
    """Most narration units that fit `duration` seconds at `rate` units per second (a typical host's when
    None), after the silences the voice track puts around the lines of a six-beat script."""
    expected_lines = 6 + int(duration // 10)
    return rate_of(rate, language).budget_units(duration, beats=len(BEAT_ORDER), lines=expected_lines)


def script_units(script: Script) -> int:
    return sum(count_units(line.text, script.language) for line in script.lines())


def trim_to_budget(script: Script, limit: int) -> tuple[Script, list[str]]:
    """Drop whole lines (never a beat's only line), longest first in the least essential beats, until the
    narration fits `limit`. Returns the script and what was dropped."""
    notes: list[str] = []
    beats = [b.model_copy(update={"lines": list(b.lines)}) for b in script.beats]
    total = sum(count_units(ln.text, script.language) for b in beats for ln in b.lines)
    for kind in TRIM_ORDER:
        for beat in (b for b in beats if b.kind == kind):
            while total > limit and len(beat.lines) > 1:
                longest = max(range(len(beat.lines)), key=lambda i: count_units(beat.lines[i].text, script.language))
                dropped = beat.lines.pop(longest)
                total -= count_units(dropped.text, script.language)
                notes.append(f"budget: dropped a {kind} line to fit {limit} {unit_name(script.language)}")
    if total > limit:
        notes.append(f"budget: still {total} {unit_name(script.language)} for a budget of {limit}")
    return script.model_copy(update={"beats": beats}), notes
