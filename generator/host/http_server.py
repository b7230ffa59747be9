"""A reference talking-head server for the `http` host contract, rendering with the sprite host.

It shows the contract in running code and backs the tests; a real GPU server (SadTalker, MuseTalk, ...) sits
behind the same POST. Run: `python -m generator.host.http_server --port 8765` and set
DAIHUO_HOST_URL=http://127.0.0.1:8765/render.
"""

from __future__ import annotations

import argparse
import email.parser
import email.policy
import io
import json
import subprocess
import tempfile
import threading
import wave
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import Image

from generator.host.sprite import SpriteHost, load_sprite_set
from generator.models import VoiceTrack

KEY = "#00ff00"


def parse_multipart(content_type: str, body: bytes) -> dict[str, bytes]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[str(name)] = part.get_payload(decode=True) or b""
    return fields


def render_frames(audio: bytes, width: int, height: int, fps: int, avatar: str) -> list[Image.Image]:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "voice.wav"
        wav.write_bytes(audio)
        with wave.open(str(wav)) as w:
            seconds = w.getnframes() / w.getframerate()
        voice = VoiceTrack(path=str(wav), duration=seconds, lines=[], engine="http-reference")
        host = SpriteHost(load_sprite_set(avatar), voice, None, box=(0, 0, width, height), fps=fps)
        return [Image.fromarray(host.rgba(i / fps)) for i in range(max(1, round(seconds * fps)))]


def encode_zip(frames: list[Image.Image], fps: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for i, frame in enumerate(frames):
            png = io.BytesIO()
            frame.save(png, format="PNG", compress_level=1)
            z.writestr(f"frame_{i:06d}.png", png.getvalue())
        z.writestr("meta.json", json.dumps({"fps": fps}))
    return buf.getvalue()


def encode_mp4(frames: list[Image.Image], fps: int) -> bytes:
    w, h = frames[0].size
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "host.mp4"
        proc = subprocess.Popen(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                                 "-s", f"{w}x{h}", "-r", str(fps), "-i", "-", "-c:v", "libx264", "-preset",
                                 "ultrafast", "-crf", "18", "-pix_fmt", "yuv420p", str(out)], stdin=subprocess.PIPE)
        for frame in frames:
            keyed = Image.new("RGBA", frame.size, KEY)
            keyed.alpha_composite(frame)
            assert proc.stdin is not None
            proc.stdin.write(keyed.convert("RGB").tobytes())
        assert proc.stdin is not None
        proc.stdin.close()
        if proc.wait() != 0:
            raise RuntimeError("ffmpeg could not encode the host video")
        return out.read_bytes()


class Handler(BaseHTTPRequestHandler):
    server_version = "daihuo-host-reference/1"

    def log_message(self, format: str, *args: object) -> None:  # quiet in tests
        pass

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.rstrip("/") == "/fail":
            self._send(500, "text/plain", b"simulated GPU failure")
            return
        length = int(self.headers.get("content-length", 0))
        fields = parse_multipart(self.headers.get("content-type", ""), self.rfile.read(length))
        try:
            width, height = int(fields["width"]), int(fields["height"])
            fps = int(fields.get("fps", b"25"))
            avatar = fields.get("avatar", b"default").decode() or "default"
            frames = render_frames(fields["audio"], width, height, fps, avatar)
        except (KeyError, ValueError, wave.Error) as exc:
            self._send(400, "text/plain", f"bad request: {exc}".encode())
            return
        if fields.get("format", b"zip") == b"mp4" or self.path.rstrip("/") == "/render-mp4":
            self._send(200, "video/mp4", encode_mp4(frames, fps), {"X-Key-Color": KEY})
        else:
            self._send(200, "application/zip", encode_zip(frames, fps))

    def _send(self, status: int, kind: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


def serve(port: int = 0, host: str = "127.0.0.1") -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Start the reference server in a thread; server.server_address has the bound port."""
    server = ThreadingHTTPServer((host, port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    srv = ThreadingHTTPServer((args.host, args.port), Handler)
    print(f"serving the reference host on http://{args.host}:{args.port}/render")
    srv.serve_forever()
