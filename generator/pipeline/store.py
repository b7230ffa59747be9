"""Job state that survives restarts: SQLite next to the outputs (OUT/.daihuo/jobs.sqlite, WAL mode).

One row per job, one row per step of each product variant (script, compliance, voice, render:<platform>),
and an append-only event log for progress displays. Every worker, the CLI and the API open the same file, so
the state outlives any process, and Redis holds only the queue. A step is *claimed* before it runs, with a
heartbeat lease: a second copy of a task (redelivered after a crash or a broker restart) sees a fresh lease
and waits, or a stale one and takes over, so a clip is never rendered twice at the same time.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

State = Literal["queued", "running", "done", "failed"]
TERMINAL = ("done", "failed")
STATE_DIR = ".daihuo"
JOURNAL_MODES = ("wal", "delete", "truncate", "persist")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, state TEXT NOT NULL, mode TEXT NOT NULL, out_root TEXT NOT NULL,
  brief TEXT NOT NULL, products TEXT NOT NULL, row_errors TEXT NOT NULL, warnings TEXT NOT NULL,
  token TEXT NOT NULL DEFAULT '', error TEXT, created REAL NOT NULL, updated REAL NOT NULL,
  options TEXT NOT NULL DEFAULT '{}', tenant TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS steps (
  job TEXT NOT NULL, sku TEXT NOT NULL, variant INTEGER NOT NULL, step TEXT NOT NULL, seq INTEGER NOT NULL,
  state TEXT NOT NULL, error TEXT, result TEXT, attempts INTEGER NOT NULL DEFAULT 0,
  renders INTEGER NOT NULL DEFAULT 0, owner TEXT, heartbeat REAL, updated REAL NOT NULL,
  PRIMARY KEY (job, sku, variant, step)
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, job TEXT NOT NULL, ts REAL NOT NULL, sku TEXT, variant INTEGER,
  step TEXT, state TEXT NOT NULL, message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS events_job ON events (job, id);
"""


def db_path(out_root: Path | str) -> Path:
    return Path(out_root) / STATE_DIR / "jobs.sqlite"


@dataclass(frozen=True)
class StepKey:
    job: str
    sku: str
    variant: int
    step: str


class JobNotFound(KeyError):
    pass


class JobStore:
    """All reads and writes of job state. Cheap to construct; opens a short-lived connection per call."""

    def __init__(self, out_root: Path | str, *, journal: str = "wal") -> None:
        self.out_root = Path(out_root)
        self.path = db_path(out_root)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if journal.lower() not in JOURNAL_MODES:
            raise ValueError(f"unknown SQLite journal mode {journal!r}; use one of {', '.join(JOURNAL_MODES)}")
        with self._conn() as db:
            # WAL lets readers (API, `daihuo status`) read while workers write. On network file systems
            # WAL is unsafe: set DAIHUO_STATE_JOURNAL=delete there (docs/service.md).
            db.execute(f"PRAGMA journal_mode={journal.lower()}")
            db.executescript(_SCHEMA)
            _migrate(db)

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA busy_timeout=30000")
            yield db
        finally:
            db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._conn() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    # ---- jobs -----------------------------------------------------------------------------------------

    def create_job(
        self, job: str, *, mode: str, brief: dict[str, Any], products: list[dict[str, Any]],
        row_errors: list[dict[str, Any]], warnings: list[str], steps: list[tuple[str, int, str]], token: str = "",
        options: dict[str, Any] | None = None, tenant: str = "",
    ) -> None:
        """Create (or reset, when resubmitted under the same id) a job and its steps, all queued. TENANT is who
        may see it over the API ('' for jobs of the command line: only admins see those)."""
        now = time.time()
        with self._tx() as db:
            db.execute("DELETE FROM steps WHERE job=?", (job,))
            db.execute(
                "INSERT OR REPLACE INTO jobs (id, state, mode, out_root, brief, products, row_errors, warnings,"
                " token, error, created, updated, options, tenant) VALUES (?,?,?,?,?,?,?,?,?,NULL,?,?,?,?)",
                (job, "queued", mode, str(self.out_root), _dump(brief), _dump(products), _dump(row_errors),
                 _dump(warnings), token, now, now, _dump(options or {}), tenant),
            )
            db.executemany(
                "INSERT INTO steps (job, sku, variant, step, seq, state, updated) VALUES (?,?,?,?,?,'queued',?)",
                [(job, sku, variant, step, seq, now) for seq, (sku, variant, step) in enumerate(steps)],
            )
            _event(db, job, None, None, None, "queued", f"{len(products)} product(s) submitted")

    def job(self, job: str) -> dict[str, Any]:
        with self._conn() as db:
            row = db.execute("SELECT * FROM jobs WHERE id=?", (job,)).fetchone()
        if row is None:
            raise JobNotFound(job)
        data = dict(row)
        for key in ("brief", "products", "row_errors", "warnings", "options"):
            data[key] = json.loads(data[key])
        return data

    def jobs(self, limit: int = 50, *, tenant: str | None = None) -> list[dict[str, Any]]:
        """The newest jobs (of TENANT only, when given)."""
        where, args = ("WHERE tenant=?", (tenant,)) if tenant is not None else ("", ())
        with self._conn() as db:
            rows = db.execute(f"SELECT id, state, mode, created, updated, error FROM jobs {where}"
                              " ORDER BY created DESC LIMIT ?", (*args, limit)).fetchall()
        return [dict(r) for r in rows]

    def open_jobs(self, mode: str) -> list[str]:
        """Ids of MODE's jobs still queued or running (what recovery sweeps look at)."""
        with self._conn() as db:
            rows = db.execute("SELECT id FROM jobs WHERE mode=? AND state IN ('queued', 'running') ORDER BY created",
                              (mode,)).fetchall()
        return [r["id"] for r in rows]

    def set_job_state(self, job: str, state: State, error: str | None = None, message: str = "") -> None:
        with self._tx() as db:
            db.execute("UPDATE jobs SET state=?, error=?, updated=? WHERE id=?", (state, error, time.time(), job))
            _event(db, job, None, None, None, state, message or (error or ""))

    def mark_running(self, job: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE jobs SET state='running', updated=? WHERE id=? AND state='queued'", (time.time(), job))

    # ---- steps ----------------------------------------------------------------------------------------

    def steps(self, job: str) -> list[dict[str, Any]]:
        with self._conn() as db:
            rows = db.execute("SELECT * FROM steps WHERE job=? ORDER BY seq", (job,)).fetchall()
        out = []
        for row in rows:
            data = dict(row)
            data["result"] = json.loads(data["result"]) if data["result"] else None
            out.append(data)
        return out

    def step(self, key: StepKey) -> dict[str, Any] | None:
        with self._conn() as db:
            row = db.execute("SELECT * FROM steps WHERE job=? AND sku=? AND variant=? AND step=?",
                             (key.job, key.sku, key.variant, key.step)).fetchone()
        if row is None:
            return None
        data = dict(row)
        data["result"] = json.loads(data["result"]) if data["result"] else None
        return data

    def claim(self, key: StepKey, owner: str, lease_s: float) -> tuple[str, dict[str, Any] | None]:
        """('done', result) when finished before; ('busy', None) when another live owner holds it;
        ('claimed', None) when this owner may run it now (attempts is incremented)."""
        now = time.time()
        with self._tx() as db:
            row = db.execute("SELECT state, result, owner, heartbeat, attempts FROM steps WHERE job=? AND sku=?"
                             " AND variant=? AND step=?", (key.job, key.sku, key.variant, key.step)).fetchone()
            if row is None:
                raise JobNotFound(f"{key.job}: no step {key.sku} v{key.variant} {key.step}")
            if row["state"] == "done":
                return "done", json.loads(row["result"]) if row["result"] else None
            fresh = row["heartbeat"] is not None and now - row["heartbeat"] < lease_s
            if row["state"] == "running" and row["owner"] != owner and fresh:
                return "busy", None
            db.execute("UPDATE steps SET state='running', owner=?, heartbeat=?, attempts=attempts+1, error=NULL,"
                       " updated=? WHERE job=? AND sku=? AND variant=? AND step=?",
                       (owner, now, now, key.job, key.sku, key.variant, key.step))
            db.execute("UPDATE jobs SET state='running', updated=? WHERE id=? AND state='queued'", (now, key.job))
            _event(db, key.job, key.sku, key.variant, key.step, "running",
                   f"attempt {row['attempts'] + 1}" + (" (taking over from a lost worker)" if row["state"] == "running" else ""))
            return "claimed", None

    def attempts(self, key: StepKey) -> int:
        row = self.step(key)
        return int(row["attempts"]) if row else 0

    def beat(self, key: StepKey, owner: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE steps SET heartbeat=? WHERE job=? AND sku=? AND variant=? AND step=? AND owner=?",
                       (time.time(), key.job, key.sku, key.variant, key.step, owner))

    def finish(self, key: StepKey, result: Any, *, rendered: bool = False, message: str = "") -> None:
        now = time.time()
        with self._tx() as db:
            db.execute("UPDATE steps SET state='done', result=?, error=NULL, renders=renders+?, heartbeat=NULL,"
                       " updated=? WHERE job=? AND sku=? AND variant=? AND step=?",
                       (_dump(result), int(rendered), now, key.job, key.sku, key.variant, key.step))
            _event(db, key.job, key.sku, key.variant, key.step, "done", message)

    def fill(self, key: StepKey, result: Any) -> None:
        """Record a result made as a by-product of another step, unless this step has started on its own."""
        with self._tx() as db:
            db.execute("UPDATE steps SET state='done', result=?, updated=? WHERE job=? AND sku=? AND variant=?"
                       " AND step=? AND state='queued'",
                       (_dump(result), time.time(), key.job, key.sku, key.variant, key.step))

    def fail(self, key: StepKey, error: str, result: Any = None) -> None:
        """Record the step as failed; RESULT keeps what it found on the way (a blocking compliance report)."""
        now = time.time()
        with self._tx() as db:
            db.execute("UPDATE steps SET state='failed', error=?, result=?, heartbeat=NULL, updated=? WHERE job=?"
                       " AND sku=? AND variant=? AND step=? AND state != 'done'",
                       (error, _dump(result) if result is not None else None, now, key.job, key.sku, key.variant,
                        key.step))
            _event(db, key.job, key.sku, key.variant, key.step, "failed", error.splitlines()[0] if error else "")

    def requeue(self, key: StepKey, why: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE steps SET state='queued', error=?, heartbeat=NULL, owner=NULL, updated=? WHERE job=?"
                       " AND sku=? AND variant=? AND step=? AND state='running'",
                       (why, time.time(), key.job, key.sku, key.variant, key.step))
            _event(db, key.job, key.sku, key.variant, key.step, "queued", why)

    def release_lost(self, key: StepKey, lease_s: float, resend_after: float) -> bool:
        """Mark a step whose owner stopped beating (a dead worker) as lost, so that the next claim takes it over.
        True for the one caller that did it (several sweepers may try at once; one re-sends the work); a step
        marked lost that nobody claimed within RESEND_AFTER seconds may be marked again (its re-sent message
        was lost too)."""
        now = time.time()
        with self._tx() as db:
            done = db.execute(
                "UPDATE steps SET owner='lost:' || COALESCE(owner, ''), heartbeat=NULL, updated=? WHERE job=? AND"
                " sku=? AND variant=? AND step=? AND state='running' AND (heartbeat IS NULL OR heartbeat<?) AND"
                " (owner IS NULL OR owner NOT LIKE 'lost:%' OR updated<?)",
                (now, key.job, key.sku, key.variant, key.step, now - lease_s, now - resend_after)).rowcount
            if done:
                _event(db, key.job, key.sku, key.variant, key.step, "running",
                       f"its worker stopped (no heartbeat for {lease_s:g}s): sending it again to a live worker")
        return bool(done)

    def claim_resend(self, job: str, sku: str, variant: int, quiet_s: float, why: str) -> bool:
        """Mark a variant whose open steps have been quiet for QUIET_S as re-sent now; True for the one caller
        that did it (the others find it no longer quiet)."""
        now = time.time()
        with self._tx() as db:
            done = db.execute(
                "UPDATE steps SET updated=? WHERE job=? AND sku=? AND variant=? AND state NOT IN ('done', 'failed')"
                " AND NOT EXISTS (SELECT 1 FROM steps WHERE job=? AND sku=? AND variant=? AND updated>=?)",
                (now, job, sku, variant, job, sku, variant, now - quiet_s)).rowcount
            if done:
                _event(db, job, sku, variant, None, "queued", why)
        return bool(done)

    def reset_unfinished(self, job: str) -> int:
        """For a resume: failed and abandoned steps go back to queued (done ones stay done)."""
        with self._tx() as db:
            count = db.execute("UPDATE steps SET state='queued', error=NULL, attempts=0, owner=NULL, heartbeat=NULL,"
                               " updated=? WHERE job=? AND state IN ('failed', 'running', 'queued')",
                               (time.time(), job)).rowcount
            db.execute("UPDATE jobs SET state='queued', error=NULL, updated=? WHERE id=?", (time.time(), job))
            _event(db, job, None, None, None, "queued", f"resumed: {count} step(s) to run")
        return count

    # ---- events ---------------------------------------------------------------------------------------

    def events(self, job: str, after: int = 0, limit: int = 200) -> list[dict[str, Any]]:
        with self._conn() as db:
            rows = db.execute("SELECT * FROM events WHERE job=? AND id>? ORDER BY id LIMIT ?",
                              (job, after, limit)).fetchall()
        return [dict(r) for r in rows]


@contextmanager
def lease(store: JobStore, key: StepKey, owner: str, lease_s: float) -> Iterator[None]:
    """Keep the claim on KEY fresh while the body runs (renders run for minutes)."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(max(0.5, lease_s / 3)):
            # A missed beat only shortens the lease; the next one catches up.
            with contextlib.suppress(sqlite3.Error):
                store.beat(key, owner)

    thread = threading.Thread(target=beat, daemon=True, name=f"lease-{key.step}")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)


def _event(db: sqlite3.Connection, job: str, sku: str | None, variant: int | None, step: str | None,
           state: str, message: str) -> None:
    db.execute("INSERT INTO events (job, ts, sku, variant, step, state, message) VALUES (?,?,?,?,?,?,?)",
               (job, time.time(), sku, variant, step, state, message))


def _migrate(db: sqlite3.Connection) -> None:
    """Columns added since the first release, added in place to state files written by an older daihuo."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
    if "options" not in columns:
        db.execute("ALTER TABLE jobs ADD COLUMN options TEXT NOT NULL DEFAULT '{}'")
    if "tenant" not in columns:
        db.execute("ALTER TABLE jobs ADD COLUMN tenant TEXT NOT NULL DEFAULT ''")
