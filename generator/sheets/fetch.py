"""Image intake: check a local image with Pillow, and fetch an image URL safely.

A product sheet is merchant input, and on the HTTP API it is untrusted input, so a URL in it must not
become a way to reach this machine's own network (SSRF): only http(s), only public addresses (every
address the name resolves to is checked, and the connection goes to the checked address so a second DNS
answer cannot swap it), redirects followed by hand and re-checked, a size cap, and the bytes must decode
as an image before they land in the cache.

The time limit is one deadline for the whole download — name lookups, connects, TLS, headers, every
redirect and the body — not a limit per socket read, which a server trickling one byte a second never
trips: the lookup runs in a thread that is abandoned at the deadline, and each HTTP exchange runs under a
cancel scope that expires at the deadline.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import socket
import tempfile
import threading
import time
import warnings
from collections.abc import Awaitable, Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from PIL import Image

from generator.errors import DaihuoError
from generator.settings import SheetLimits

if TYPE_CHECKING:  # httpx, anyio and asyncio load when a sheet names a URL, not at every start (50 ms)
    import httpx

# Formats the renderer can use. Opening only these keeps Pillow away from plugins that shell out
# (EPS runs Ghostscript) or that nobody puts on a product page.
IMAGE_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")  # JPEG also opens MPO
_EXTENSIONS = {"JPEG": ".jpg", "MPO": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif", "BMP": ".bmp", "TIFF": ".tif"}
MAX_REDIRECTS = 3
_REDIRECT_CODES = {301, 302, 303, 307, 308}
_USER_AGENT = "daihuo/0.1 (product image fetch)"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AllowPrivate = bool | Collection[str]


class ImageProblem(DaihuoError, ValueError):
    """The file is not an image we can use; the message says why, in words for the merchant."""


class FetchError(DaihuoError, ValueError):
    """An image URL could not be fetched; the message says why and is shown as a warning."""


def check_image(path: Path, *, max_pixels: int) -> str:
    """Verify that PATH is a whole, decodable image of at most MAX_PIXELS pixels; return its format.

    The pixel count is checked from the header before any pixel is decoded (and independently of
    Pillow's process-wide Image.MAX_IMAGE_PIXELS, which other threads may rely on); Pillow's own
    decompression-bomb guard is still caught in case it fires first.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=IMAGE_FORMATS) as im:
                width, height = im.size
                fmt = im.format or "?"
                if width * height > max_pixels:
                    raise ImageProblem(
                        f"is {width}×{height} = {width * height:,} pixels, over the limit of {max_pixels:,} "
                        "(a decompression-bomb guard); scale it down (2000 px on the long side is plenty) "
                        "or raise DAIHUO_MAX_IMAGE_PIXELS"
                    )
                im.verify()  # structure and checksums, without decoding
            with Image.open(path, formats=IMAGE_FORMATS) as im:
                im.load()  # verify() misses truncated pixel data; a full decode does not
    except ImageProblem:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageProblem(f"is too large to decode safely ({exc}); scale it down") from exc
    except Image.UnidentifiedImageError as exc:
        raise ImageProblem(
            f"is not an image in a supported format ({', '.join(IMAGE_FORMATS)}); re-save it as JPEG or PNG"
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        # Pillow reports damaged files as OSError ("truncated"), SyntaxError (bad PNG chunks) or ValueError.
        raise ImageProblem(f"is damaged or unreadable ({exc}); re-export it as JPEG or PNG") from exc
    return fmt


def is_public_address(ip: IPAddress) -> bool:
    """True only for globally routable unicast addresses (IPv6 forms that wrap an IPv4 one are unwrapped)."""
    if isinstance(ip, ipaddress.IPv6Address):
        for inner in (ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None):
            if inner is not None and not is_public_address(inner):
                return False
    bad = (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )
    return not bad and ip.is_global


def resolve_public(host: str, port: int, *, allow_private: AllowPrivate = False) -> IPAddress:
    """Resolve HOST and return an address to connect to; refuse if ANY resolved address is not public.

    allow_private exists for tests that serve images from 127.0.0.1; production callers never set it.
    True allows every address; a collection of IP strings allows just those (so a test can still see a
    redirect to another private address refused).
    """
    return _checked_address(host, _lookup(host, port), allow_private)


def _lookup(host: str, port: int) -> list:
    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"the host {host!r} could not be resolved ({exc}); check the URL") from exc


def _resolve_before(host: str, port: int, deadline: float, allow_private: AllowPrivate, timeout: float) -> IPAddress:
    """resolve_public, given up at DEADLINE: the system resolver has no timeout of its own to pass."""
    answer: dict[str, object] = {}

    def look() -> None:
        try:
            answer["infos"] = _lookup(host, port)
        except FetchError as exc:
            answer["error"] = exc

    thread = threading.Thread(target=look, name="daihuo-dns", daemon=True)
    thread.start()
    thread.join(max(0.0, deadline - time.monotonic()))
    if thread.is_alive():
        raise FetchError(f"the host {host!r} did not resolve in time (DAIHUO_FETCH_TIMEOUT is {timeout:g} s); check the URL")
    if "error" in answer:
        raise answer["error"]  # type: ignore[misc]
    return _checked_address(host, answer["infos"], allow_private)  # type: ignore[arg-type]


def _checked_address(host: str, infos: list, allow_private: AllowPrivate) -> IPAddress:
    addresses: list[IPAddress] = []
    for info in infos:
        # Drop an IPv6 zone id ("fe80::1%eth0") before parsing; link-local is refused anyway.
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise FetchError(f"the host {host!r} has no address; check the URL")
    if allow_private is not True:
        refused = [str(ip) for ip in addresses if not is_public_address(ip) and not _allowed(ip, allow_private)]
        if refused:
            raise FetchError(
                f"the host {host!r} resolves to a non-public address ({', '.join(refused)}); only images on "
                "public internet hosts are fetched — put the file next to the sheet instead"
            )
    return addresses[0]


def _allowed(ip: IPAddress, allow_private: AllowPrivate) -> bool:
    return allow_private is True or (not isinstance(allow_private, bool) and str(ip) in allow_private)


def _check_url(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"only http:// and https:// image URLs are fetched, not {parts.scheme or 'this'}://")
    if parts.username or parts.password:
        raise FetchError("image URLs with a user name or password are not fetched; use a public link")
    if not parts.hostname:
        raise FetchError("the URL has no host name")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise FetchError(f"the URL has an invalid port ({exc})") from exc
    import httpx

    try:
        # The ASCII (IDNA/punycode) form: what DNS, the Host header and TLS need for 例子.中国.
        host = httpx.URL(url).raw_host.decode("ascii")
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise FetchError(f"the URL's host name is invalid ({exc})") from exc
    return host, port


def cache_name(url: str) -> str:
    """The cache file stem for URL: the same URL always maps to the same file."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]


def _cached(cache_dir: Path, url: str) -> Path | None:
    stem = cache_name(url)
    for ext in sorted(set(_EXTENSIONS.values())):
        candidate = cache_dir / f"{stem}{ext}"
        if candidate.is_file():
            return candidate
    return None


def fetch_image(
    url: str,
    cache_dir: Path,
    *,
    limits: SheetLimits | None = None,
    allow_private: AllowPrivate = False,
    max_redirects: int = MAX_REDIRECTS,
    deadline: float | None = None,
) -> Path:
    """Download the image at URL into CACHE_DIR (atomically) and return its path; raise FetchError.

    The whole download ends by limits.fetch_timeout seconds from now, or by DEADLINE (time.monotonic())
    when that is sooner. A URL that is already in the cache is not fetched again. allow_private is for
    tests only.
    """
    limits = limits or SheetLimits()
    cache_dir.mkdir(parents=True, exist_ok=True)
    hit = _cached(cache_dir, url)
    if hit is not None:
        return hit
    data = _download(url, limits=limits, allow_private=allow_private, max_redirects=max_redirects, deadline=deadline)
    fd, tmp_name = tempfile.mkstemp(dir=cache_dir, prefix=".fetch-", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        try:
            fmt = check_image(tmp, max_pixels=limits.max_image_pixels)
        except ImageProblem as exc:
            raise FetchError(f"the downloaded file {exc}") from exc
        final = cache_dir / f"{cache_name(url)}{_EXTENSIONS.get(fmt, '.img')}"
        os.replace(tmp, final)
        return final
    finally:
        tmp.unlink(missing_ok=True)


def _download(url: str, *, limits: SheetLimits, allow_private: AllowPrivate, max_redirects: int,
              deadline: float | None = None) -> bytes:
    timeout = limits.fetch_timeout
    own = time.monotonic() + timeout
    expired = f"the download took longer than {timeout:g} s in all (DAIHUO_FETCH_TIMEOUT); stopped"
    if deadline is not None and deadline < own:
        expired = "the sheet's time for image downloads ran out (DAIHUO_FETCH_BUDGET); stopped"
    deadline = min(own, deadline if deadline is not None else own)
    current = url
    for _hop in range(max_redirects + 1):
        host, port = _check_url(current)
        ip = _resolve_before(host, port, deadline, allow_private, timeout)
        status, location, body = _exchange(current, host, port, ip, deadline=deadline, timeout=timeout,
                                           cap=limits.max_image_bytes, expired=expired)
        if status in _REDIRECT_CODES:
            if not location:
                raise FetchError(f"HTTP {status} redirect without a Location")
            current = urljoin(current, location)
            continue
        if status != 200:
            raise FetchError(f"the server answered HTTP {status}; check the link")
        return body
    raise FetchError(f"more than {max_redirects} redirects; use the image's final address")


def _exchange(url: str, host: str, port: int, ip: IPAddress, *, deadline: float, timeout: float,
              cap: int, expired: str) -> tuple[int, str | None, bytes]:
    """One request to the checked IP, all of it (connect to last body byte) before DEADLINE:
    (status, Location, body — read only for a 200)."""
    import anyio
    import httpx

    async def exchange() -> tuple[int, str | None, bytes]:
        with anyio.fail_after(max(0.0, deadline - time.monotonic())):
            # trust_env=False: a proxy from the environment would make the address check meaningless.
            async with httpx.AsyncClient(timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False) as client:
                request = _pinned_request(client, url, host, port, ip)
                response = await client.send(request, stream=True)
                try:
                    if response.status_code != 200:
                        return response.status_code, response.headers.get("location"), b""
                    return 200, None, await _read_capped(response, cap=cap)
                finally:
                    await response.aclose()

    try:
        return _run_async(exchange)
    except TimeoutError as exc:
        raise FetchError(expired) from exc
    except httpx.TimeoutException as exc:
        raise FetchError(f"no answer within {timeout:g} s; check the URL or raise DAIHUO_FETCH_TIMEOUT") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"the download failed ({exc.__class__.__name__}: {exc})") from exc


def _run_async(make: Callable[[], Awaitable[tuple[int, str | None, bytes]]]) -> tuple[int, str | None, bytes]:
    """Run the coroutine to completion from sync code, also when this thread already runs an event loop."""
    import asyncio

    import anyio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return anyio.run(make)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="daihuo-fetch") as pool:
        return pool.submit(anyio.run, make).result()


def _pinned_request(client: httpx.Client, url: str, host: str, port: int, ip: IPAddress) -> httpx.Request:
    """A request to the already-checked IP, with the original Host header and TLS name (SNI + certificate)."""
    scheme = urlsplit(url).scheme
    import httpx

    target = httpx.URL(url).copy_with(host=str(ip))
    host_header = f"[{host}]" if ":" in host else host
    if port != (443 if scheme == "https" else 80):
        host_header = f"{host_header}:{port}"
    return client.build_request(
        "GET",
        target,
        headers={"Host": host_header, "User-Agent": _USER_AGENT, "Accept": "image/*"},
        extensions={"sni_hostname": host},
    )


async def _read_capped(response: httpx.Response, *, cap: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cap:
        raise FetchError(f"the image is {int(declared):,} bytes, over the limit of {cap:,} (DAIHUO_MAX_IMAGE_BYTES)")
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if total > cap:
            raise FetchError(f"the image is over the limit of {cap:,} bytes (DAIHUO_MAX_IMAGE_BYTES); stopped")
        chunks.append(chunk)
    return b"".join(chunks)
