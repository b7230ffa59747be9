"""The compliance pre-check on the merchant page: the real server, POST /v1/lint, and headless Chromium showing
the sheet's findings by row and column before anything is rendered."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.harness.processes import REPO_ROOT, Process, child_env, free_port, wait_for_port

playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no browser download needed)")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
KEY = "lint-key-789"
PHONE = {"width": 390, "height": 844}
SHEET = REPO_ROOT / "examples" / "banned_claims.csv"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("weblint")
    port = free_port()
    env = child_env(DAIHUO_API_KEYS=KEY, DAIHUO_OUT=str(root / "out"))
    env.pop("DAIHUO_REDIS_URL", None)
    proc = Process(["serve", "--port", str(port)], env, root / "serve.log")
    try:
        wait_for_port(port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.stop()


def test_lint_endpoint_answers_findings_by_row_and_column(server: str) -> None:
    with SHEET.open("rb") as f:
        res = httpx.post(server + "/v1/lint", files={"sheet": ("banned_claims.csv", f, "text/csv")},
                         headers={"Authorization": f"Bearer {KEY}"}, timeout=60)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["rows"] == 3 and body["blocking"] >= 5
    assert any(f["row"] == 3 and f["column"] == "卖点" and f["family"] == "disease" for f in body["findings"])
    assert all(f["message"].startswith(f"row {f['row']}, {f['column']}: ") for f in body["findings"])
    refused = httpx.post(server + "/v1/lint", files={"sheet": ("x.csv", b"", "text/csv")}, timeout=30)
    assert refused.status_code == 401  # same key as the jobs API
    empty = httpx.post(server + "/v1/lint", files={"sheet": ("x.csv", b"", "text/csv")},
                       headers={"Authorization": f"Bearer {KEY}"}, timeout=30)
    assert empty.status_code == 422 and "empty" in empty.text


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium (make test-setup)")
def test_the_page_shows_the_findings_when_a_sheet_is_chosen(server: str, tmp_path: Path) -> None:
    shot = Path(os.environ.get("DAIHUO_SCREENSHOT_DIR", tmp_path)) / "web-lint.png"
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, locale="zh-CN")
        page.goto(server + "/")
        page.wait_for_selector("input[name=platform][value=douyin]")
        page.fill("#api-key", KEY)
        page.click("#save-key")
        assert page.locator("#lint-box").is_hidden()
        page.set_input_files("#sheet", str(SHEET))
        page.wait_for_selector("#lint-findings li.block", timeout=30_000)
        items = page.locator("#lint-findings li").all_inner_texts()
        assert any(t.startswith('row 3, 卖点: "调节肠道菌群；100%有效，根治便秘" — 广告法第十七条') for t in items), items
        assert any("row 2, 商品名称" in t and "rewrite:" in t for t in items)
        assert "禁止" in page.inner_text("#lint-summary")
        assert page.locator("#jobs, #job-box").first.is_hidden()  # nothing was rendered
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.locator("#lint-box").screenshot(path=str(shot))
        browser.close()
    assert shot.stat().st_size > 5_000


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium (make test-setup)")
def test_the_page_lists_rows_that_cannot_be_made(server: str, tmp_path: Path) -> None:
    """A row `make` would skip (a price that is not a number) is shown by row and field before anything renders."""
    sheet = tmp_path / "rows.csv"
    sheet.write_text("商品名称,价格,卖点\n保温杯,abc,保温12小时\n陶瓷碗,29,微波炉可用\n", encoding="utf-8")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport=PHONE, is_mobile=True, locale="zh-CN")
        page.goto(server + "/")
        page.wait_for_selector("input[name=platform][value=douyin]")
        page.fill("#api-key", KEY)
        page.click("#save-key")
        page.set_input_files("#sheet", str(sheet))
        page.wait_for_selector("#lint-findings li.row-error", timeout=30_000)
        items = page.locator("#lint-findings li.row-error").all_inner_texts()
        assert items == ["row 2, 价格: 'abc' is not a number — " + items[0].split(" — ", 1)[1]], items
        assert "无法生成" in page.inner_text("#lint-summary")
        browser.close()
