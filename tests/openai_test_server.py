"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests, scripted per test.

It speaks enough of the API for the real `openai` client: POST /v1/chat/completions and POST
/v1/audio/speech. Each test queues replies (status, JSON body, headers such as Retry-After, a delay
before answering) or installs a responder function; every request is recorded with its arrival time so
tests can assert what the client sent and how long it waited between attempts.
"""

from __future__ import annotations

import io
import json
import math
import re
import shutil
import struct
import subprocess
import threading
import time
import wave
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict (sent as JSON), bytes (sent as is) or str
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "application/json"


@dataclass
class Recorded:
    path: str
    body: Any
    headers: dict[str, str]
    at: float

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", [])) if isinstance(self.body, dict) else []

    def prompt_text(self) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.messages)


def chat_reply(content: str, *, prompt_tokens: int = 100, completion_tokens: int = 50, model: str = "test-model",
               status: int = 200, headers: dict[str, str] | None = None, delay: float = 0.0) -> Reply:
    """A chat.completions response whose single choice says `content`."""
    body = {
        "id": f"chatcmpl-{time.time_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }
    return Reply(status=status, body=body, headers=headers or {}, delay=delay)


def error_reply(status: int, message: str = "error", *, headers: dict[str, str] | None = None,
                delay: float = 0.0) -> Reply:
    body = {"error": {"message": message, "type": "server_error" if status >= 500 else "invalid_request_error",
                      "code": None, "param": None}}
    return Reply(status=status, body=body, headers=headers or {}, delay=delay)


def speech_wav(text: str, *, rate: int = 24000) -> bytes:
    """WAV bytes for `text`: espeak-ng speech when installed, else a tone as long as the text would take."""
    if shutil.which("espeak-ng"):
        done = subprocess.run(["espeak-ng", "--stdout", "-v", "en", text or "ok"], capture_output=True, timeout=30)
        if done.returncode == 0 and done.stdout[:4] == b"RIFF":
            return done.stdout
    seconds = max(0.3, 0.07 * len(text))
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                      for i in range(int(seconds * rate)))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return buf.getvalue()


def minimal_instance(schema: dict[str, Any], root: dict[str, Any] | None = None) -> Any:
    """The smallest instance a JSON schema allows, as a strict structured-outputs server would be entitled to
    answer: every required property, arrays at minItems, the first enum value, the shortest string that
    matches `pattern`, numbers at their minimum. Covers the subset strict mode uses ($ref/$defs, anyOf)."""
    root = root or schema
    if "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/$defs/"), f"unsupported $ref {ref}"
        return minimal_instance(root["$defs"][ref.split("/")[-1]], root)
    if "anyOf" in schema:
        return minimal_instance(schema["anyOf"][0], root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: minimal_instance(props[k], root) for k in schema.get("required", list(props))}
    if kind == "array":
        return [minimal_instance(schema["items"], root) for _ in range(schema.get("minItems", 0))]
    if kind == "string":
        pattern = schema.get("pattern")
        if pattern is None:
            return ""
        for candidate in ("", "x", "0", "a", "x" * 2, "x" * 8):
            if re.search(pattern, candidate):
                return candidate
        raise AssertionError(f"no short string matches pattern {pattern!r}")
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    raise AssertionError(f"unsupported schema node {schema}")


def schema_responder(rec: Recorded) -> Reply | None:
    """Answer a chat request with the minimal instance of the json_schema it sent (None for other requests)."""
    if not rec.path.endswith("/chat/completions") or not isinstance(rec.body, dict):
        return None
    fmt = rec.body.get("response_format") or {}
    if fmt.get("type") != "json_schema":
        return error_reply(400, "this test server only answers json_schema requests")
    return chat_reply(json.dumps(minimal_instance(fmt["json_schema"]["schema"]), ensure_ascii=False))


Responder = Callable[[Recorded], "Reply | None"]  # None: the default reply for that path


class OpenAITestServer:
    """Start with `with OpenAITestServer() as server:`; `server.base_url` goes to the client."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.responder: Responder | None = None
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting -------------------------------------------------------------------------------
    def queue(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def _next_reply(self, rec: Recorded) -> Reply:
        with self._lock:
            if self.replies:
                return self.replies.popleft()
        if self.responder is not None:
            reply = self.responder(rec)
            if reply is not None:
                return reply
        if rec.path.endswith("/audio/speech"):
            text = rec.body.get("input", "") if isinstance(rec.body, dict) else ""
            return Reply(body=speech_wav(text), content_type="audio/wav")
        return error_reply(500, "test server: no reply queued for this request")

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> OpenAITestServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                return

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body: Any = json.loads(raw.decode("utf-8")) if raw else {}
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                rec = Recorded(self.path, body, {k.lower(): v for k, v in self.headers.items()}, time.monotonic())
                with server._lock:
                    server.requests.append(rec)
                reply = server._next_reply(rec)
                if reply.delay:
                    time.sleep(reply.delay)
                if isinstance(reply.body, bytes):
                    payload = reply.body
                elif isinstance(reply.body, str):
                    payload = reply.body.encode("utf-8")
                else:
                    payload = json.dumps(reply.body, ensure_ascii=False).encode("utf-8")
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to tell it

            def do_GET(self) -> None:  # noqa: N802
                payload = json.dumps({"object": "list", "data": [{"id": "test-model", "object": "model"}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, name="openai-test-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> OpenAITestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def running_server() -> Iterator[OpenAITestServer]:
    with OpenAITestServer() as server:
        yield server
