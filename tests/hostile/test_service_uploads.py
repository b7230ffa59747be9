"""Hostile uploads and tenants against a real `daihuo serve` (class 2 of issue #11; cases in README-service.md).

- a chunked upload (no Content-Length) is cut off at the limit while it streams, not after spooling it all;
- two API keys never see each other's jobs (list, status, events, artifacts, downloads); an admin key sees all;
- job ids carry enough randomness that nobody guesses another merchant's;
- a sheet that is slow to parse is read in a separate, limited process: the server answers at once and stays
  responsive, and the job fails with one line.
"""

from __future__ import annotations

import io
import re
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.hostile.service_support import assert_no_leak, chunked_post, peak_rss_mb, serve

LIMIT = 2_000_000
KEY_A, KEY_B, ADMIN = "key-shop-a", "key-shop-b", "key-admin"


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, int]]:
    root = tmp_path_factory.mktemp("uploads")
    with serve(root, DAIHUO_API_KEYS=f"{KEY_A},{KEY_B}", DAIHUO_ADMIN_KEYS=ADMIN, DAIHUO_MAX_UPLOAD_BYTES=str(LIMIT),
               DAIHUO_PARSE_CPU_SECONDS="4", DAIHUO_PARSE_WAIT_SECONDS="2", DAIHUO_PARSE_MEMORY_MB="400") as (base, proc):
        yield base, root / "out", proc.proc.pid


MULTIPART_HEAD = (b"--XyZ\r\nContent-Disposition: form-data; name=\"sheet\"; filename=\"big.csv\"\r\n"
                  b"Content-Type: text/csv\r\n\r\nsku,title\n")


def test_chunked_multipart_upload_is_cut_off_while_streaming(server: tuple[str, Path, int]) -> None:
    base, out, pid = server
    before = peak_rss_mb(pid)
    status, body, sent = chunked_post(base, "/v1/jobs", {**auth(KEY_A), "Content-Type": "multipart/form-data; boundary=XyZ"},
                                      MULTIPART_HEAD, b"A-1,cup\n" * 8192, b"\r\n--XyZ--\r\n",
                                      limit=100_000_000)
    assert status == 413, (status, body[:300])
    assert b"over the limit of 2,000,000" in body
    # The server stopped reading near the limit: what got out is the limit plus what the sockets buffer,
    # far from the 100 MB the client had to send.
    assert sent < 20_000_000, f"the server read {sent:,} bytes before answering"
    assert peak_rss_mb(pid) - before < 60, "the server's memory grew with the upload"
    assert not any((out / ".daihuo" / "uploads").glob("*/*")), "a refused upload left files behind"


def test_chunked_json_body_is_cut_off_while_streaming(server: tuple[str, Path, int]) -> None:
    base, _, _ = server
    status, body, sent = chunked_post(base, "/v1/jobs", {**auth(KEY_A), "Content-Type": "application/json"},
                                      b'{"products": [', b'{"sku": "A-1", "title": "cup"},' * 2000,
                                      b'{"sku": "A-2", "title": "cup"}]}', limit=100_000_000)
    assert status == 413 and b"over the limit" in body, (status, body[:300])
    assert sent < 20_000_000


def _submit(client: httpx.Client, key: str, sku: str) -> str:
    res = client.post("/v1/jobs", headers=auth(key), json={
        "products": [{"sku": sku, "title": "真空保温杯", "selling_points": ["保温12小时"], "price": 129}],
        "platforms": "douyin", "duration": 6, "scale": 0.25, "music": False})
    assert res.status_code == 202, res.text
    return res.json()["id"]


def _wait(client: httpx.Client, key: str, job: str, timeout: float = 240) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = client.get(f"/v1/jobs/{job}", headers=auth(key)).raise_for_status().json()
        if view["state"] in ("done", "failed"):
            return view
        time.sleep(0.5)
    raise AssertionError(f"job {job} did not finish")


def test_two_keys_never_see_each_others_jobs_and_an_admin_sees_all(server: tuple[str, Path, int]) -> None:
    base, _, _ = server
    with httpx.Client(base_url=base, timeout=30) as client:
        job_a, job_b = _submit(client, KEY_A, "SHOP-A-1"), _submit(client, KEY_B, "SHOP-B-1")
        assert _wait(client, KEY_A, job_a)["state"] == "done"
        files = client.get(f"/v1/jobs/{job_a}/artifacts", headers=auth(KEY_A)).json()["files"]
        clip = next(f for f in files if f["kind"] == "video")
        path = clip["url"].split("?")[0]

        listed_b = {j["id"] for j in client.get("/v1/jobs", headers=auth(KEY_B)).json()}
        assert job_b in listed_b and job_a not in listed_b
        listed_a = {j["id"] for j in client.get("/v1/jobs", headers=auth(KEY_A)).json()}
        assert job_a in listed_a and job_b not in listed_a
        for url in (f"/v1/jobs/{job_a}", f"/v1/jobs/{job_a}/events", f"/v1/jobs/{job_a}/artifacts", path,
                    path + "?download=1"):
            res = client.get(url, headers=auth(KEY_B))
            assert res.status_code == 404, (url, res.status_code)  # not even told that the job exists
            assert job_a not in res.text or "no job" in res.text
            assert client.get(url, headers=auth(KEY_A)).status_code == 200, url
        assert client.get(path + "?token=wrong", headers=auth(KEY_B)).status_code == 404
        # The job's own download link (a capability, for <video> and sharing) still works without any key.
        assert client.get(clip["url"]).status_code == 200

        admin = {j["id"] for j in client.get("/v1/jobs?limit=200", headers=auth(ADMIN)).json()}
        assert {job_a, job_b} <= admin
        assert client.get(f"/v1/jobs/{job_b}", headers=auth(ADMIN)).status_code == 200
        assert client.get(path, headers=auth(ADMIN)).status_code == 200


def test_job_ids_cannot_be_guessed(server: tuple[str, Path, int]) -> None:
    base, _, _ = server
    with httpx.Client(base_url=base, timeout=30) as client:
        _submit(client, KEY_A, "ID-1")
        ids = [j["id"] for j in client.get("/v1/jobs?limit=200", headers=auth(KEY_A)).json()]
    assert ids
    for job in ids:
        random_part = re.split(r"[-_]", job)[-1]
        # At least 96 random bits (24 hex digits): no enumeration by timestamp and a few guesses.
        assert len(random_part) >= 24 and re.fullmatch(r"[0-9a-f]+", random_part), job


def _padded_xlsx(pad_mb: int) -> bytes:
    """A valid workbook whose sheet XML carries PAD_MB megabytes of empty rows before its product row
    (compresses ~500:1): each empty row costs the XLSX reader a Python object, so it parses for long."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["商品编码", "商品名称", "到手价"])
    wb.active.append(["PAD-1", "杯子", 9])
    plain = io.BytesIO()
    wb.save(plain)
    src = zipfile.ZipFile(io.BytesIO(plain.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(item, data)
                continue
            at = data.index(b'<row r="2"')
            with dst.open(item.filename, "w", force_zip64=True) as f:
                f.write(data[:at])
                chunk = b'<row r="2"/>' * 100_000
                for _ in range(pad_mb * 1_000_000 // len(chunk)):
                    f.write(chunk)
                f.write(data[at:])
    return out.getvalue()


def test_a_sheet_that_is_slow_to_parse_never_holds_the_server(server: tuple[str, Path, int]) -> None:
    base, out, pid = server
    bomb = _padded_xlsx(40)  # 85 kB on the wire, 40 MB of XML: ~25 s and ~400 MB to parse in one thread
    assert len(bomb) < LIMIT
    before = peak_rss_mb(pid)
    answer: dict[str, object] = {}

    def post() -> None:
        started = time.monotonic()
        try:
            with httpx.Client(base_url=base, timeout=20) as client:
                res = client.post("/v1/jobs", headers=auth(KEY_A), files={"sheet": ("bomb.xlsx", bomb)},
                                  data={"duration": "6", "scale": "0.25"})
            answer.update(status=res.status_code, body=res.json(), seconds=time.monotonic() - started)
        except httpx.HTTPError as exc:
            answer.update(status=None, body=repr(exc), seconds=time.monotonic() - started)

    thread = threading.Thread(target=post)
    thread.start()
    slowest = 0.0
    with httpx.Client(base_url=base, timeout=10) as client:
        while thread.is_alive():
            t = time.monotonic()
            assert client.get("/healthz").status_code == 200
            slowest = max(slowest, time.monotonic() - t)
            time.sleep(0.2)
    thread.join()
    assert answer["status"] in (202, 422), answer
    assert answer["seconds"] < 10, f"the upload was answered after {answer['seconds']:.0f}s"  # type: ignore[operator]
    assert slowest < 2, f"the server stalled {slowest:.1f}s while the sheet was read"
    assert_no_leak(str(answer["body"]), out)
    if answer["status"] == 202:
        job = answer["body"]["id"]  # type: ignore[index]
        with httpx.Client(base_url=base, timeout=10) as client:
            view = _wait(client, KEY_A, job, timeout=60)
        assert view["state"] == "failed" and view["products"] == []
        assert "\n" not in view["error"] and "—" in view["error"], view["error"]  # one line: problem — fix
        assert_no_leak(str(view), out)
    assert peak_rss_mb(pid) - before < 100, "parsing the sheet grew the server's memory"


def _alias_bomb() -> bytes:
    """A 400-byte YAML sheet whose aliases stand for 9⁹ cells (a "billion laughs")."""
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    lines.append('products: [{"sku": "Y-1", "title": "杯子", "selling_points": *i}]')
    return ("\n".join(lines) + "\n").encode()


def test_a_sheet_that_needs_too_much_memory_is_refused_in_one_line(server: tuple[str, Path, int]) -> None:
    base, out, pid = server
    before = peak_rss_mb(pid)
    with httpx.Client(base_url=base, timeout=30) as client:
        started = time.monotonic()
        res = client.post("/v1/jobs", headers=auth(KEY_A), files={"sheet": ("bomb.yaml", _alias_bomb())})
        assert time.monotonic() - started < 10 and res.status_code in (202, 422), res.text
        assert_no_leak(res.text, out)
        if res.status_code == 202:
            view = _wait(client, KEY_A, res.json()["id"], timeout=60)
            assert view["state"] == "failed" and "\n" not in view["error"] and " — " in view["error"], view
            assert_no_leak(str(view), out)
    assert peak_rss_mb(pid) - before < 100, "reading the sheet grew the server's memory"
