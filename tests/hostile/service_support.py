"""Shared pieces of the service hostile tests: real servers, raw HTTP, leak checks, real mounts.

Nothing here stands in for the real thing: servers are `daihuo serve` processes, uploads go over TCP, a full disk
is a real tmpfs and a read-only folder a real read-only bind mount (root only; the tests skip elsewhere).
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import select
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.processes import REPO_ROOT, Process, child_env, free_port, wait_for_port

IMAGES = REPO_ROOT / "examples" / "images"
TITLES = ["保湿补水面霜", "便携榨汁杯", "手工挂耳咖啡", "折叠手机支架", "真空保温杯"]
# What a response body must never show: a Python traceback, or where things live on the server.
LEAKS = re.compile(r"Traceback \(most recent call last\)|File \"/|site-packages|/tmp/|/root/|/work/|/home/|/usr/|"
                   r"/srv/|/var/|/data/|\.daihuo/(?:uploads|inputs)|\.py\", line")


def assert_no_leak(text: str, *roots: Path | str) -> None:
    found = LEAKS.search(text)
    assert found is None, f"leak {found.group(0)!r} in: {text[max(0, found.start() - 200):found.end() + 200]}"
    for root in roots:
        assert str(root) not in text, f"server path {root} in: {text[:500]}"


def write_sheet(directory: Path, skus: list[str], *, name: str = "sheet.csv") -> Path:
    """A UTF-8 CSV of SKUS with titles, prices and an image each, as a merchant would send it."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "images").mkdir(exist_ok=True)
    pics = sorted(IMAGES.glob("*.jpg"))
    path = directory / name
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["商品编码", "商品名称", "原价", "到手价", "卖点", "主图"])
        for i, sku in enumerate(skus):
            src = pics[i % len(pics)]
            shutil.copy(src, directory / "images" / src.name)
            writer.writerow([sku, TITLES[i % len(TITLES)], 99 + i, 79 + i, "轻巧便携；一键操作", f"images/{src.name}"])
    return path


@contextlib.contextmanager
def serve(root: Path, **env: str) -> Iterator[tuple[str, Process]]:
    """A real `daihuo serve` on a free port (embedded jobs unless DAIHUO_REDIS_URL is given)."""
    port = free_port()
    environment = child_env(DAIHUO_OUT=str(root / "out"), DAIHUO_THREADS="1", **env)
    if "DAIHUO_REDIS_URL" not in env:
        environment.pop("DAIHUO_REDIS_URL", None)
    proc = Process(["serve", "--host", "127.0.0.1", "--port", str(port)], environment, root / "serve.log")
    try:
        wait_for_port(port, timeout=40)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.stop()


def peak_rss_mb(pid: int) -> float:
    """The high-water mark of a process's resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def chunked_post(base: str, path: str, headers: dict[str, str], head: bytes, filler: bytes, tail: bytes, *,
                 limit: int = 200_000_000, wait: float = 60.0) -> tuple[int, bytes, int]:
    """POST with `Transfer-Encoding: chunked` (no Content-Length): HEAD, then FILLER again and again until the
    server answers or LIMIT bytes went out (then TAIL and the last chunk). Returns (status, body, bytes sent)."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=wait)
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", "Transfer-Encoding: chunked", "Connection: close",
             *(f"{k}: {v}" for k, v in headers.items())]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    pending = b"%x\r\n" % len(head) + head + b"\r\n"
    frame = b"%x\r\n" % len(filler) + filler + b"\r\n"
    sent = 0
    sock.setblocking(False)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and sent < limit:
        readable, writable, _ = select.select([sock], [sock], [], 1.0)
        if readable:
            break
        if writable:
            try:
                n = sock.send(pending)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += n
            pending = pending[n:] or frame
    else:  # the server read it all: finish the body properly, so that it answers at last
        sock.setblocking(True)
        with contextlib.suppress(OSError):
            sock.sendall(pending + b"%x\r\n" % len(tail) + tail + b"\r\n0\r\n\r\n")
    sock.setblocking(True)
    sock.settimeout(wait)
    data = b""
    with contextlib.suppress(OSError):
        while chunk := sock.recv(65536):
            data += chunk
            if b"\r\n\r\n" in data and _complete(data):
                break
    sock.close()
    if not data:
        return 0, b"", sent
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1], sent


def _complete(data: bytes) -> bool:
    head, body = data.split(b"\r\n\r\n", 1)
    match = re.search(rb"content-length: *(\d+)", head, re.I)
    return bool(match) and len(body) >= int(match.group(1))


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """PATH made read-only for real: a read-only bind mount over it (root ignores mode bits)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not (_mount("--bind", str(path), str(path))):
        pytest.skip("needs root and bind mounts for a real read-only folder")
    try:
        if not _mount("-o", "remount,ro,bind", str(path)):
            pytest.skip("cannot remount read-only here")
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=False)


@contextlib.contextmanager
def small_disk(path: Path, size: str) -> Iterator[Path]:
    """A real file system of SIZE (tmpfs) at PATH, to fill up."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)):
        pytest.skip("needs root to mount a small tmpfs (a real full disk)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def tool_path(root: Path, *, without: tuple[str, ...]) -> str:
    """A PATH with every program daihuo runs except WITHOUT (a machine where they are not installed)."""
    bindir = root / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    for tool in ("ffmpeg", "ffprobe", "espeak-ng", "tesseract", "redis-server"):
        exe = shutil.which(tool)
        if exe and tool not in without:
            (bindir / tool).unlink(missing_ok=True)
            (bindir / tool).symlink_to(exe)
    return str(bindir)
