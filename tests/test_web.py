"""The merchant web page in headless Chromium (Debian's /usr/bin/chromium driven by Playwright), phone-sized."""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.processes import REPO_ROOT, Process, child_env, free_port, wait_for_port

playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no browser download needed)")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium (make test-setup)")
KEY = "web-key-456"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("web")
    port = free_port()
    env = child_env(DAIHUO_API_KEYS=KEY, DAIHUO_OUT=str(root / "out"), DAIHUO_THREADS="1")
    env.pop("DAIHUO_REDIS_URL", None)
    proc = Process(["serve", "--port", str(port)], env, root / "serve.log")
    try:
        wait_for_port(port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.stop()


def test_upload_watch_progress_preview_and_download_on_a_phone(server: str, tmp_path: Path) -> None:
    image = REPO_ROOT / "examples" / "images" / "cream.jpg"
    sheet = tmp_path / "商品.csv"
    with sheet.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["商品编码", "商品名称", "到手价", "卖点", "主图"])
        w.writerow(["WEB-1", "保湿补水面霜", "89", "修护屏障；轻薄不黏腻", "images/cream.jpg"])
    shot = Path(os.environ.get("DAIHUO_SCREENSHOT_DIR", tmp_path)) / "web-phone.png"

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN")
        page.goto(server + "/")
        assert page.locator("h1").inner_text().startswith("带货短视频生成")
        page.wait_for_selector("input[name=platform][value=douyin]")
        assert page.locator("#key-box").is_visible()  # the server wants a key

        # Without a key the API refuses, and the page says so.
        page.set_input_files("#sheet", str(sheet))
        page.click("#submit")
        page.wait_for_selector("#form-error:not([hidden])")
        assert "401" in page.inner_text("#form-error")

        page.fill("#api-key", KEY)
        page.click("#save-key")
        page.set_input_files("#images", str(image))
        page.check("input[name=platform][value=xiaohongshu]")
        page.select_option("#duration", "15")
        page.select_option("#scale", "0.25")
        page.click("#submit")
        page.wait_for_selector("#products li[data-sku='WEB-1']", timeout=30_000)
        assert page.locator("#job-box").is_visible()
        page.wait_for_selector("#products li[data-state='done']", timeout=180_000)
        page.wait_for_selector("#clips video", timeout=30_000)
        assert page.locator("#clips video").count() == 2
        assert "完成" in page.inner_text("#job-state")

        # The preview plays in the page (Chromium decodes our H.264), and the links download the files.
        page.wait_for_function("document.querySelector('#clips video').readyState >= 1", timeout=30_000)
        duration = page.evaluate("document.querySelector('#clips video').duration")
        assert 5 < duration < 30
        for cls, magic in (("dl-mp4", b"ftyp"), ("dl-cover-jpg", b"\xff\xd8"), ("dl-vtt", b"WEBVTT")):
            href = page.get_attribute(f"#clips a.{cls}", "href")
            res = page.request.get(server + href if href.startswith("/") else href)
            assert res.ok, cls
            body = res.body()
            assert magic in body[:12], cls
        with page.expect_download() as info:
            page.click("#clips a.dl-mp4")
        assert info.value.suggested_filename.endswith(".mp4")

        # Phone layout: nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert shot.stat().st_size > 10_000
