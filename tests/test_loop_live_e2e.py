"""`daihuo loop stream SHEET` end to end: the real CLI, the real pipeline (template writer, espeak, sprite host,
captions, labels), pushed over RTMP to a local ffmpeg receiver, comments in over HTTP and a JSON-lines file.

A short-scale run (quarter-size frames, 10 s pitches cut at every spoken line) so that a minute of stream
crosses a few dozen joins; what is checked is what the receiver got: when its first frame arrived, gaps in its
timestamps, black frames, the answer on screen (OCR), and the logs the room keeps.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from PIL import Image

from bench.receiver import Receiver, black_or_frozen, free_port, joins, packet_times
from tests.helpers import frame_at, ocr

ROOT = Path(__file__).resolve().parent.parent
SHEET = """sku,title,brand,category,price,sale_price,selling_points,specs,audience,scenes,offer
COF-1,手工挂耳咖啡,山谷豆,食品,59,39.9,云南保山小粒咖啡；独立挂耳包装,规格:10g×20袋；烘焙度:中度,咖啡爱好者,早晨提神；午后办公,第二件半价
CUP-2,保温杯,暖途,家居,99,79,保温十二小时；一键开盖,容量:500毫升；重量:300克,上班族,通勤；办公室,满99减10
"""
STREAM_SECONDS = 60
QUESTION = "这个咖啡是什么烘焙度？"


def post(port: int, route: str, body: dict) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{route}", method="POST",
                                     data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def frames_from(path: Path, start: float, seconds: int, folder: Path) -> list[tuple[float, Image.Image]]:
    """One frame per second of the received stream from `start`, in one decoding pass."""
    folder.mkdir()
    subprocess.run(["ffmpeg", "-v", "error", "-ss", f"{start:.2f}", "-t", str(seconds), "-i", str(path), "-vf", "fps=1",
                    str(folder / "%03d.png")], check=True)
    return [(start + i, Image.open(f).convert("RGB")) for i, f in enumerate(sorted(folder.glob("*.png")))]


# (enlargement, threshold, by brightness rather than whiteness): small captions, and keywords lit in colour,
# read differently
VARIANTS = ((2, 215, False), (3, 180, False), (4, 215, False), (3, 190, True))


def reads(img: Image.Image, text: str, variants: tuple = VARIANTS) -> bool:
    return any(text in ocr(img, "chi_sim", factor=f, threshold=th, luma=lu) for f, th, lu in variants)


def first_reading(frames: list[tuple[float, Image.Image]], text: str, *, each_frame_hard: bool) -> float | None:
    """Time of the first frame where OCR finds `text`: every frame read every way before the next
    (`each_frame_hard`), or all frames the first way, then all the second way ... (cheaper when most frames
    do not have the text)."""
    if each_frame_hard:
        return next((t for t, img in frames if reads(img, text)), None)
    for variant in VARIANTS:
        found = next((t for t, img in frames if reads(img, text, (variant,))), None)
        if found is not None:
            return found
    return None


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_live_room_from_a_sheet(tmp_path: Path) -> None:
    sheet = tmp_path / "products.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    feed = tmp_path / "comments.jsonl"
    feed.write_text("", encoding="utf-8")
    loop = tmp_path / "loop"
    port = free_port()
    rx = Receiver(tmp_path / "got.flv")
    cmd = [sys.executable, "-m", "generator.cli", "loop", "stream", str(sheet), "--rtmp", rx.url, "--out", str(loop),
           "--hours", f"{STREAM_SECONDS / 3600:.6f}", "--platform", "kuaishou", "--scale", "0.25", "--duration", "10",
           "--window", "1", "--start-hour", "10", "--host", "sprite", "--voice", "espeak", "--writer", "template",
           "--comments-port", str(port), "--comments-file", str(feed)]
    started = time.time()
    cli = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = rx.wait_first_frame(170)
        assert first is not None, f"nothing received: {cli.poll()}"
        print(f"first frame received {first - started:.1f}s after start")
        assert first - started <= 120
        assert post(port, "/stats", {"viewers": 100}) == 202
        time.sleep(3)
        asked = time.time()
        assert post(port, "/comments", {"user": "小王", "text": QUESTION}) == 202
        assert post(port, "/comments", {"user": "路人", "text": "傻逼主播滚"}) == 202
        with feed.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"user": "阿花", "text": "主播好，第一次来"}, ensure_ascii=False) + "\n")
        time.sleep(15)
        assert post(port, "/stats", {"viewers": 55}) == 202      # people leave
        output, _ = cli.communicate(timeout=STREAM_SECONDS + 120)
    finally:
        if cli.poll() is None:
            cli.kill()
        rx.wait(30)
    assert cli.returncode == 0, output[-2000:]
    print(output[-1500:])
    print(f"stream over {time.time() - started:.0f}s after start")

    # The answer, on the received stream, within 30 s of the question: a caption quoting it, then 中度.
    asked_at = rx.stream_time_at(asked)
    window = frames_from(rx.out, asked_at, 30, tmp_path / "window")
    quoted = first_reading(window, "咖啡是什么烘焙", each_frame_hard=False)
    after = [f for f in window if quoted is not None and f[0] > quoted]
    answered = first_reading(after, "是中度", each_frame_hard=True) if after else None
    assert quoted is not None and answered is not None, "no caption with the question and 中度 within 30 s"
    print(f"question on screen {quoted - asked_at:.0f}s, answer {answered - asked_at:.0f}s after it was posted")

    print(f"OCR done {time.time() - started:.0f}s after start")

    # The room's own logs: every comment with its verdict; the abusive one never answered.
    answers = records(loop / "live" / "answers.jsonl")
    plays = records(loop / "live" / "playout.jsonl")
    by_text = {a["text"]: a for a in answers if a.get("event") == "comment"}
    assert by_text[QUESTION]["verdict"] == "answer" and "中度" in "".join(by_text[QUESTION]["answer"])
    assert by_text["傻逼主播滚"]["verdict"] == "skip" and by_text["傻逼主播滚"]["topic"] == "abusive"
    abusive_id = by_text["傻逼主播滚"]["id"]
    assert all(p.get("comment") != abusive_id for p in plays)
    hello = by_text["主播好，第一次来"]
    assert hello["source"] == "comments.jsonl" and hello["verdict"] == "greet" and "阿花" in hello["answer"][0]
    on_air = {a["id"]: a["latency_s"] for a in answers if a.get("event") == "on_air"}
    assert on_air[by_text[QUESTION]["id"]] <= 20, on_air
    # Viewers dropped: a strong hook went on air.
    drop = next(p for p in plays if p.get("event") == "viewers" and p["drop"])
    assert any(p.get("reason") == "hook" and p["wall"] >= drop["at"] for p in plays)

    # No gap, no black frame, no frozen picture at any of the joins.
    video, audio = packet_times(rx.out, "v"), packet_times(rx.out, "a")
    slices = int(re.search(r"segments in (\d+) slices", output.replace("\n", " ")).group(1))
    print(f"{slices} slices joined, {len(video)} frames")
    assert slices >= 8, "a short-scale run should cross many joins"
    assert joins(video, 1 / 30) == [] and joins(audio, 1024 / 48000) == []
    assert abs(video[-1] - STREAM_SECONDS) < 1.0
    assert black_or_frozen(rx.out) == []
    # The AI label on screen throughout: read in the top-left corner every 10 s, answers included.
    tops = []
    for t in [*range(2, STREAM_SECONDS, 8), answered]:
        img = frame_at(rx.out, t, tmp_path / f"label{t:.0f}.png")
        tops.append(ocr(img.crop((0, 0, img.width, int(img.height * 0.15)))))
    assert all("生成" in text for text in tops), tops
    print(f"checks done {time.time() - started:.0f}s after start")
