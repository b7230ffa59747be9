"""The learning loop end to end, with real renders: `daihuo make` (proxy scale) -> an analytics export whose
numbers come from a known truth -> `daihuo learn` -> insights.html in headless Chromium -> `daihuo make
--learn` -> the manifests; then the same through `POST /v1/learn` and the merchant page."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from generator.cli import app
from generator.formatting import title_key
from generator.models import FACTORS
from tests.harness.processes import REPO_ROOT, Process, child_env, free_port, wait_for_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
KEY = "learn-key-789"
TENANT_KEY = "shop-b-key-456"
WINNER_VARIANT = 4  # the variant whose angle the truth favours (story, by the writer's rotation)
# QC off: learning is the point here (clip ids, factors, titles, insights); QC of rendered clips has its own tests.
RENDER = ["--duration", "5", "--scale", "0.2", "--platforms", "douyin", "--no-music", "--qc", "off"]


def daihuo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator.cli", *args], cwd=REPO_ROOT, env=child_env(),
                          capture_output=True, text=True, timeout=300)


def shots(tmp_path: Path) -> Path:
    return Path(os.environ.get("DAIHUO_SCREENSHOT_DIR", tmp_path))


@pytest.fixture(scope="module")
def first_job(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five variants of one product (one per angle), rendered by the real CLI; returns the output root."""
    root = tmp_path_factory.mktemp("learn")
    shutil.copy(REPO_ROOT / "examples" / "images" / "cream.jpg", root / "cream.jpg")
    (root / "sheet.csv").write_text("商品编码,商品名称,品牌,类目,到手价,卖点,主图\n"
                                    "LT-1,保湿补水面霜,山水集,美妆,89,修护屏障；轻薄不黏腻；48小时保湿,cream.jpg\n",
                                    encoding="utf-8")
    proc = daihuo("make", str(root / "sheet.csv"), "--variants", "5", *RENDER, "--out", str(root / "out"),
                  "--job", "first")
    assert proc.returncode == 0, proc.stderr
    return root / "out"


def records(out: Path, job: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((out / job / "LT-1").glob("v*/douyin.json"))]


def truth_export(out: Path, path: Path) -> str:
    """A GBK creator-centre export: the winner's angle completes 45 %, the others 25 %, 2,000 views each;
    plus a duplicate, an unmatched, two malformed rows. Returns the winning angle."""
    clips = records(out, "first")
    winner = clips[WINNER_VARIANT - 1]["factors"]["angle"]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["作品名称", "发布时间", "播放量", "完播率", "平均播放时长", "点赞", "商品点击次数", "成交订单"])
    for day, clip in enumerate(clips, start=1):
        rate = 45.0 if clip["factors"]["angle"] == winner else 25.0
        w.writerow([clip["title"] + " #好物推荐", f"2024-05-0{day} 20:00", "2,000", f"{rate:.1f}%", "6.5秒", "30", "4", "0"])
    w.writerow([clips[0]["title"], "2024-05-01 20:00", "1,500", "20%", "", "", "", ""])  # row 7: an older snapshot
    w.writerow(["别人家的爆款视频", "2024-05-02 12:00", "3.1万", "38%", "", "", "", ""])  # row 8: not ours
    w.writerow([clips[1]["title"], "2024-05-03 20:00", "abc", "30%", "", "", "", ""])  # row 9: views unreadable
    w.writerow(["", "2024-05-03 20:00", "900", "30%", "", "", "", ""])  # row 10: no title
    path.write_bytes(buf.getvalue().encode("gbk"))
    return winner


@pytest.fixture(scope="module")
def learned(first_job: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, subprocess.CompletedProcess[str]]:
    export = tmp_path_factory.mktemp("export") / "抖音作品数据.csv"  # the file name says which platform
    winner = truth_export(first_job, export)
    return export, winner, daihuo("learn", str(export), "--out", str(first_job))


def test_every_clip_has_an_id_its_factors_and_its_own_title(first_job: Path) -> None:
    clips = records(first_job, "first")
    assert len(clips) == 5
    for clip in clips:
        assert clip["clip_id"].startswith("dh") and len(clip["clip_id"]) == 12
        assert list(clip["factors"]) == list(FACTORS) and clip["factors"]["platform"] == "douyin"
        assert clip["factors"]["hook"].startswith(clip["factors"]["angle"] + "/")
    assert len({c["clip_id"] for c in clips}) == 5 and len({title_key(c["title"]) for c in clips}) == 5
    assert len({c["factors"]["angle"] for c in clips}) == 5


def test_learn_finds_the_true_winner_and_reports_every_bad_row(first_job: Path, learned) -> None:
    _, winner, proc = learned
    assert proc.returncode == 0, proc.stderr
    insights = json.loads((first_job / "learn" / "insights.json").read_text(encoding="utf-8"))
    assert insights["objective"] == "completion"  # 20 clicks in all are too few to rank on
    angle = insights["estimates"]["completion"]["angle"]
    first, *others = angle["levels"]
    assert first["level"] == winner and first["rank"] == 1 and angle["verdict"] == "clear winner"
    assert all(first["low"] > other["high"] for other in others)
    assert 0.43 < first["mean"] < 0.47 and all(0.23 < o["mean"] < 0.27 for o in others)
    assert first["views"] == 2000  # the duplicate snapshot (row 7) was not added
    issues = {(i["row"], i["kind"]) for i in insights["issues"]}
    assert issues == {(7, "duplicate"), (8, "unmatched"), (9, "error"), (10, "error")}
    assert insights["rows"]["used"] == 5
    # The printed table names the winner, and every unused row is named with its row number.
    table_line = next(line for line in proc.stdout.splitlines() if line.strip("│ ").startswith("angle"))
    assert winner in table_line and "clear winner" in table_line
    for n in (7, 8, 9, 10):
        assert f"row {n}" in proc.stderr
    md = (first_job / "learn" / "insights.md").read_text(encoding="utf-8")
    assert f"| angle | {winner}" in md


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium (make test-setup)")
def test_insights_html_shows_the_charts_offline_in_chromium(first_job: Path, learned, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    _, winner, _ = learned
    shot = shots(tmp_path) / "learn-insights.png"
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 820, "height": 1000})

        def only_the_file(route) -> None:  # type: ignore[no-untyped-def]
            if route.request.url.startswith("file:"):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_the_file)
        page.goto((first_job / "learn" / "insights.html").as_uri())
        assert page.locator("svg").count() >= 3  # angle, hook, and the timeline
        levels = page.locator("svg[aria-label^='angle · completion'] g.level")
        assert levels.count() == 5 and levels.first.get_attribute("data-level") == winner
        assert page.locator("svg[aria-label*='publish day'] polyline").count() >= 1
        assert winner in page.locator("#winners tr").nth(1).inner_text()
        box = page.locator("svg[aria-label^='angle · completion']").bounding_box()
        assert box and box["width"] > 600 and box["height"] > 150
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert outside == []
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    green = (abs(pixels - (26, 127, 55)).sum(axis=2) < 40).sum()  # the leader's dot and bar
    blue = (abs(pixels - (59, 111, 182)).sum(axis=2) < 40).sum()  # the other levels
    assert green > 100 and blue > 200


@pytest.fixture(scope="module")
def second_job(first_job: Path, learned) -> tuple[Path, subprocess.CompletedProcess[str]]:
    sheet = first_job.parent / "sheet.csv"
    insights = first_job / "learn" / "insights.json"
    proc = daihuo("make", str(sheet), "--variants", "8", *RENDER, "--out", str(first_job), "--job", "second",
                  "--learn", str(insights))
    return first_job, proc


def manifests(out: Path, job: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((out / job / "LT-1").glob("v*/manifest.json"))]


def test_make_with_learn_uses_the_winner_and_keeps_exploring(second_job, learned) -> None:
    out, proc = second_job
    _, winner, _ = learned
    assert proc.returncode == 0, proc.stderr
    made = manifests(out, "second")
    assert len(made) == 8
    angles = Counter(m["creative"]["factors"]["angle"]["level"] for m in made)
    assert angles[winner] >= 5 and sum(angles.values()) - angles[winner] >= 1, angles
    for m in made:
        angle = m["creative"]["factors"]["angle"]
        assert angle["by"] in ("learn (exploit)", "learn (explore)") and angle["why"]
        assert m["script"]["angle"] == angle["level"]  # the writer honoured the choice
        assert m["creative"]["factors"]["hook"]["level"].startswith(angle["level"] + "/")
        assert ("Thompson" in angle["why"]) == (angle["by"] == "learn (exploit)")
    # Titles: unique within the job, and none repeats the first job's (so the next export matches one clip).
    titles = [title_key(m["post_copy"]["douyin"]["title"]) for m in made]
    assert len(set(titles)) == 8
    assert not set(titles) & {title_key(r["title"]) for r in records(out, "first")}
    # Seeded: the same command again chooses the same, so every clip is already up to date.
    sheet, insights = out.parent / "sheet.csv", out / "learn" / "insights.json"
    again = daihuo("make", str(sheet), "--variants", "8", *RENDER, "--out", str(out), "--job", "second",
                   "--learn", str(insights))
    assert again.returncode == 0 and "0 clip(s) rendered, 8 already up to date" in again.stderr.replace("\n", " ")
    assert [m["creative"] for m in manifests(out, "second")] == [m["creative"] for m in made]


def test_learn_and_make_say_what_is_wrong_in_one_line(tmp_path: Path, first_job: Path) -> None:
    runner = CliRunner()
    export = tmp_path / "e.csv"
    export.write_text("标题,播放量,完播率\n好视频,1000,30%\n", encoding="utf-8")
    empty = runner.invoke(app, ["learn", str(export), "--out", str(tmp_path / "nothing")])
    assert empty.exit_code == 1 and "no clips under" in empty.output
    nothing = runner.invoke(app, ["learn", str(export), "--out", str(first_job), "--job", "first"])
    assert nothing.exit_code == 1 and "none of the 1 usable rows matched" in nothing.output and "row 2" in nothing.output
    bad = tmp_path / "bad.json"
    bad.write_text("[]", encoding="utf-8")
    refused = runner.invoke(app, ["make", str(first_job.parent / "sheet.csv"), "--learn", str(bad), "--out", str(tmp_path)])
    assert refused.exit_code == 2 and "not a daihuo insights file" in refused.output
    assert "Traceback" not in empty.output + nothing.output + refused.output


@pytest.fixture(scope="module")
def server(first_job: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    port = free_port()
    # The jobs were made by `daihuo make`, which belongs to no tenant: an admin key may learn from them; a
    # tenant's key only from its own jobs.
    env = child_env(DAIHUO_API_KEYS=f"shop-b:{TENANT_KEY}", DAIHUO_ADMIN_KEYS=KEY, DAIHUO_OUT=str(first_job),
                    DAIHUO_THREADS="1")
    env.pop("DAIHUO_REDIS_URL", None)
    proc = Process(["serve", "--port", str(port)], env, log)
    try:
        wait_for_port(port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.stop()


def test_post_v1_learn(server: str, learned) -> None:
    import httpx

    export, winner, _ = learned
    with httpx.Client(base_url=server, timeout=60) as client:
        files = {"export": (export.name, export.read_bytes(), "text/csv")}
        assert client.post("/v1/learn", files=files).status_code == 401
        res = client.post("/v1/learn", files=files, data={"job": "first"}, headers={"Authorization": f"Bearer {KEY}"})
        assert res.status_code == 200, res.text
        body = res.json()
        assert body["winners"][0]["factor"] == "angle" and body["winners"][0]["leader"].startswith(winner)
        assert body["rows"]["used"] == 5 and {i["row"] for i in body["issues"]} == {7, 8, 9, 10}
        html = client.get(body["html_url"], headers={"Authorization": f"Bearer {KEY}"})
        assert html.status_code == 200 and html.text.count("<svg") >= 3
        no_views = {"export": ("e.csv", "标题,点赞\n好视频,3\n".encode(), "text/csv")}
        refused = client.post("/v1/learn", files=no_views, headers={"Authorization": f"Bearer {KEY}"})
        assert refused.status_code == 422 and "播放量" in refused.json()["detail"]["message"]
        other = {"Authorization": f"Bearer {TENANT_KEY}"}  # another tenant: none of these jobs are its own
        assert client.post("/v1/learn", files=files, data={"job": "first"}, headers=other).status_code == 404
        assert client.post("/v1/learn", files=files, headers=other).status_code == 422
        assert client.get("/v1/learn/insights.html", headers=other).status_code == 404


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium (make test-setup)")
def test_the_page_shows_the_winners_and_the_charts(server: str, learned, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    export, winner, _ = learned
    shot = shots(tmp_path) / "learn-page-phone.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                locale="zh-CN")
        page.goto(server + "/")
        page.fill("#api-key", KEY)
        page.click("#save-key")
        page.wait_for_selector("#learn-platform option[value=douyin]", state="attached")
        page.set_input_files("#export", str(export))
        page.select_option("#learn-platform", "douyin")
        page.click("#learn")
        page.wait_for_selector("#learn-result:not([hidden])", timeout=60_000)
        first_row = page.locator("#winners tbody tr").first
        assert winner in first_row.inner_text() and first_row.get_attribute("data-verdict") == "clear winner"
        frame = page.frame_locator("#insights")
        frame.locator("svg").first.wait_for()
        assert frame.locator("svg").count() >= 3
        page.wait_for_function("document.querySelector('#insights').offsetHeight > 1000")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.locator("#learn-box").screenshot(path=str(shot))
        browser.close()
    assert shot.stat().st_size > 20_000
