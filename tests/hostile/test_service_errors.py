"""Errors that leak or crash (class 3 of issue #11), against a real `daihuo serve` and real `daihuo make` runs.

Every failure is one line, problem — fix; no response body, report or manifest carries a traceback or a server
path; hostile options are 4xx, never 500; a missing tool, a read-only folder or a full disk fails the product it
hits (one line each) and the batch goes on, leaving no temporary files behind.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness.processes import REPO_ROOT, child_env
from tests.hostile.service_support import (
    assert_no_leak,
    read_only,
    serve,
    small_disk,
    tool_path,
    write_sheet,
)

KEY = "errors-key"
H = {"Authorization": f"Bearer {KEY}"}
CSV = b"sku,title\nE-1,cup\n"
FAST = {"duration": "6", "scale": "0.25", "music": "false"}


def check_body(res: httpx.Response, out: Path) -> None:
    """No 500, no traceback, no server path; a string detail is one line."""
    assert res.status_code < 500, (res.request.method, res.request.url, res.status_code, res.text[:500])
    assert_no_leak(res.text, out, REPO_ROOT)
    if res.headers.get("content-type", "").startswith("application/json") and res.status_code >= 400:
        detail = res.json().get("detail")
        text = detail if isinstance(detail, str) else (detail or {}).get("message", "")
        assert isinstance(text, str) and text and "\n" not in text, res.text[:300]


HOSTILE_JSON: list[tuple[str, Any]] = [
    ("platforms as a number", {"products": [{"sku": "E-1", "title": "cup"}], "platforms": 5}),
    ("platforms list with a number", {"products": [{"sku": "E-1", "title": "cup"}], "platforms": ["douyin", 1]}),
    ("variants 1.5", {"products": [{"sku": "E-1", "title": "cup"}], "variants": 1.5}),
    ("duration abc", {"products": [{"sku": "E-1", "title": "cup"}], "duration": "abc"}),
    ("NUL in an image path", {"products": [{"sku": "E-1", "title": "cup", "images": ["x\u0000.jpg"]}], "duration": 6,
                              "scale": 0.25}),
    ("NUL in a title", {"products": [{"sku": "E-1", "title": "cu\u0000p"}], "duration": 6, "scale": 0.25}),
    ("unknown voice", {"products": [{"sku": "E-1", "title": "cup"}], "voice": "nope"}),
    ("unknown writer", {"products": [{"sku": "E-1", "title": "cup"}], "writer": "nope"}),
    ("unknown host", {"products": [{"sku": "E-1", "title": "cup"}], "host": "nope"}),
    ("options of the wrong type", {"products": [{"sku": "E-1", "title": "cup"}], "voice": ["espeak"], "music": {}}),
    ("products not a list", {"products": {"sku": "E-1"}}),
    ("a bare list", [{"sku": "E-1", "title": "cup"}, 5]),
    ("a string", "products"),
]


@pytest.fixture(scope="class")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One server for the class below, stopped when its tests are done: some hostile requests are accepted (a
    bare list renders at full size) and their renders must not run on beside the tests after it."""
    root = tmp_path_factory.mktemp("errors")
    with serve(root, DAIHUO_API_KEYS=KEY, DAIHUO_MAX_UPLOAD_BYTES="2000000") as (base, _):
        yield base, root / "out"


class TestHostileRequests:
    """Hostile options and uploads against one server (the `server` fixture above)."""

    @pytest.mark.parametrize("body", [b for _, b in HOSTILE_JSON], ids=[n for n, _ in HOSTILE_JSON])
    def test_hostile_json_options_are_4xx_in_one_line(self, server: tuple[str, Path], body: Any) -> None:
        base, out = server
        with httpx.Client(base_url=base, timeout=30) as client:
            res = client.post("/v1/jobs", headers=H, json=body)
        check_body(res, out)
        if isinstance(body, dict) and any(body.get(k) == "nope" for k in ("voice", "writer", "host")):
            assert res.status_code == 422 and "nope" in res.text  # refused at once, not a job that fails later

    def test_hostile_uploads_are_4xx_in_one_line(self, server: tuple[str, Path]) -> None:
        base, out = server
        deep = b"[" * 200_000 + b"]" * 200_000
        with httpx.Client(base_url=base, timeout=30) as client:
            cases = [
                client.post("/v1/jobs", headers={**H, "Content-Type": "application/json"}, content=deep),
                client.post("/v1/jobs", headers={**H, "Content-Type": "application/json"}, content=b'{"products": [\xff]}'),
                client.post("/v1/jobs", headers=H, files=[("sheet", ("a.csv", CSV)), ("images", ("x.jpg", b"1")),
                                                           ("images", ("x.jpg", b"2"))], data=FAST),
                client.post("/v1/jobs", headers=H, files={"sheet": ("a\x00.csv", CSV)}, data={**FAST, "lang": "zh\x00"}),
                client.post("/v1/jobs", headers=H, files={"sheet": ("a.csv", CSV)}, data={"duration": "abc"}),
                client.post("/v1/jobs", headers=H, files={"sheet": ("a.csv", CSV)}, data={"variants": "1.5"}),
                client.post("/v1/jobs", headers=H, files={"sheet": ("a.csv", CSV)}, data={"voice": "nope"}),
                client.post("/v1/jobs", headers=H, files={"sheet": ("a.exe", b"MZ")}),
                client.post("/v1/jobs", headers=H, files={"images": ("x.jpg", b"1")}),
                client.post("/v1/jobs", headers={**H, "Content-Type": "multipart/form-data"}, content=b"--x\r\n"),
                client.post("/v1/jobs", headers={**H, "Content-Type": "multipart/form-data; boundary=x"}, content=b"junk"),
                client.post("/v1/jobs", headers={**H, "Content-Type": "text/plain"}, content=b"hello"),
                client.post("/v1/jobs", headers=H, files={"sheet": ("a.csv", b"\x00" * 1000)}),
                # A key that is not ASCII (compare_digest refuses such strings: it was a 500).
                client.post("/v1/jobs", headers={"Authorization": "Bearer ключ".encode()}, files={"sheet": ("a.csv", CSV)}),
                client.get("/v1/jobs", headers={"Authorization": b"Bearer \xff\xfe"}),
            ]
        for res in cases:
            check_body(res, out)
        assert cases[2].status_code == 422 and "x.jpg" in cases[2].text  # two images of one name: said, not a 500
        assert cases[6].status_code == 422
        assert cases[-1].status_code == cases[-2].status_code == 401


def _submit_with_a_blocked_product(client: httpx.Client, out: Path, tmp: Path) -> str:
    """A job of two products whose second one cannot be written: a file sits where its folder must go
    (planted while the first product renders, as a full or broken share would do)."""
    sheet = write_sheet(tmp / "sheet", ["OK-1", "BLOCKED-2"])
    with sheet.open("rb") as f:
        files = [("sheet", ("商品.csv", f.read()))]
    for image in (tmp / "sheet" / "images").iterdir():
        files.append(("images", (image.name, image.read_bytes())))
    res = client.post("/v1/jobs", headers=H, files=files, data={**FAST, "platforms": "douyin"})
    assert res.status_code == 202, res.text
    job = res.json()["id"]
    (out / job).mkdir(parents=True, exist_ok=True)
    (out / job / "BLOCKED-2").write_text("not a folder")
    return job


@pytest.fixture
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """An idle server of its own: this test's job is the only one it renders."""
    root = tmp_path_factory.mktemp("endpoints")
    with serve(root, DAIHUO_API_KEYS=KEY, DAIHUO_MAX_UPLOAD_BYTES="2000000") as (base, _):
        yield base, root / "out"


def test_every_endpoint_answers_without_traceback_or_server_path(own_server: tuple[str, Path], tmp_path: Path) -> None:
    base, out = own_server
    with httpx.Client(base_url=base, timeout=30) as client:
        job = _submit_with_a_blocked_product(client, out, tmp_path)
        deadline = time.monotonic() + 240
        while client.get(f"/v1/jobs/{job}", headers=H).json()["state"] not in ("done", "failed"):
            assert time.monotonic() < deadline, "the job did not finish"
            time.sleep(0.5)
        view = client.get(f"/v1/jobs/{job}", headers=H).json()
        assert view["state"] == "failed"
        blocked = next(p for p in view["products"] if p["sku"] == "BLOCKED-2")
        ok = next(p for p in view["products"] if p["sku"] == "OK-1")
        assert ok["state"] == "done" and blocked["state"] == "failed"
        assert " — " in blocked["error"] and "BLOCKED-2" in blocked["error"], blocked["error"]  # problem — fix

        responses = [client.get(url, headers=headers) for url in (
            "/", "/healthz", "/v1/platforms", "/openapi.json", "/v1/jobs", f"/v1/jobs/{job}",
            f"/v1/jobs/{job}/events", f"/v1/jobs/{job}/events?after=abc", f"/v1/jobs/{job}/artifacts",
            "/v1/jobs?limit=abc", "/v1/jobs?limit=-1", "/v1/jobs/nope", "/v1/jobs/%00", f"/v1/jobs/{'x' * 5000}",
            f"/v1/jobs/{job}/files/..%2f..%2f.daihuo%2fjobs.sqlite", f"/v1/jobs/{job}/files/%00",
            f"/v1/jobs/{job}/files/OK-1/v1/nope.mp4", f"/v1/jobs/{job}/files/BLOCKED-2") for headers in (H, {})]
        responses += [client.delete(f"/v1/jobs/{job}", headers=H), client.put("/v1/jobs", headers=H)]
        artifacts = client.get(f"/v1/jobs/{job}/artifacts", headers=H).json()["files"]
        assert {"report.json", "report.md", "OK-1/v1/manifest.json"} <= {f["path"] for f in artifacts}
        for f in artifacts:
            if f["path"].endswith((".json", ".md", ".srt", ".vtt")):
                responses.append(client.get(f["url"]))
    for res in responses:
        check_body(res, out)
    report = next(json.loads(r.text) for r in responses if r.url.path.endswith("/report.json"))
    errors = {v["sku"]: v["error"] for v in report["variants"]}
    assert errors["OK-1"] is None and "\n" not in errors["BLOCKED-2"] and " — " in errors["BLOCKED-2"]


# ---- the pipeline under a broken environment (`daihuo make`, a real subprocess) ---------------------------


def make(sheet: Path, out: Path, *, path: str | None = None, timeout: float = 300,
         **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = child_env(DAIHUO_THREADS="1", **extra_env)
    env.pop("DAIHUO_REDIS_URL", None)
    if path is not None:
        env["PATH"] = path
    return subprocess.run([sys.executable, "-m", "generator.cli", "make", str(sheet), "--platforms", "douyin",
                           "--duration", "6", "--scale", "0.25", "--no-music", "--qc", "off", "--out", str(out),
                           "--job", "job"],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def failures(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """`failed: SKU v1: step: problem — fix` lines of the CLI (rich wraps long lines: unwrap them first)."""
    text = " ".join(result.stderr.split()).split(" clip(s) rendered")[0].rsplit(" ", 1)[0]
    found: dict[str, str] = {}
    for part in re.split(r"(?<!QC )failed: (?=\S+ v\d+: )", text)[1:]:
        part = re.split(r" (?:note|fallback|learn|QC failed|warning):", part)[0]  # the lines after a failure
        sku, _, rest = part.partition(" v1: ")
        found[sku] = rest.strip()
    return found


def assert_clean_failure(result: subprocess.CompletedProcess[str], out: Path) -> None:
    assert "Traceback" not in result.stderr and "Logging error" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    leftovers = [p for p in out.rglob("*") if ".tmp" in p.name or p.name in ("voice.raw.wav", "voice.trim.wav")]
    assert not leftovers, f"temporary files left behind: {leftovers[:5]}"


@pytest.mark.parametrize("tool,step,skus", [("ffmpeg", "voice", ["T-1", "T-2"]), ("ffprobe", "render:douyin", ["T-1"])])
def test_a_missing_tool_fails_each_product_in_one_line(tmp_path: Path, tool: str, step: str, skus: list[str]) -> None:
    sheet = write_sheet(tmp_path / "sheet", skus)
    result = make(sheet, tmp_path / "out", path=tool_path(tmp_path, without=(tool,)))
    assert_clean_failure(result, tmp_path / "out")
    lines = failures(result)
    assert sorted(lines) == skus, result.stderr[-2000:]  # every product was tried and said why
    for line in lines.values():
        assert line.startswith(f"{step}: ") and tool in line and "install" in line and " — " in line, line
    assert tool in (tmp_path / "out" / "job" / "report.md").read_text(encoding="utf-8")


def test_missing_espeak_is_one_line(tmp_path: Path) -> None:
    """The voice speaks through libespeak-ng (not the espeak-ng program): a machine without it is one whose
    library cannot be loaded."""
    sheet = write_sheet(tmp_path / "sheet", ["T-1"])
    result = make(sheet, tmp_path / "out", path=tool_path(tmp_path, without=("espeak-ng",)),
                  DAIHUO_ESPEAK_LIBRARY=str(tmp_path / "no" / "libespeak-ng.so.1"))
    assert "Traceback" not in result.stderr and result.returncode == 1
    assert "espeak-ng" in result.stderr and "install" in result.stderr


def test_a_read_only_output_folder_is_one_line(tmp_path: Path) -> None:
    sheet = write_sheet(tmp_path / "sheet", ["R-1"])
    with read_only(tmp_path / "ro") as ro:
        result = make(sheet, ro)
    assert "Traceback" not in result.stderr and "Logging error" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    assert "read-only" in message and "writable" in message, message[-600:]


def test_a_read_only_product_folder_fails_that_product_only(tmp_path: Path) -> None:
    sheet = write_sheet(tmp_path / "sheet", ["W-1", "RO-2"])
    out = tmp_path / "out"
    with read_only(out / "job" / "RO-2"):
        result = make(sheet, out)
    assert_clean_failure(result, out)
    lines = failures(result)
    assert list(lines) == ["RO-2"], result.stderr[-2000:]
    assert "read-only" in lines["RO-2"] and "writable" in lines["RO-2"] and str(out) not in lines["RO-2"]
    assert (out / "job" / "W-1" / "v1" / "douyin.mp4").exists()


def test_a_full_disk_fails_the_products_it_hits_and_the_batch_goes_on(tmp_path: Path) -> None:
    skus = ["D-1", "D-2", "D-3", "D-4", "D-5", "D-6"]
    sheet = write_sheet(tmp_path / "sheet", skus)
    # 6 MB: the job state and the first product fit (about 1 MB each); the disk fills up before the sixth.
    with small_disk(tmp_path / "disk", "6m") as disk:
        result = make(sheet, disk)
        assert_clean_failure(result, disk)
        lines = failures(result)
        report = (disk / "job" / "report.md").read_text(encoding="utf-8")
        made = [sku for sku in skus if (disk / "job" / sku / "v1" / "douyin.mp4").exists()]
    assert lines and made, result.stderr[-2000:]
    for line in lines.values():
        assert "disk is full" in line and " — " in line and str(disk) not in line, line
    # Every product was tried after the disk filled up: each is made or failed with the reason, in the report too.
    assert sorted([*made, *lines]) == skus
    for sku in skus:
        assert sku in report
