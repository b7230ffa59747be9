"""Voice engine `hibari`: the offline English neural voice (hibari-tts, Apache-2.0; its "heart" voice, a
distillation of Kokoro-82M's af_heart, ships inside the wheel). 24 kHz, CPU, onnxruntime.

Word timings: hibari's ONNX graph predicts a duration for every phoneme but returns only the spectra. We load
the graph once with that duration tensor added as an output (onnx), and follow hibari's own text pipeline
(normalise → tokens → phonemes) keeping which phonemes belong to which word, so each word gets a start and
end in the audio. If a later hibari renames the tensor, speech still works and `words` stays empty.

The model is loaded once per process, on the first line spoken (never at import time), and shared by all
threads: onnxruntime sessions are safe to run concurrently.
"""

from __future__ import annotations

import json
import re
import threading
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from generator.errors import DaihuoError
from generator.models import Language
from generator.voice.audio import write_pcm16
from generator.voice.base import SpokenLine
from generator.voice.timing import measure_rate

DEFAULT_VOICE = "heart"
DURATION_TENSOR = "/Cast_32_output_0"  # per-phoneme durations (hibari-tts 0.2.x graph)
MAX_PHONEMES = 400  # hibari's own limit per model call; longer sentences are spoken without word timings
SENTENCE_GAP = 0.35  # seconds of silence between two sentences of one line
_load_lock = threading.Lock()


class HibariError(DaihuoError, RuntimeError):
    default_fix = "use --voice auto (espeak-ng speaks the other languages) or --voice espeak"


@dataclass
class _Model:
    session: Any
    vocab: dict[str, int]
    g2p: Any
    has_durations: bool
    voice: str


def _load(voice: str) -> _Model:
    import onnxruntime as ort
    from hibari.g2p import G2P
    from hibari.tts import ASSETS
    from hibari.voices import VOICES, voice_path

    try:
        path = voice_path(voice, download_missing=False)
    except (ValueError, FileNotFoundError) as exc:
        bundled = ", ".join(n for n, v in VOICES.items() if v.get("bundled"))
        raise HibariError(f"hibari voice '{voice}' is not installed ({exc})",
                          f"use a voice inside the package ({bundled}) with DAIHUO_HIBARI_VOICE") from exc
    model_bytes, has_durations = _with_durations(path)
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1  # lines run in parallel threads instead
    options.log_severity_level = 3
    session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    with open(Path(ASSETS) / "vocab.json", encoding="utf-8") as f:
        vocab = json.load(f)
    g2p = G2P(british=bool(VOICES[voice]["british"]))
    g2p("Warm up.")  # loads the lexicon's lazy parts and the out-of-vocabulary net once, before threads race
    return _Model(session, vocab, g2p, has_durations, voice)


def _with_durations(path: str) -> tuple[bytes, bool]:
    """The model's bytes with the per-phoneme duration tensor exposed as an extra output, when present."""
    import onnx

    model = onnx.load(path)
    produced = {name for node in model.graph.node for name in node.output}
    if DURATION_TENSOR not in produced:
        return model.SerializeToString(), False
    model.graph.output.append(onnx.helper.make_tensor_value_info(DURATION_TENSOR, onnx.TensorProto.INT64, None))
    return model.SerializeToString(), True


@cache
def _model_cached(voice: str) -> _Model:
    return _load(voice)


def loaded_model(voice: str) -> _Model:
    with _load_lock:  # one load per process even when the first lines arrive together
        return _model_cached(voice)


def _sentence(model: _Model, text: str) -> tuple[str, list[tuple[str, int, int]]]:
    """Phoneme string of one sentence (as hibari joins it) and (word, first, end) phoneme spans per word."""
    from hibari.g2p.normalize import normalize

    tokens = model.g2p.phonemize_tokens(model.g2p.tokenize(normalize(text)))
    phonemes, spans = "", []
    for tk in tokens:
        ps = tk.phonemes or ""
        if ps and any(ch.isalnum() for ch in tk.text) and any(ch.isalpha() for ch in ps):
            spans.append((tk.text, len(phonemes), len(phonemes) + len(ps)))
        phonemes += ps + (" " if tk.whitespace else "")
    lead = len(phonemes) - len(phonemes.lstrip())
    return phonemes.strip(), [(w, a - lead, b - lead) for w, a, b in spans]


def _synthesize(model: _Model, text: str, speed: float) -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    from hibari import dsp
    from hibari.tts import Hibari

    rng = np.random.default_rng(zlib.crc32(text.encode("utf-8")))  # the same line always sounds the same
    pieces: list[tuple[np.ndarray, list[tuple[str, float, float]]]] = []  # audio, word times inside it
    for sentence in Hibari.split_sentences(text):
        phonemes, spans = _sentence(model, sentence)
        chunks = _clauses(phonemes) if len(phonemes) > MAX_PHONEMES else [phonemes]
        if len(chunks) > 1:
            spans = []  # word spans are per model call; a sentence this long is rare in a script line
        for chunk in chunks:
            keep = [i for i, ch in enumerate(chunk) if ch in model.vocab]
            ids = [0, *[model.vocab[chunk[i]] for i in keep], 0]
            if len(ids) < 3:
                continue
            out = model.session.run(None, {"ids": np.asarray([ids], np.int64),
                                           "speed": np.asarray([speed], np.float32)})
            lh, th, ln, lr, phi, f0 = (o[0] for o in out[:6])
            audio = dsp.synth(lh, th, ln, lr, phi, f0, rng)
            words = (_word_times(spans, keep, np.asarray(out[6]).reshape(-1), f0.shape[-1])
                     if model.has_durations and spans else [])
            pieces.append((audio, words))
    if not pieces:
        return np.zeros(int(0.2 * dsp.SR), np.float32), []
    return _join(pieces, dsp.SR)


def _join(pieces: list[tuple[np.ndarray, list[tuple[str, float, float]]]], rate: int
          ) -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    """Sentences back to back with a natural pause: each model call pads its sentence with ~0.4 s of silence
    at both ends, which would leave 0.8 s between two sentences of one line. Word times move with the cuts."""
    from generator.voice.audio import SILENCE_THRESHOLD

    keep = int(SENTENCE_GAP / 2 * rate)
    audio_out: list[np.ndarray] = []
    words_out: list[tuple[str, float, float]] = []
    offset = 0
    for i, (audio, words) in enumerate(pieces):
        loud = np.flatnonzero(np.abs(audio) > SILENCE_THRESHOLD)
        first, last = (int(loud[0]), int(loud[-1]) + 1) if loud.size else (0, audio.size)
        cut_front = max(0, first - keep) if i > 0 else 0
        stop = min(audio.size, last + keep) if i < len(pieces) - 1 else audio.size
        kept = audio[cut_front:stop]
        shift = (offset - cut_front) / rate
        end = (offset + kept.size) / rate
        words_out += [(w, round(min(a + shift, end), 3), round(min(b + shift, end), 3)) for w, a, b in words]
        audio_out.append(kept)
        offset += kept.size
    return np.concatenate(audio_out), words_out


def _clauses(phonemes: str) -> list[str]:
    """hibari's split of an over-long sentence at clause punctuation, each part at most MAX_PHONEMES."""
    chunks, current = [], ""
    for part in re.split(r"(?<=[,;:—])\s+", phonemes):
        if current and len(current) + len(part) + 1 > MAX_PHONEMES:
            chunks.append(current)
            current = part
        else:
            current = f"{current} {part}" if current else part
    return [*chunks, current] if current else chunks


def _word_times(spans: list[tuple[str, int, int]], keep: list[int], durations: np.ndarray, frames: int
                ) -> list[tuple[str, float, float]]:
    """Seconds of each word in its model call's audio, from the per-phoneme durations (id 0 pads both ends;
    durations are in units of frames / sum(durations) hops of 300 samples)."""
    from hibari import dsp

    if durations.size != len(keep) + 2 or durations.sum() <= 0:
        return []
    edges = np.concatenate([[0.0], np.cumsum(durations, dtype=np.float64)]) * (frames / durations.sum()) * dsp.HOP
    index_of = {char: i + 1 for i, char in enumerate(keep)}  # phoneme character → id position
    out = []
    for word, first, end in spans:
        ids = [index_of[c] for c in range(first, end) if c in index_of]
        if ids:
            out.append((word, edges[ids[0]] / dsp.SR, edges[ids[-1] + 1] / dsp.SR))
    return out


class HibariVoice:
    """English only: other languages raise a clear error (--voice auto gives them espeak-ng)."""

    name = "hibari"

    def __init__(self, voice: str = DEFAULT_VOICE) -> None:
        self.voice = voice or DEFAULT_VOICE

    def speak(self, text: str, language: Language, out_path: Path, *, speed: float = 1.0) -> SpokenLine:
        if language != "en":
            raise HibariError(f"the hibari voice speaks English only, not '{language}'")
        audio, words = _synthesize(loaded_model(self.voice), text, max(0.5, min(2.0, speed)))
        from hibari import dsp

        write_pcm16(out_path, audio, dsp.SR)
        return SpokenLine(path=str(out_path), duration=audio.size / dsp.SR, words=words, engine=self.name,
                          voice=self.voice)

    def chars_per_second(self, language: Language) -> float:
        return _measured_rate(self.voice)


@cache
def _measured_rate(voice: str) -> float:
    return measure_rate(HibariVoice(voice), "en")
