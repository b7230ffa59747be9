"""The Celery application: Redis broker and result backend, two queues, settings for long CPU tasks.

Everything comes from Settings (DAIHUO_REDIS_URL, DAIHUO_VISIBILITY_TIMEOUT, DAIHUO_RENDER_TIME_LIMIT,
DAIHUO_IO_TIME_LIMIT; docs/service.md), so every worker machine is configured the same way.
"""

from __future__ import annotations

import contextlib

from celery import Celery
from kombu import Queue

from generator.settings import Settings, get_settings

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
IO_QUEUE = "io"
RENDER_QUEUE = "render"


def redis_url(settings: Settings | None = None) -> str:
    return (settings or get_settings()).redis_url or DEFAULT_REDIS_URL


def transport_options(settings: Settings) -> dict[str, int]:
    visibility = settings.visibility_timeout
    # kombu scans for un-acked messages every interval×throttle seconds; with a short visibility timeout
    # (tests, small renders) scan more often so a dead worker's task comes back within seconds.
    interval = max(1, min(10, visibility // 4))
    return {"visibility_timeout": visibility, "unacked_restore_interval": interval,
            "unacked_restore_throttle": 1 if visibility < 600 else 10}


def time_limits(queue: str, settings: Settings | None = None) -> tuple[int, int]:
    """(soft, hard) seconds for a task on QUEUE; the soft limit lets the task record why it stopped."""
    settings = settings or get_settings()
    hard = settings.render_time_limit if queue == RENDER_QUEUE else settings.io_time_limit
    return max(10, hard - 30), hard


def configure(app: Celery, url: str | None = None, settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    url = url or redis_url(settings)
    if app.conf.broker_url not in (None, url):
        _forget_connections(app)
    app.conf.update(
        broker_url=url,
        result_backend=url,
        broker_transport_options=transport_options(settings),
        result_backend_transport_options=transport_options(settings),
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
        # crash re-runs it elsewhere; the steps are idempotent (generator/pipeline/execute.py), so re-running
        # is safe.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a render holds a core for minutes: do not hoard messages
        worker_cancel_long_running_tasks_on_connection_loss=False,
        task_track_started=True,
        worker_hijack_root_logger=False,
    )
    return app


def _forget_connections(app: Celery) -> None:
    """Another broker: the connection and producer pools (and the result backend) opened for the old one must not
    be used again. Celery caches them on first use, as it does after a fork (Celery._after_fork)."""
    with contextlib.suppress(Exception):
        if app._pool is not None:
            app._pool.force_close_all()
    app._pool = None
    with contextlib.suppress(AttributeError, KeyError):
        app.__dict__["amqp"]._producer_pool = None
    app._backend_cache = None
    with contextlib.suppress(AttributeError):
        del app._local.backend


app = configure(Celery("daihuo", include=["workers.tasks"]))
