"""Sound effects are our own (synthesised), start sharply, and mix under the voice at −16 LUFS where the edit
put them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from generator.models import SoundCue
from generator.video.sfx import RATE, SOUNDS, sound
from generator.video.sound import mix_soundtrack
from tests.helpers import integrated_loudness
from tests.pixels import sound_onsets


def test_effects_are_deterministic_short_and_start_sharp() -> None:
    for name, make in SOUNDS.items():
        effect = sound(name)
        assert np.array_equal(effect, make()), f"{name} differs between runs"
        assert 0.04 <= effect.size / RATE <= 1.5 and abs(float(np.abs(effect).max()) - 1.0) < 1e-3
        attack = np.abs(effect[: int(0.005 * RATE)]).max()
        assert attack > 0.1, f"{name}: its first 5 ms are too quiet to mark the cut"


def _voice(tmp_path: Path, seconds: float = 6.0) -> Path:
    """A speech-like track at about −16 LUFS: a tone burst every second (words), silence between."""
    t = np.arange(int(seconds * RATE)) / RATE
    gate = (t % 1.0) < 0.55
    mono = 0.22 * np.sin(2 * np.pi * 220 * t) * gate * (1 + 0.3 * np.sin(2 * np.pi * 3 * t))
    path = tmp_path / "voice.wav"
    pcm = (np.stack([mono, mono], axis=1) * 32767).astype("<i2")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "s16le", "-ac", "2", "-ar", str(RATE), "-i", "-", str(path)],
                   input=pcm.tobytes(), check=True)
    return path


def test_mix_puts_effects_where_the_edit_said_and_keeps_the_loudness(tmp_path: Path) -> None:
    voice = _voice(tmp_path)
    cues = [SoundCue(t=0.7, sound="whoosh", gain_db=-10), SoundCue(t=2.62, sound="pop", gain_db=-10),
            SoundCue(t=3.8, sound="ding", gain_db=-8), SoundCue(t=5.6, sound="hit", gain_db=-10)]
    out = mix_soundtrack(voice, cues, 7.0, tmp_path / "mix.wav")
    assert abs(integrated_loudness(out) - -16.0) <= 0.5, "the mix is brought back to −16 LUFS"
    onsets = sound_onsets(out, voice)
    for cue in cues:
        assert any(abs(o - cue.t) <= 0.02 for o in onsets), f"{cue.sound} at {cue.t}: onsets {onsets}"
    assert len(onsets) <= len(cues) + 1, onsets
    length = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                   str(out)], capture_output=True, text=True, check=True).stdout)
    assert abs(length - 7.0) < 0.01, "padded to the picture's length"
    peak = np.abs(np.frombuffer(subprocess.run(["ffmpeg", "-v", "error", "-i", str(out), "-f", "f32le", "-"],
                                               capture_output=True, check=True).stdout, dtype=np.float32)).max()
    assert peak <= 0.9, "peaks stay under −1 dBFS"


def test_no_effects_and_no_padding_leave_the_voice_as_it_is(tmp_path: Path) -> None:
    voice = _voice(tmp_path, 2.0)
    assert mix_soundtrack(voice, [], 2.0, tmp_path / "mix.wav") == voice
    assert not (tmp_path / "mix.wav").exists()
