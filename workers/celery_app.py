"""The Celery application: Redis broker and result backend, two queues, settings for long CPU tasks.

Everything comes from the environment so that every worker machine is configured the same way:

- DAIHUO_REDIS_URL          broker and result backend (default redis://127.0.0.1:6379/0)
- DAIHUO_VISIBILITY_TIMEOUT seconds before an un-acknowledged task (its worker died) is handed to another
                            worker; must exceed the longest render (default 7200)
- DAIHUO_RENDER_TIME_LIMIT  hard limit of one render task in seconds (default 3600; soft limit 60 s earlier)
- DAIHUO_IO_TIME_LIMIT      hard limit of one script/compliance/voice task (default 900)
"""

from __future__ import annotations

import os

from celery import Celery
from kombu import Queue

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
IO_QUEUE = "io"
RENDER_QUEUE = "render"


def redis_url() -> str:
    return os.environ.get("DAIHUO_REDIS_URL") or DEFAULT_REDIS_URL


def _int_env(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number of seconds, not {os.environ[name]!r}") from exc


def transport_options() -> dict[str, int]:
    visibility = _int_env("DAIHUO_VISIBILITY_TIMEOUT", 7200)
    # kombu scans for un-acked messages every interval×throttle seconds; with a short visibility timeout
    # (tests, small renders) scan more often so a dead worker's task comes back within seconds.
    interval = max(1, min(10, visibility // 4))
    return {"visibility_timeout": visibility, "unacked_restore_interval": interval,
            "unacked_restore_throttle": 1 if visibility < 600 else 10}


def time_limits(queue: str) -> tuple[int, int]:
    """(soft, hard) seconds for a task on QUEUE; the soft limit lets the task record why it stopped."""
    hard = _int_env("DAIHUO_RENDER_TIME_LIMIT", 3600) if queue == RENDER_QUEUE else _int_env("DAIHUO_IO_TIME_LIMIT", 900)
    return max(10, hard - 30), hard


def configure(app: Celery, url: str | None = None) -> Celery:
    url = url or redis_url()
    app.conf.update(
        broker_url=url,
        result_backend=url,
        broker_transport_options=transport_options(),
        result_backend_transport_options=transport_options(),
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # ride out a Redis restart, however long
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=7 * 24 * 3600,
        task_queues=[Queue(IO_QUEUE), Queue(RENDER_QUEUE)],
        task_default_queue=IO_QUEUE,
        task_routes={"daihuo.render": {"queue": RENDER_QUEUE}},
        # A task is acknowledged only after it finished, and given back when its worker process dies, so a
        # crash re-runs it elsewhere; the tasks are idempotent (workers/steps.py), so re-running is safe.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a render holds a core for minutes: do not hoard messages
        worker_cancel_long_running_tasks_on_connection_loss=False,
        task_track_started=True,
        worker_hijack_root_logger=False,
    )
    return app


app = configure(Celery("daihuo", include=["workers.tasks"]))
