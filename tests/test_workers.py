"""Celery workers against a real redis-server and real `daihuo worker` processes.

One Redis and one worker are shared by the module; tests that kill the worker or restart Redis leave a working
pair behind for the next test. Renders are proxies (scale 0.25, 6 s, no QC) to keep the suite quick on 2 cores.
"""

from __future__ import annotations

import csv
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.models import Brief
from generator.pipeline.intake import create_job, load_sheet
from generator.pipeline.store import JobStore
from generator.settings import Settings
from tests.harness.processes import REPO_ROOT, Process, RedisServer, child_env, start_worker, wait_for_log
from workers import celery_app
from workers.canvas import enqueue, settle

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server (make test-setup)")

SETTLE = Settings(stall_seconds=6, lease_seconds=4)  # as the workers are configured below
# QC off: these tests are about delivery (each clip once, recovery); QC in the Celery runner is checked by
# tests/test_runners.py, whose three runners must make the same .qc.json files.
BRIEF = Brief(platforms=["douyin", "xiaohongshu"], duration=6, scale=0.25, music=False, qc="off")
IMAGES = REPO_ROOT / "examples" / "images"
TITLES = ["保湿补水面霜", "便携榨汁杯", "手工挂耳咖啡", "折叠手机支架", "真空保温杯", "竹纤维毛巾", "无线鼠标"]


def write_sheet(directory: Path, skus: list[str], *, image_for: dict[str, Path] | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "images").mkdir(exist_ok=True)
    pics = sorted(IMAGES.glob("*.jpg"))
    rows = []
    for i, sku in enumerate(skus):
        src = (image_for or {}).get(sku, pics[i % len(pics)])
        shutil.copy(src, directory / "images" / src.name)
        rows.append({"商品编码": sku, "商品名称": TITLES[i % len(TITLES)], "原价": 99 + i, "到手价": 79 + i,
                     "卖点": "轻巧便携；一键操作", "主图": f"images/{src.name}"})
    path = directory / "sheet.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


class Cluster:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.out = root / "out"
        self.redis = RedisServer(root / "redis").start()
        # Short visibility timeout and lease: a dead worker's task comes back in seconds, not an hour.
        self.env = child_env(DAIHUO_REDIS_URL=self.redis.url, DAIHUO_OUT=str(self.out), DAIHUO_VISIBILITY_TIMEOUT="8",
                             DAIHUO_LEASE_SECONDS="4", DAIHUO_THREADS="1",
                             DAIHUO_STALL_SECONDS="6")
        self.workers = 0
        self.worker = self.start_worker()
        celery_app.configure(celery_app.app, self.redis.url)
        self.store = JobStore(self.out)

    def start_worker(self) -> Process:
        self.workers += 1
        worker = start_worker(self.env, self.root / f"worker{self.workers}.log", concurrency=2, name=f"w{self.workers}")
        wait_for_log(worker, "ready.")
        return worker

    def submit(self, job: str, sheet: Path, brief: Brief = BRIEF) -> None:
        create_job(self.store, job, load_sheet(sheet, self.out), brief, mode="celery")
        enqueue(self.store, job)

    def wait(self, job: str, timeout: float = 180, *, recover: bool = True) -> dict:  # type: ignore[type-arg]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = settle(self.store, job, SETTLE, grace=5, broker_url=self.redis.url if recover else None)
            if state["state"] in ("done", "failed"):
                return state
            time.sleep(0.5)
        raise AssertionError(f"job {job} not finished after {timeout}s: "
                             f"{[(s['sku'], s['step'], s['state']) for s in self.store.steps(job)]}\n{self.worker.tail()}")

    def close(self) -> None:
        self.worker.stop()
        self.redis.stop()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield c
    finally:
        c.close()


def render_steps(store: JobStore, job: str) -> list[dict]:  # type: ignore[type-arg]
    return [s for s in store.steps(job) if s["step"].startswith("render:")]


def assert_each_clip_once(out: Path, job: str, skus: list[str], platforms: list[str]) -> None:
    for sku in skus:
        directory = out / job / sku / "v1"
        assert sorted(p.name for p in directory.glob("*.mp4")) == sorted(f"{p}.mp4" for p in platforms), sku
        assert not [p.name for p in directory.iterdir() if p.name.startswith(".")], f"leftover temp files in {sku}"
        for platform in platforms:
            for suffix in (".cover.jpg", ".srt", ".vtt", ".json"):
                assert (directory / f"{platform}{suffix}").stat().st_size > 0
            assert (directory / f"{platform}.mp4").read_bytes()[4:8] == b"ftyp"
        assert (directory / "manifest.json").exists()


def test_batch_of_six_products_completes_and_a_failing_one_is_reported(cluster: Cluster, tmp_path: Path) -> None:
    good = [f"OK-{i}" for i in range(6)]
    sheet = write_sheet(tmp_path / "sheet", [*good, "BAD-7"])
    # The seventh product's output folder is blocked on the shared storage (a file sits where the folder must
    # go): its steps fail, and the six others must not notice.
    (cluster.out / "six").mkdir(parents=True, exist_ok=True)
    (cluster.out / "six" / "BAD-7").write_text("not a folder")

    cluster.submit("six", sheet)
    job = cluster.wait("six")

    assert job["state"] == "failed"
    assert "BAD-7" in job["error"]
    assert_each_clip_once(cluster.out, "six", good, BRIEF.platforms)
    steps = cluster.store.steps("six")
    assert all(s["state"] == "done" for s in steps if s["sku"] != "BAD-7")
    assert {s["state"] for s in steps if s["sku"] == "BAD-7" and s["step"].startswith("render:")} == {"failed"}
    import json

    report = json.loads((cluster.out / "six" / "report.json").read_text(encoding="utf-8"))
    by_sku = {v["sku"]: v for v in report["variants"]}
    assert len(by_sku) == 7
    assert by_sku["BAD-7"]["error"].startswith("voice: ") and "BAD-7" in by_sku["BAD-7"]["error"]
    # One line, problem — fix, and no server path (the worker path of the error boundary).
    assert " — " in by_sku["BAD-7"]["error"] and str(cluster.out) not in by_sku["BAD-7"]["error"]
    assert all(by_sku[s]["error"] is None and len(by_sku[s]["clips"]) == 2 for s in good)
    assert "❌ BAD-7" in (cluster.out / "six" / "report.md").read_text(encoding="utf-8")
    # Every clip was rendered exactly once (redelivered copies found it done).
    assert all(s["renders"] == 1 for s in render_steps(cluster.store, "six") if s["sku"] != "BAD-7")


def test_worker_killed_mid_render_task_is_redelivered_and_each_clip_exists_once(cluster: Cluster, tmp_path: Path) -> None:
    skus = ["KILL-1", "KILL-2"]
    brief = BRIEF.model_copy(update={"platforms": ["douyin"]})
    cluster.submit("killed", write_sheet(tmp_path / "sheet", skus), brief)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        running = [s for s in render_steps(cluster.store, "killed") if s["state"] == "running"]
        if running:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("no render started")
    cluster.worker.kill(signal.SIGKILL)  # the whole worker: main process and its pool
    victim = next(s for s in render_steps(cluster.store, "killed") if s["sku"] == running[0]["sku"])
    assert victim["state"] == "running" and victim["renders"] == 0, "the render must have been cut off half-way"

    cluster.worker = cluster.start_worker()
    job = cluster.wait("killed", timeout=150, recover=False)  # Celery's own redelivery, no help from the waiter

    assert job["state"] == "done", job["error"]
    assert_each_clip_once(cluster.out, "killed", skus, ["douyin"])
    rows = {s["sku"]: s for s in render_steps(cluster.store, "killed")}
    assert all(r["renders"] == 1 for r in rows.values())
    assert rows[victim["sku"]]["attempts"] >= 2  # the redelivered task ran it again, to the end
    events = cluster.store.events("killed", limit=1000)
    assert any("taking over from a lost worker" in e["message"] for e in events)


def test_redis_restart_mid_batch_completes_without_duplicates(cluster: Cluster, tmp_path: Path) -> None:
    skus = ["RR-1", "RR-2", "RR-3"]
    sheet = write_sheet(tmp_path / "sheet", skus)
    batch = subprocess.Popen(
        [sys.executable, "-m", "generator.cli", "batch", str(sheet), "--platforms", "douyin,xiaohongshu",
         "--duration", "6", "--scale", "0.25", "--no-music", "--qc", "off", "--job", "restart", "--out", str(cluster.out),
         "--wait", "--timeout", "150"],
        cwd=REPO_ROOT, env=cluster.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if any(s["state"] == "done" for s in render_steps(cluster.store, "restart")):
                break
        except Exception:
            pass  # the job row appears once the CLI has read the sheet
        time.sleep(0.1)
    else:
        batch.kill()
        raise AssertionError(f"no render finished before the restart:\n{batch.communicate()[0]}")
    cluster.redis.restart(down_for=2.0)

    output, _ = batch.communicate(timeout=200)
    # No `--resume`: whatever the restart lost is sent again by the recovery sweeps (workers/recovery.py).
    assert batch.returncode == 0, output + cluster.worker.tail()
    assert "restart: done" in output
    assert_each_clip_once(cluster.out, "restart", skus, ["douyin", "xiaohongshu"])
    assert all(s["renders"] == 1 for s in render_steps(cluster.store, "restart"))
    assert not list((cluster.out / "restart").rglob("*.qc.json")), "batch --qc off: no clip is read back"


def test_resume_and_status_of_a_finished_job_render_nothing_again(cluster: Cluster) -> None:
    before = {(s["sku"], s["step"]): s["renders"] for s in render_steps(cluster.store, "killed")}
    resumed = subprocess.run(
        [sys.executable, "-m", "generator.cli", "batch", "--resume", "killed", "--out", str(cluster.out), "--wait",
         "--timeout", "60"], cwd=REPO_ROOT, env=cluster.env, capture_output=True, text=True, timeout=90)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "0 product variant(s) re-sent" in resumed.stderr
    after = {(s["sku"], s["step"]): s["renders"] for s in render_steps(cluster.store, "killed")}
    assert after == before

    status = subprocess.run([sys.executable, "-m", "generator.cli", "status", "six", "--out", str(cluster.out), "--json"],
                            cwd=REPO_ROOT, env=cluster.env, capture_output=True, text=True, timeout=60)
    assert status.returncode == 1  # the job with the lost image failed
    import json

    view = json.loads(status.stdout)
    states = {p["sku"]: p["state"] for p in view["products"]}
    assert states["BAD-7"] == "failed" and sum(st == "done" for st in states.values()) == 6

    missing = subprocess.run([sys.executable, "-m", "generator.cli", "status", "nope", "--out", str(cluster.out)],
                             cwd=REPO_ROOT, env=cluster.env, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no job 'nope'" in missing.stderr
