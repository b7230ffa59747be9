"""The merchant page with SKUs whose folder names hold '.', '#' and '%' (class 2 of issue #11): every clip is
shown, and every preview and link loads, in headless Chromium against a real `daihuo serve`."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import httpx
import pytest

from tests.hostile.service_support import serve

playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no browser download needed)")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium (make test-setup)")
KEY = "web-hostile-key"
SKUS = ["DOT.1", "HASH#2%41"]  # '%41' would decode to 'A' if a URL left it raw


def test_clips_of_skus_with_dots_hashes_and_percents_show_and_download(tmp_path: Path) -> None:
    with serve(tmp_path, DAIHUO_API_KEYS=KEY) as (base, _):
        with httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {KEY}"}) as client:
            res = client.post("/v1/jobs", json={"products": [{"sku": s, "title": "真空保温杯", "price": 99} for s in SKUS],
                                                "platforms": "douyin", "duration": 6, "scale": 0.25, "music": False})
            assert res.status_code == 202, res.text
            job = res.json()["id"]
            deadline = time.monotonic() + 240
            while client.get(f"/v1/jobs/{job}").json()["state"] not in ("done", "failed"):
                assert time.monotonic() < deadline
                time.sleep(0.5)
            assert client.get(f"/v1/jobs/{job}").json()["state"] == "done"

        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.add_init_script(f"localStorage.setItem('daihuo.apiKey', '{KEY}');"
                                 f"localStorage.setItem('daihuo.lastJob', '{job}');")
            page.goto(base + "/")
            page.wait_for_selector("#clips video", timeout=30_000)
            captions = page.locator("#clips .clip > div:not(.links)").all_inner_texts()
            assert sorted(c.split(" v1")[0] for c in captions) == sorted(SKUS), captions
            # Every preview loads its video (the browser parsed its header), and every link fetches its file.
            page.wait_for_function("[...document.querySelectorAll('#clips video')].every(v => v.readyState >= 1)",
                                   timeout=30_000)
            for cls, magic in (("dl-mp4", b"ftyp"), ("dl-cover-jpg", b"\xff\xd8"), ("dl-srt", b"1\n")):
                hrefs = [a.get_attribute("href") for a in page.locator(f"#clips a.{cls}").all()]
                assert len(hrefs) == len(SKUS), cls
                for href in hrefs:
                    res = page.request.get(base + href if href.startswith("/") else href)
                    assert res.ok and magic in res.body()[:12], (cls, href, res.status)
            shot = Path(os.environ.get("DAIHUO_SCREENSHOT_DIR", tmp_path)) / "web-hostile-skus.png"
            page.screenshot(path=str(shot), full_page=True)
            browser.close()
    assert shot.stat().st_size > 10_000
