"""A small single-threaded process that owns libespeak-ng and speaks every line from the same pristine state.

libespeak-ng keeps global state between syntheses (its noise generator and prosody carry over), so the same
line spoken after different lines comes out a few samples different, and a job would not make the same clip
twice — nor would the in-process, API and Celery runners agree. Here the library is initialised once, never
used by this process itself, and each line is spoken by a child forked from it: every line starts from the
same state, so the same text gives the same samples in any process, in any order, concurrently or not.

Started as `python -m generator.voice.espeak_server [LIBRARY]`. Protocol (JSON lines): request {"text", "voice", "wpm", "out"} → the child writes OUT (16-bit mono WAV) →
reply {"ok": true, "rate", "samples", "words": [[word, start, end], ...]} or {"ok": false, "error"}.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def _speak(lib: object, request: dict) -> dict:  # type: ignore[type-arg]
    from generator.voice.audio import write_pcm16
    from generator.voice.espeak_lib import word_times

    audio, events = lib.synth(request["text"], request["voice"], int(request["wpm"]))  # type: ignore[attr-defined]
    rate = lib.rate  # type: ignore[attr-defined]
    write_pcm16(Path(request["out"]), audio, rate)
    return {"ok": True, "rate": rate, "samples": int(audio.size),
            "words": word_times(request["text"], events, audio, rate)}


def serve(library: str = "", stdin=sys.stdin, stdout=sys.stdout) -> None:  # noqa: ANN001 - text streams
    """Speak requests from STDIN with libespeak-ng at LIBRARY (the parent's DAIHUO_ESPEAK_LIBRARY; empty: the
    system's). Only ctypes and numpy are imported here: the helper is ready in about 0.15 s."""
    from generator.voice.espeak_lib import EspeakError, _Library

    try:
        lib = _Library(library)
    except EspeakError as exc:
        # the problem only: the parent raises its own EspeakError, whose fix would otherwise be said twice
        stdout.write(json.dumps({"ok": False, "error": exc.problem}) + "\n")
        stdout.flush()
        return
    stdout.write(json.dumps({"ok": True, "ready": True}) + "\n")
    stdout.flush()
    for line in stdin:
        request = json.loads(line)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: speak from the pristine state, report, and leave without cleanup
            os.close(read)
            try:
                reply = _speak(lib, request)
            except Exception as exc:  # noqa: BLE001 - reported to the parent as one line
                reply = {"ok": False, "error": str(exc).splitlines()[0] if str(exc) else type(exc).__name__}
            with os.fdopen(write, "w", encoding="utf-8") as pipe:
                pipe.write(json.dumps(reply, ensure_ascii=False))
            os._exit(0)
        os.close(write)
        with os.fdopen(read, encoding="utf-8") as pipe:
            body = pipe.read()
        os.waitpid(pid, 0)
        stdout.write((body or json.dumps({"ok": False, "error": "espeak-ng child died"})) + "\n")
        stdout.flush()


if __name__ == "__main__":
    serve(sys.argv[1] if len(sys.argv) > 1 else "")
