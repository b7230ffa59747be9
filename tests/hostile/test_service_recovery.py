"""Recovery that must not stall (class 7 of issue #11): real redis-server, real `daihuo worker` processes and a
real `daihuo batch --wait`, with the default visibility timeout (2 hours): recovery must come from the job
store's leases, not from Redis giving a dead worker's message back.

Leases are shortened (DAIHUO_LEASE_SECONDS=5) so that the suite stays quick; with the default 45 s lease the
same recovery happens within a minute of a worker's death (docs/security.md, "Workers").
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.pipeline.store import JobStore
from tests.harness.processes import REPO_ROOT, Process, RedisServer, child_env, start_worker, wait_for_log
from tests.hostile.service_support import write_sheet

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server (make test-setup)")


class Cluster:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.out = root / "out"
        self.redis = RedisServer(root / "redis").start()
        # No DAIHUO_VISIBILITY_TIMEOUT: Redis keeps a dead worker's message for the default 2 hours.
        self.env = child_env(DAIHUO_REDIS_URL=self.redis.url, DAIHUO_OUT=str(self.out), DAIHUO_THREADS="1",
                             DAIHUO_LEASE_SECONDS="5", DAIHUO_STALL_SECONDS="6")
        self.env.pop("DAIHUO_VISIBILITY_TIMEOUT", None)
        self.count = 0
        self.worker: Process | None = None
        self.store = JobStore(self.out)

    def ensure_worker(self) -> Process:
        if self.worker is None or self.worker.proc.poll() is not None:
            return self.start_worker()
        return self.worker

    def start_worker(self) -> Process:
        self.count += 1
        self.worker = start_worker(self.env, self.root / f"worker{self.count}.log", concurrency=2, name=f"r{self.count}")
        wait_for_log(self.worker, "ready.")
        return self.worker

    def batch(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "generator.cli", "batch", *args, "--out", str(self.out)],
                                cwd=REPO_ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def steps(self, job: str) -> list[dict]:  # type: ignore[type-arg]
        try:
            return self.store.steps(job)
        except Exception:  # noqa: BLE001 - the job appears once `batch` has read the sheet
            return []

    def wait_for_step(self, job: str, step_prefix: str, state: str, timeout: float = 120) -> dict:  # type: ignore[type-arg]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            hit = [s for s in self.steps(job) if s["step"].startswith(step_prefix) and s["state"] == state]
            if hit:
                return hit[0]
            time.sleep(0.05)
        raise AssertionError(f"no {step_prefix} step {state} in {job}: {self.steps(job)}")

    def close(self) -> None:
        if self.worker:
            self.worker.stop()
        self.redis.stop()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One Redis for the module; each test leaves a live worker behind for the next (the first needs none)."""
    c = Cluster(tmp_path_factory.mktemp("recovery"))
    try:
        yield c
    finally:
        c.close()


# QC off: recovery is the point here; QC in the Celery runner is checked by tests/test_runners.py.
FAST = ["--duration", "6", "--scale", "0.25", "--no-music", "--qc", "off"]


def assert_each_clip_once(cluster: Cluster, job: str, skus: list[str], platforms: list[str]) -> None:
    for sku in skus:
        directory = cluster.out / job / sku / "v1"
        assert sorted(p.name for p in directory.glob("*.mp4")) == sorted(f"{p}.mp4" for p in platforms), sku
        assert not [p.name for p in directory.iterdir() if p.name.startswith(".")], f"temp files left in {sku}"
    renders = [s for s in cluster.store.steps(job) if s["step"].startswith("render:")]
    assert len(renders) == len(skus) * len(platforms)
    assert all(s["state"] == "done" and s["renders"] == 1 for s in renders), renders


def test_batch_wait_that_gives_up_says_how_to_resume(cluster: Cluster, tmp_path: Path) -> None:
    assert cluster.worker is None  # the module's first test: no worker runs yet
    sheet = write_sheet(tmp_path / "sheet", ["W-1"])
    batch = cluster.batch(str(sheet), *FAST, "--job", "nobody", "--wait", "--timeout", "3")  # no worker runs
    output, _ = batch.communicate(timeout=60)
    # Leave nothing for the next tests' workers: this job's messages go, and the job is closed.
    import redis

    redis.Redis.from_url(cluster.redis.url).flushdb()
    cluster.store.set_job_state("nobody", "failed", "closed by the test")
    assert batch.returncode == 3, output
    assert "daihuo batch --resume nobody" in " ".join(output.split()), output


def test_sigkilled_worker_batch_wait_finishes_without_resume(cluster: Cluster, tmp_path: Path) -> None:
    skus = ["KILL-1", "KILL-2"]
    cluster.ensure_worker()
    batch = cluster.batch(str(write_sheet(tmp_path / "sheet", skus)), "--platforms", "douyin", *FAST,
                          "--job", "killed", "--wait", "--timeout", "150")
    try:
        victim = cluster.wait_for_step("killed", "render:", "running")
        assert cluster.worker is not None
        cluster.worker.kill(signal.SIGKILL)  # the whole worker, main process and pool: its messages stay un-acked
        killed_at = time.monotonic()
        cluster.start_worker()
        output, _ = batch.communicate(timeout=200)
    finally:
        batch.kill()
    waited = time.monotonic() - killed_at
    assert batch.returncode == 0, output + (cluster.worker.tail() if cluster.worker else "")
    assert waited < 120, f"finished {waited:.0f}s after the kill"
    assert "--resume" not in output
    assert_each_clip_once(cluster, "killed", skus, ["douyin"])
    row = next(s for s in cluster.store.steps("killed") if (s["sku"], s["step"]) == (victim["sku"], victim["step"]))
    assert row["attempts"] >= 2  # the lost render was taken over and run to the end
    assert any("lost worker" in e["message"] for e in cluster.store.events("killed", limit=1000))


def test_a_worker_recovers_a_dead_workers_task_with_nobody_waiting(cluster: Cluster, tmp_path: Path) -> None:
    skus = ["ALONE-1"]
    cluster.ensure_worker()
    submit = cluster.batch(str(write_sheet(tmp_path / "sheet", skus)), "--platforms", "douyin", *FAST, "--job", "alone")
    assert submit.wait(timeout=60) == 0
    cluster.wait_for_step("alone", "render:", "running")
    assert cluster.worker is not None
    cluster.worker.kill(signal.SIGKILL)
    killed_at = time.monotonic()
    cluster.start_worker()
    while cluster.store.job("alone")["state"] not in ("done", "failed"):  # only reading: nobody settles it
        assert time.monotonic() - killed_at < 120, (cluster.steps("alone"), cluster.worker.tail())
        time.sleep(0.5)
    assert cluster.store.job("alone")["state"] == "done"
    assert_each_clip_once(cluster, "alone", skus, ["douyin"])


def plant_stale_message(url: str) -> None:
    """What a worker that died holding a message leaves in Redis: the message in the `unacked` hash, for a job
    that no longer exists. Kombu would give it back only after the visibility timeout (2 hours)."""
    import redis

    from workers import celery_app

    app = celery_app.configure(celery_app.app, url)
    app.send_task("daihuo.io", args=[{"job": "gone"}, "script"], queue="stale-test")
    client = redis.Redis.from_url(url)
    payload = client.rpop("stale-test")
    assert payload is not None
    message = json.loads(payload)
    tag = message["properties"]["delivery_tag"]
    client.hset("unacked", tag, json.dumps([message, "", "stale-test"]))
    client.zadd("unacked_index", {tag: time.time()})


def test_redis_restart_with_a_stale_message_present_completes_without_resume(cluster: Cluster, tmp_path: Path) -> None:
    skus = ["RR-1", "RR-2", "RR-3"]
    cluster.ensure_worker()
    plant_stale_message(cluster.redis.url)
    batch = cluster.batch(str(write_sheet(tmp_path / "sheet", skus)), "--platforms", "douyin,xiaohongshu", *FAST,
                          "--job", "restart", "--wait", "--timeout", "150")
    try:
        cluster.wait_for_step("restart", "voice", "running")  # it ends while Redis is down: its next message is lost
        cluster.redis.restart(down_for=8.0)
        restarted_at = time.monotonic()
        output, _ = batch.communicate(timeout=200)
    finally:
        batch.kill()
    assert batch.returncode == 0, output + (cluster.worker.tail() if cluster.worker else "")
    assert time.monotonic() - restarted_at < 120
    assert "--resume" not in output
    assert_each_clip_once(cluster, "restart", skus, ["douyin", "xiaohongshu"])
    # The voice step that ended while Redis was down could not send its renders: recovery sent them again.
    assert any("sent again" in e["message"] for e in cluster.store.events("restart", limit=1000))

