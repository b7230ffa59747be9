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

import json
import os
import queue
import subprocess
import sys
import threading
from functools import cache
from pathlib import Path

from generator.models import Language
from generator.settings import child_environment
from generator.voice.base import SpokenLine
from generator.voice.espeak_lib import EspeakError
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


class _Server:
    """One helper process (started on first use, restarted if it died) and its request lock."""

    def __init__(self, library: str) -> None:
        self.library = library  # libespeak-ng's path, handed to the helper; empty: the system's
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[str] | None = None
        self.ready = False  # its hello line has been read

    def spawn(self) -> None:
        """Start the process if it is not running; its start-up (Python, libespeak-ng) goes on without us."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen([sys.executable, "-m", "generator.voice.espeak_server", self.library],
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

    def __init__(self, count: int, library: str) -> None:
        self.all = [_Server(library) for _ in range(max(1, count))]
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
def _server(library: str) -> _Servers:
    return _Servers(min(2, os.cpu_count() or 1), library)


class EspeakVoice:
    name = "espeak"

    def __init__(self, library: str = "") -> None:
        self.library = library  # DAIHUO_ESPEAK_LIBRARY; empty: the system's libespeak-ng

    def voice_for(self, language: Language) -> str:
        return VOICES.get(language, VOICES["en"])[0]

    def speak(self, text: str, language: Language, out_path: Path, *, speed: float = 1.0) -> SpokenLine:
        voice, wpm = VOICES.get(language, VOICES["en"])
        out_path.parent.mkdir(parents=True, exist_ok=True)
        reply = _server(self.library).ask({"text": text, "voice": voice, "wpm": int(wpm * speed), "out": str(out_path.resolve())})
        if not reply.get("ok"):
            raise EspeakError(f"espeak-ng could not speak {text[:30]!r}: {reply.get('error')}", "check the text")
        return SpokenLine(path=str(out_path), duration=reply["samples"] / reply["rate"], engine=self.name,
                          voice=voice, words=[tuple(w) for w in reply["words"]])

    def chars_per_second(self, language: Language) -> float:
        return _measured_rate(language, self.library)


@cache
def _measured_rate(language: str, library: str) -> float:
    return measure_rate(EspeakVoice(library), language)


def text_units(text: str, language: str) -> int:
    """Kept for callers of the old name: generator.voice.timing.speech_units counts speech units."""
    from generator.voice.timing import speech_units

    return speech_units(text, language)
