"""libespeak-ng through ctypes: the synthesis call and its word events, and nothing else.

Kept apart from generator/voice/espeak.py so that the helper processes that speak (espeak_server.py) start on
ctypes and numpy alone: through espeak.py they imported the settings and the data models too, and each helper
took 0.4 s to say it was ready, on the critical path of a cold `daihuo make`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading

import numpy as np

from generator.errors import DaihuoError
from generator.voice.audio import SILENCE_THRESHOLD

# espeak_lib.h
_SYNCHRONOUS = 2
_RATE = 1
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EVENT_END_OF_LIST = 0
_EVENT_WORD = 1


class EspeakError(DaihuoError, RuntimeError):
    default_fix = "install espeak-ng: `make setup` (apt-get install espeak-ng)"


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _EventId)]


_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


class _Library:
    """libespeak-ng loaded once per process, in synchronous mode, collecting samples and word events."""

    def __init__(self, path: str = "") -> None:
        name = path or ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"
        try:
            self.lib = ctypes.CDLL(name)
        except OSError as exc:
            raise EspeakError(f"libespeak-ng could not be loaded ({exc})") from exc
        self.rate = int(self.lib.espeak_Initialize(_SYNCHRONOUS, 0, None, 0))
        if self.rate <= 0:
            raise EspeakError("libespeak-ng did not start (no espeak-ng-data?)")
        self.lock = threading.Lock()
        self._chunks: list[np.ndarray] = []
        self._words: list[tuple[int, int, int]] = []  # (text position, length, sample)
        self._callback = _Callback(self._collect)  # kept referenced: the library calls it
        self.lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav, count, events) -> int:  # noqa: ANN001 - ctypes pointers
        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        i = 0
        while events[i].type != _EVENT_END_OF_LIST:
            e = events[i]
            if e.type == _EVENT_WORD and e.length > 0:
                self._words.append((e.text_position, e.length, e.sample))
            i += 1
        return 0

    def synth(self, text: str, voice: str, wpm: int) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
        data = text.encode("utf-8")
        with self.lock:
            self._chunks, self._words = [], []
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise EspeakError(f"espeak-ng has no voice '{voice}'", "install espeak-ng-data")
            self.lib.espeak_SetParameter(_RATE, max(80, min(450, wpm)), 0)
            status = self.lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            self.lib.espeak_Synchronize()
            chunks, words = self._chunks, self._words
        if status != 0 or not chunks:
            raise EspeakError(f"espeak-ng could not speak {text[:30]!r} (status {status})", "check the text")
        return np.concatenate(chunks).astype(np.float32) / 32768.0, words


def word_times(text: str, events: list[tuple[int, int, int]], audio: np.ndarray, rate: int
               ) -> list[tuple[str, float, float]]:
    """(word, start, end) from espeak's word events: a word ends where the next begins (the last where the
    voice stops); events inside the previous word (the second half of a spoken number) extend it."""
    spans: list[list[int]] = []  # [first char, last char (exclusive), start sample]
    for position, length, sample in sorted(events, key=lambda e: e[2]):
        first = position - 1
        if spans and first < spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], first + length)
            continue
        spans.append([first, first + length, sample])
    loud = np.flatnonzero(np.abs(audio) > SILENCE_THRESHOLD)
    voice_end = int(loud[-1]) + 1 if loud.size else audio.size
    out: list[tuple[str, float, float]] = []
    for i, (first, last, sample) in enumerate(spans):
        end = spans[i + 1][2] if i + 1 < len(spans) else max(voice_end, sample)
        word = text[first:last].strip()
        if word:
            out.append((word, round(sample / rate, 3), round(end / rate, 3)))
    return out
