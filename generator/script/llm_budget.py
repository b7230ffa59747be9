"""The duration budget: how much narration fits the target seconds, and trimming a script to it (pure).

Chinese and Thai are counted in characters (letters and digits, no punctuation), the space-separated
languages in words, the same units as VoiceEngine.chars_per_second reports.
"""

from __future__ import annotations

import unicodedata

from generator.models import Language, Script

CHAR_LANGUAGES: tuple[Language, ...] = ("zh", "th")
# Typical rates of a lively host, used when no voice engine measured one (units per second).
DEFAULT_RATES: dict[str, float] = {"zh": 4.5, "th": 6.0, "en": 2.6, "id": 2.3, "ms": 2.3, "vi": 3.0}
# Seconds of silence the voice track adds: lead-in and tail, and per line (generator.voice.track); kept
# equal to the template writer's budget so both writers fill a clip alike.
FIXED_OVERHEAD = 1.2
PAUSE_PER_LINE = 0.3
# How far over the budget a reply may run before it goes back to the model.
TOLERANCE = 1.15
# Beats whose extra lines go first when trimming (the hook, offer and call to action are kept whole).
TRIM_ORDER = ("proof", "demo", "pain", "offer", "hook", "cta")


def counts_characters(language: Language) -> bool:
    return language in CHAR_LANGUAGES


def unit_name(language: Language) -> str:
    return "characters" if counts_characters(language) else "words"


def count_units(text: str, language: Language) -> int:
    if counts_characters(language):
        return sum(1 for ch in text if unicodedata.category(ch)[0] in "LN")
    return len(text.split())


def budget_units(duration: float, language: Language, rate: float | None = None) -> int:
    """Most narration units that fit `duration` seconds at `rate` units per second, after the pauses the
    voice track puts around lines (the same overheads the template writer budgets with)."""
    r = rate if rate and rate > 0 else DEFAULT_RATES.get(language, 2.5)
    expected_lines = 6 + int(duration // 10)
    speaking = duration - FIXED_OVERHEAD - PAUSE_PER_LINE * expected_lines
    return max(8, int(max(speaking, duration * 0.5) * r))


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
