"""Viewer comments and viewer counts coming into a live room: a small HTTP endpoint and a JSON-lines feed.

Both speak the same events (docs/host_and_loop.md, "Connecting a platform's comment feed"):

    {"user": "小王", "text": "这个咖啡是什么烘焙度？"}      a comment    (HTTP: POST /comments)
    {"viewers": 120}                                       a viewer count (HTTP: POST /stats)

A JSON line may also say {"type": "comment", ...} or {"type": "stats", ...}. The HTTP server listens on
127.0.0.1 unless told otherwise; any other address needs a token (DAIHUO_LIVE_TOKEN), sent as
`Authorization: Bearer TOKEN` or `X-Daihuo-Token: TOKEN`. Everything here is hostile input: sizes are
bounded, a flood drops the oldest waiting comments, and one user can post at most once every few seconds.
"""

from __future__ import annotations

import hmac
import ipaddress
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from generator.errors import DaihuoError

MAX_BODY = 8192
MAX_TEXT = 300
MAX_USER = 64


class EventError(DaihuoError, ValueError):
    pass


class CommentsError(DaihuoError):
    pass


@dataclass(frozen=True)
class Comment:
    id: int
    user: str
    text: str
    received: float  # time.time() when it arrived
    source: str


@dataclass(frozen=True)
class ViewerCount:
    viewers: int
    received: float
    source: str


RoomEvent = Comment | ViewerCount


def parse_event(data: Any, kind: str | None = None) -> tuple[str, dict[str, Any]]:
    """("comment", {user, text}) or ("stats", {viewers}) from a decoded JSON object; EventError otherwise."""
    if not isinstance(data, dict):
        raise EventError("expected a JSON object", 'send {"user": "...", "text": "..."} or {"viewers": N}')
    kind = kind or data.get("type") or ("stats" if "viewers" in data and "text" not in data else "comment")
    if kind in ("stats", "viewers"):
        viewers = data.get("viewers")
        if isinstance(viewers, bool) or not isinstance(viewers, int) or not 0 <= viewers <= 10**9:
            raise EventError(f"'viewers' must be a whole number from 0 up, got {viewers!r}",
                             'send {"viewers": 120}')
        return "stats", {"viewers": viewers}
    if kind != "comment":
        raise EventError(f"unknown event type {kind!r}", 'use "comment" or "stats"')
    user, text = data.get("user", ""), data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise EventError("'text' is missing or empty", 'send {"user": "name", "text": "the comment"}')
    if not isinstance(user, str):
        raise EventError("'user' must be a string", 'send the viewer\'s display name as "user"')
    if len(text) > MAX_TEXT or len(user) > MAX_USER:
        raise EventError(f"comment over {MAX_TEXT} characters or name over {MAX_USER}",
                         "send the comment as the platform shows it")
    return "comment", {"user": user.strip(), "text": text.strip()}


class Inbox:
    """Room events waiting for the host, thread-safe. Comments: at most `max_waiting` wait (the oldest are
    dropped first), and each user at most one per `per_user_s` seconds. Viewer counts: the latest wins."""

    def __init__(self, *, max_waiting: int = 50, per_user_s: float = 3.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.max_waiting, self.per_user_s, self.clock = max_waiting, per_user_s, clock
        self._comments: deque[Comment] = deque()
        self._viewers: ViewerCount | None = None
        self._last_by_user: dict[str, float] = {}
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self.dropped = 0

    def add(self, kind: str, fields: dict[str, Any], source: str) -> tuple[bool, str, int | None]:
        """(accepted, reason when not, comment id)."""
        now = self.clock()
        with self._cond:
            if kind == "stats":
                self._viewers = ViewerCount(fields["viewers"], now, source)
                self._cond.notify_all()
                return True, "", None
            user = fields["user"]
            if user and now - self._last_by_user.get(user, -1e9) < self.per_user_s:
                return False, f"one comment per {self.per_user_s:g}s per user", None
            self._last_by_user[user] = now
            if len(self._last_by_user) > 10_000:
                self._last_by_user = {u: t for u, t in self._last_by_user.items() if now - t < self.per_user_s}
            comment = Comment(next(self._ids), user, fields["text"], now, source)
            self._comments.append(comment)
            while len(self._comments) > self.max_waiting:
                self._comments.popleft()
                self.dropped += 1
            self._cond.notify_all()
            return True, "", comment.id

    def get(self, timeout: float) -> RoomEvent | None:
        """The next event (viewer counts first), waiting up to `timeout` seconds."""
        with self._cond:
            if self._viewers is None and not self._comments:
                self._cond.wait(timeout)
            if self._viewers is not None:
                event, self._viewers = self._viewers, None
                return event
            return self._comments.popleft() if self._comments else None

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._comments)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class CommentServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int, inbox: Inbox, token: str, log: Callable[[str], None]) -> None:
        if not is_loopback(host) and not token:
            raise CommentsError(f"--comments-host {host} would let anyone on the network post comments",
                                "set DAIHUO_LIVE_TOKEN to a secret, or listen on 127.0.0.1")
        self.inbox, self.token, self.log = inbox, token, log
        try:
            super().__init__((host, port), _Handler)
        except OSError as exc:
            raise CommentsError(f"cannot listen on {host}:{port} for comments: {exc.strerror or exc}",
                                "choose another --comments-port") from None

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start(self) -> CommentServer:
        threading.Thread(target=self.serve_forever, daemon=True, name="comments-http").start()
        return self


class _Handler(BaseHTTPRequestHandler):
    server: CommentServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        pass  # requests are logged as room events, not as access lines

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        token = self.server.token
        if not token:
            return True
        sent = self.headers.get("X-Daihuo-Token") or ""
        auth = self.headers.get("Authorization") or ""
        if auth.lower().startswith("bearer "):
            sent = auth[7:].strip()
        return hmac.compare_digest(sent.encode("utf-8"), token.encode("utf-8"))

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.split("?", 1)[0] != "/health":
            self._reply(404, {"error": "not found: POST /comments, POST /stats, GET /health"})
            return
        self._reply(200, {"ok": True, "comments_waiting": self.server.inbox.waiting})

    def do_POST(self) -> None:  # noqa: N802
        route = self.path.split("?", 1)[0]
        if route not in ("/comments", "/stats"):
            self._reply(404, {"error": "not found: POST /comments, POST /stats, GET /health"})
            return
        if not self._authorised():
            self._reply(401, {"error": "missing or wrong token: send Authorization: Bearer DAIHUO_LIVE_TOKEN"})
            return
        try:
            length = int(self.headers.get("Content-Length") or "")
        except ValueError:
            self._reply(411, {"error": "send a Content-Length header"})
            return
        if length > MAX_BODY:
            self.close_connection = True
            self._reply(413, {"error": f"body over {MAX_BODY} bytes"})
            return
        try:
            data = json.loads(self.rfile.read(length).decode("utf-8"))
            kind, fields = parse_event(data, "stats" if route == "/stats" else "comment")
        except (UnicodeDecodeError, json.JSONDecodeError):
            self._reply(400, {"error": "the body is not UTF-8 JSON"})
            return
        except EventError as exc:
            self._reply(400, {"error": exc.message})
            return
        accepted, why, comment_id = self.server.inbox.add(kind, fields, "http")
        if not accepted:
            self._reply(429, {"error": why})
            return
        self._reply(202, {"accepted": True, "id": comment_id})


def read_lines(lines: Iterable[str], inbox: Inbox, source: str, log: Callable[[str], None]) -> None:
    """Feed JSON lines into the inbox; a bad line is one logged line (its number and the problem), skipped."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            kind, fields = parse_event(json.loads(line))
        except json.JSONDecodeError as exc:
            log(f"{source} line {number}: not JSON ({exc.msg}) — one JSON object per line")
            continue
        except EventError as exc:
            log(f"{source} line {number}: {exc.message}")
            continue
        accepted, why, _id = inbox.add(kind, fields, source)
        if not accepted:
            log(f"{source} line {number}: skipped ({why})")


def follow_file(path: Path, stop: threading.Event, poll_s: float = 0.2) -> Iterable[str]:
    """Lines appended to `path` from now on (like `tail -F -n 0`; a file that does not exist yet is read from
    its start once it appears), starting over when it is truncated or replaced; ends when `stop` is set."""
    handle = None
    skip_existing = path.exists()
    position = 0
    inode = None
    try:
        while not stop.is_set():
            if handle is None:
                try:
                    handle = path.open("rb")
                except OSError:
                    stop.wait(poll_s)
                    continue
                stat = path.stat()
                inode = stat.st_ino
                position = stat.st_size if skip_existing else 0
                skip_existing = False
                handle.seek(position)
            line = handle.readline()
            if line.endswith(b"\n"):
                position = handle.tell()
                yield line.decode("utf-8", errors="replace")
                continue
            handle.seek(position)  # a half-written line: read it again when it is complete
            try:
                stat = path.stat()
            except OSError:
                stat = None
            if stat is None or stat.st_ino != inode or stat.st_size < position:
                handle.close()
                handle = None  # replaced or truncated: read the new file from its start
                if stat is None:
                    stop.wait(poll_s)
                continue
            stop.wait(poll_s)
    finally:
        if handle is not None:
            handle.close()
