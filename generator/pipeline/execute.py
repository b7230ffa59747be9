"""Running one step of the plan against the job store: claim, run under a heartbeat lease, record.

This is what every runner calls for every step, so the rules are the same wherever a step runs: a step found
done returns its recorded result; a step held by a live owner is retried later; a step whose owner died is
taken over; a failure is recorded as one line (problem — fix) and passed down the variant as `failed`, never
raised, so one bad product never stops a batch. Tracebacks go to the log, never to a user.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator.errors import DaihuoError
from generator.pipeline.engines import Engines
from generator.pipeline.failures import discard_partials, environment_error, explain
from generator.pipeline.state import VariantState
from generator.pipeline.steps import BlockedByCompliance, run_body
from generator.pipeline.store import JobStore, StepKey, lease

log = logging.getLogger("daihuo.pipeline")

# Errors worth another attempt: the network, a locked database, a dropped connection.
TRANSIENT: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError, sqlite3.OperationalError)


class StepRetry(Exception):
    """Run this step again in `countdown` seconds (another worker holds it, or a transient error)."""

    def __init__(self, countdown: float, why: str) -> None:
        super().__init__(why)
        self.countdown = countdown


@dataclass(frozen=True)
class StepPolicy:
    """How long a claim lasts without a heartbeat, and how often a step is tried (from Settings)."""

    lease_seconds: float = 60.0
    max_attempts: int = 3


DEFAULT_POLICY = StepPolicy()


def owner_id(task_id: str = "") -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{task_id}"


def step_key(state: VariantState, step: str) -> StepKey:
    return StepKey(state.job, state.sku, state.variant, step)


def run_step(store: JobStore, state: VariantState, step: str, engines: Callable[[], Engines], owner: str,
             policy: StepPolicy = DEFAULT_POLICY) -> VariantState:
    """Run STEP for STATE's variant and return the state with its result (or `failed` set).

    ENGINES is called only when the step really runs (a step found done needs none). Raises StepRetry when
    the step should run again later.
    """
    key = step_key(state, step)
    if state.failed:
        store.fail(key, f"not run: {state.failed}")
        return state
    status, result = store.claim(key, owner, policy.lease_seconds)
    if status == "done":
        return state.with_result(step, result)
    if status == "busy":
        raise StepRetry(max(1.0, policy.lease_seconds / 2), f"{step} is running on another worker")
    attempt = store.attempts(key)
    if attempt > policy.max_attempts:
        return _failed(store, key, state, f"gave up after {attempt - 1} attempts: the worker running it stopped "
                                          "each time (killed, out of memory?) — see the worker logs")
    root = Path(state.out)
    try:
        with lease(store, key, owner, policy.lease_seconds):
            output = run_body(step, state, engines())
    except BlockedByCompliance as exc:
        return _failed(store, key, state, exc.problem, exc.report.model_dump() if exc.report else None)
    except DaihuoError as exc:
        discard_partials(step, state.directory)
        return _failed(store, key, state, explain(exc, root))
    except TRANSIENT as exc:
        discard_partials(step, state.directory)
        if attempt < policy.max_attempts and environment_error(exc) is None:
            store.requeue(key, f"attempt {attempt} hit {explain(exc, root)}; retrying")
            raise StepRetry(2.0 * attempt, str(exc)) from exc
        return _failed(store, key, state, f"{explain(exc, root)} (after {attempt} attempts)")
    except Exception as exc:  # recorded, never raised: the other products go on
        log.exception("step %s of %s v%s failed", step, state.sku, state.variant)
        # A failed step's half-made files go first: on a full disk that gives back the space the job state
        # needs to record the failure, and the next product gets its chance.
        discard_partials(step, state.directory)
        return _failed(store, key, state, explain(exc, root))
    store.finish(key, output.result.model_dump(mode="json"), rendered=output.rendered,
                 message="rendered" if output.rendered else "")
    for variant, sibling in output.siblings.items():  # e.g. the writer made every variant's script at once
        store.fill(StepKey(key.job, key.sku, variant, step), sibling.model_dump(mode="json"))
    return state.with_result(step, output.result)


def _failed(store: JobStore, key: StepKey, state: VariantState, error: str, result: object = None) -> VariantState:
    store.fail(key, error, result)
    return state.model_copy(update={"failed": f"{key.step} failed: {error.splitlines()[0]}"})
