"""The HTTP API, served by a real `daihuo serve` on 127.0.0.1 (in-process jobs, no Redis), driven by httpx."""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.harness.processes import REPO_ROOT, Process, child_env, free_port, wait_for_port

KEY = "test-key-123"
LIMIT = 300_000
EXAMPLE = REPO_ROOT / "examples" / "products.csv"  # GBK, as Excel on Chinese Windows saves it


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("api")
    port = free_port()
    env = child_env(DAIHUO_API_KEYS=f"other-key,{KEY}", DAIHUO_OUT=str(root / "out"), DAIHUO_MAX_UPLOAD_BYTES=str(LIMIT),
                    DAIHUO_API_MAX_ROWS="20", DAIHUO_THREADS="1", DAIHUO_PARSE_WAIT_SECONDS="60")
    env.pop("DAIHUO_REDIS_URL", None)
    proc = Process(["serve", "--host", "127.0.0.1", "--port", str(port)], env, root / "serve.log")
    try:
        wait_for_port(port, timeout=30)
        yield f"http://127.0.0.1:{port}", root / "out"
    finally:
        proc.stop()


def auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def wait_done(client: httpx.Client, job_id: str, timeout: float = 240) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = client.get(f"/v1/jobs/{job_id}", headers=auth()).raise_for_status().json()
        if view["state"] in ("done", "failed"):
            return view
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish: {view}")


def test_upload_gbk_sheet_and_download_a_clip(server: tuple[str, Path]) -> None:
    base, out = server
    with httpx.Client(base_url=base, timeout=30) as client:
        with EXAMPLE.open("rb") as f:
            res = client.post("/v1/jobs", headers=auth(), files={"sheet": ("商品表.csv", f, "text/csv")},
                              data={"platforms": "douyin", "duration": "6", "scale": "0.25", "music": "false"})
        assert res.status_code == 202, res.text
        body = res.json()
        assert body["state"] == "queued" and body["products"] == 4
        view = wait_done(client, body["id"])
        assert view["state"] == "done", view
        titles = {p["sku"]: p["title"] for p in view["products"]}
        assert titles["HB-1001"] == "保湿补水面霜"  # GBK decoded
        assert all(p["progress"] == 1.0 for p in view["products"])
        assert view["products"][0]["variants"][0]["platforms"]["douyin"]["state"] == "done"

        files = client.get(f"/v1/jobs/{body['id']}/artifacts", headers=auth()).json()["files"]
        kinds = {(f["sku"], f["kind"]) for f in files}
        assert {("HB-1001", "video"), ("HB-1001", "cover"), ("HB-1001", "subtitles"), (None, "report")} <= kinds
        clip = next(f for f in files if f["path"] == "HB-1001/v1/douyin.mp4")
        video = client.get(clip["download_url"])  # the token in the URL authorises it, as in a <video> tag
        assert video.status_code == 200 and video.content[4:8] == b"ftyp"
        assert video.content == (out / body["id"] / "HB-1001" / "v1" / "douyin.mp4").read_bytes()
        assert "attachment" in video.headers["content-disposition"]
        ranged = client.get(clip["url"], headers={"Range": "bytes=0-99"})  # <video> seeks with ranges
        assert ranged.status_code == 206 and len(ranged.content) == 100
        vtt = client.get(next(f for f in files if f["path"] == "HB-1001/v1/douyin.vtt")["url"])
        assert vtt.text.startswith("WEBVTT") and vtt.headers["content-type"].startswith("text/vtt")

        no_token = clip["url"].split("?")[0]
        assert client.get(no_token).status_code == 401
        assert client.get(no_token + "?token=wrong").status_code == 401
        assert client.get(no_token, headers=auth()).status_code == 200

        # Path traversal: neither '..' nor encoded dots nor hidden files get out of the job folder.
        host, port = base.removeprefix("http://").split(":")
        for evil in ("../.daihuo/jobs.sqlite", "HB-1001/../../.daihuo/jobs.sqlite", "%2e%2e/%2e%2e/etc/passwd",
                     ".hidden", "HB-1001/v1/voice/../../../../../../etc/passwd"):
            conn = http.client.HTTPConnection(host, int(port), timeout=10)
            conn.request("GET", f"/v1/jobs/{body['id']}/files/{evil}", headers=auth())
            status = conn.getresponse().status
            conn.close()
            assert status == 404, evil


def test_bad_or_missing_key_is_401(server: tuple[str, Path]) -> None:
    base, _ = server
    with httpx.Client(base_url=base, timeout=30) as client:
        for headers in ({}, auth("wrong"), {"Authorization": KEY}):
            res = client.post("/v1/jobs", headers=headers, files={"sheet": ("a.csv", b"sku,title\nA,B\n")})
            assert res.status_code == 401
            assert "Bearer" in res.json()["detail"] and res.headers["www-authenticate"] == "Bearer"
        assert client.get("/v1/jobs/whatever", headers=auth("wrong")).status_code == 401
        assert client.get("/healthz").json() == {"ok": True, "mode": "inline", "auth": True}


def test_oversized_upload_is_413_with_a_message(server: tuple[str, Path]) -> None:
    base, _ = server
    big = b"sku,title\n" + b"A,B\n" * (LIMIT // 4 + 10)
    with httpx.Client(base_url=base, timeout=30) as client:
        res = client.post("/v1/jobs", headers=auth(), files={"sheet": ("big.csv", big, "text/csv")})
        assert res.status_code == 413
        assert "over the limit of 300,000" in res.json()["detail"]
        rows = "sku,title\n" + "".join(f"S{i},商品{i}\n" for i in range(25))  # small in bytes, too many rows
        res = client.post("/v1/jobs", headers=auth(), files={"sheet": ("rows.csv", rows.encode(), "text/csv")})
        assert res.status_code == 413 and "more than 20 products" in res.json()["detail"]


def test_malformed_sheet_is_422_naming_rows(server: tuple[str, Path]) -> None:
    base, _ = server
    bad = "商品编码,商品名称,原价,到手价\nA-1,,99,79\nA/2,杯子,abc,79\n".encode("gbk")
    with httpx.Client(base_url=base, timeout=30) as client:
        res = client.post("/v1/jobs", headers=auth(), files={"sheet": ("bad.csv", bad, "text/csv")})
        assert res.status_code == 422
        detail = res.json()["detail"]
        assert "row 2" in detail["message"] and "row 3" in detail["message"]
        assert {r["row"] for r in detail["rows"]} == {2, 3}
        assert all(r["fix"] for r in detail["rows"])

        res = client.post("/v1/jobs", headers=auth(), files={"sheet": ("x.csv", "颜色,尺寸\n红,大\n".encode(), "text/csv")})
        assert res.status_code == 422 and "商品编码" in res.json()["detail"]["message"] + res.json()["detail"]["fix"]

        res = client.post("/v1/jobs", headers=auth(), files={"sheet": ("a.csv", b"sku,title\nA,B\n")},
                          data={"platforms": "myspace"})
        assert res.status_code == 422 and "unknown platform(s) myspace" in res.json()["detail"]
        res = client.post("/v1/jobs", headers=auth(), files={"sheet": ("a.csv", b"sku,title\nA,B\n")},
                          data={"duration": "999"})
        assert res.status_code == 422 and "duration" in res.json()["detail"]


def test_json_body_of_products_and_openapi(server: tuple[str, Path]) -> None:
    base, _ = server
    with httpx.Client(base_url=base, timeout=30) as client:
        res = client.post("/v1/jobs", headers=auth(), json={
            "products": [{"sku": "J-1", "title": "真空保温杯", "selling_points": ["保温12小时"], "price": 129}],
            "platforms": ["douyin"], "duration": 6, "scale": 0.25})
        assert res.status_code == 202, res.text
        job = client.get(f"/v1/jobs/{res.json()['id']}", headers=auth()).json()
        assert [p["sku"] for p in job["products"]] == ["J-1"] and job["brief"]["duration"] == 6
        res = client.post("/v1/jobs", headers=auth(), json={"products": [{"sku": "J/2", "title": "bad sku"}]})
        assert res.status_code == 422 and [r["row"] for r in res.json()["detail"]["rows"]] == [1]
        assert "row 1 (sku)" in res.json()["detail"]["message"]
        spec = client.get("/openapi.json").json()
        body = spec["paths"]["/v1/jobs"]["post"]["requestBody"]["content"]
        assert {"multipart/form-data", "application/json"} <= set(body)
        assert client.get(f"/v1/jobs/{'x' * 5}", headers=auth()).status_code == 404
