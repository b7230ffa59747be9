"""espeak-ng: the offline voice for every language but English. Robotic, but always there and very fast.

It runs through libespeak-ng (ctypes), which also reports where every word starts, so captions and the
presenter's mouth can follow words. The library keeps global state that drifts with every synthesis, so lines
are spoken by generator/voice/espeak_server.py: one helper process per engine that speaks each line from the
same pristine state (same text, same samples — in any process and any order).

Mandarin uses the `cmn-latn-pinyin` voice. The plain `cmn` voice of espeak-ng 1.51 (Debian 12) turns Hanzi
into pinyin and then reads the tone digits out in English ("ni three hao three"); `cmn-latn-pinyin` reads the
same pinyin with tones. Its price is that Latin words inside Chinese text are read as pinyin.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import queue
import subprocess
import sys
import threading
from functools import cache
from pathlib import Path

import numpy as np

from generator.errors import DaihuoError
from generator.models import Language
from generator.settings import child_environment
from generator.voice.audio import SILENCE_THRESHOLD
from generator.voice.base import SpokenLine
from generator.voice.timing import measure_rate

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]

# espeak-ng voice per script language, and a words-per-minute setting that sounds like a brisk host.
VOICES: dict[str, tuple[str, int]] = {
    "zh": ("cmn-latn-pinyin", 230),
    "en": ("en-us", 170),
    "id": ("id", 165),
    "ms": ("ms", 165),
    "th": ("th", 170),
    "vi": ("vi", 170),
}

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


@cache
def _library() -> _Library:
    return _Library()


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


class _Server:
    """One helper process (started on first use, restarted if it died) and its request lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[str] | None = None
        self.ready = False  # its hello line has been read

    def spawn(self) -> None:
        """Start the process if it is not running; its start-up (Python, libespeak-ng) goes on without us."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen([sys.executable, "-m", "generator.voice.espeak_server"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                         encoding="utf-8", cwd=_PACKAGE_ROOT,
                                         # one thread, so forking it per line is safe
                                         env=child_environment(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1"))
            self.ready = False

    def ask(self, request: dict) -> dict:  # type: ignore[type-arg]
        with self.lock:
            self.spawn()
            if not self.ready:
                hello = json.loads(self.proc.stdout.readline() or '{"ok": false, "error": "no answer"}')  # type: ignore[union-attr]
                if not hello.get("ok"):
                    self.proc = None
                    raise EspeakError(f"espeak-ng did not start: {hello.get('error')}")
                self.ready = True
            self.proc.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")  # type: ignore[union-attr]
            self.proc.stdin.flush()  # type: ignore[union-attr]
            answer = self.proc.stdout.readline()  # type: ignore[union-attr]
        if not answer:
            raise EspeakError("the espeak-ng helper process stopped", "run the job again")
        return json.loads(answer)


class _Servers:
    """Up to one helper per core, so a script's lines (spoken several at once, generator/voice/track.py) are
    synthesised side by side rather than queued behind one process. Every helper speaks each line from the same
    pristine state, so which helper speaks a line changes nothing in its samples."""

    def __init__(self, count: int) -> None:
        self.all = [_Server() for _ in range(max(1, count))]
        self.idle: queue.SimpleQueue[_Server] = queue.SimpleQueue()
        for server in self.all:
            self.idle.put(server)
        self.started = False

    def ask(self, request: dict) -> dict:  # type: ignore[type-arg]
        if not self.started:  # the first line starts every helper at once: the others are up when lines come
            self.started = True
            for server in self.all:
                with server.lock:
                    server.spawn()
        server = self.idle.get()
        try:
            return server.ask(request)
        finally:
            self.idle.put(server)


@cache
def _server() -> _Servers:
    return _Servers(min(2, os.cpu_count() or 1))


class EspeakVoice:
    name = "espeak"

    def voice_for(self, language: Language) -> str:
        return VOICES.get(language, VOICES["en"])[0]

    def speak(self, text: str, language: Language, out_path: Path, *, speed: float = 1.0) -> SpokenLine:
        voice, wpm = VOICES.get(language, VOICES["en"])
        out_path.parent.mkdir(parents=True, exist_ok=True)
        reply = _server().ask({"text": text, "voice": voice, "wpm": int(wpm * speed), "out": str(out_path.resolve())})
        if not reply.get("ok"):
            raise EspeakError(f"espeak-ng could not speak {text[:30]!r}: {reply.get('error')}", "check the text")
        return SpokenLine(path=str(out_path), duration=reply["samples"] / reply["rate"], engine=self.name,
                          voice=voice, words=[tuple(w) for w in reply["words"]])

    def chars_per_second(self, language: Language) -> float:
        return _measured_rate(language)


@cache
def _measured_rate(language: str) -> float:
    return measure_rate(EspeakVoice(), language)


def text_units(text: str, language: str) -> int:
    """Kept for callers of the old name: generator.voice.timing.speech_units counts speech units."""
    from generator.voice.timing import speech_units

    return speech_units(text, language)
