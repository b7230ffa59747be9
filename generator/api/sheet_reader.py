"""Reading an upload in a child process (generator/api/read_child.py) with CPU, memory and time limits.

`start_reading` starts the child; `answer_within` waits up to DAIHUO_PARSE_WAIT_SECONDS for it, so that a
sheet that reads quickly is answered in the same request (202 or 422), and a slow one is answered 202 at once
while the job reads on (generator/api/routers/jobs.py). At most DAIHUO_PARSE_CONCURRENCY children run at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import generator
from generator.api.config import ApiConfig, ReadLimits
from generator.models import SheetResult
from generator.settings import child_environment

PACKAGE_PARENT = str(Path(generator.__file__).resolve().parent.parent)


@dataclass
class Refused(Exception):
    """The upload cannot be read: one line for people, and whether it was a limit of ours."""

    problem: str
    fix: str
    limit: bool = False

    @property
    def message(self) -> str:
        return f"{self.problem} — {self.fix}"


class Reading:
    """One child process reading one upload."""

    def __init__(self, task: asyncio.Task[SheetResult]) -> None:
        self.task = task

    async def answer_within(self, seconds: float) -> SheetResult | None:
        """The result if the child finished within SECONDS (raises Refused), else None: it reads on."""
        done, _ = await asyncio.wait({self.task}, timeout=seconds)
        return self.task.result() if done else None

    async def result(self) -> SheetResult:
        return await self.task


def start_reading(config: ApiConfig, gate: asyncio.Semaphore, request: dict[str, Any]) -> Reading:
    request = {**request, "image_cache": str(config.out_root / ".cache" / "images"),
               "limits": config.settings.sheet_limits(max_rows=config.max_rows).model_dump()}
    return Reading(asyncio.ensure_future(_read(config.read_limits, gate, request)))


async def lint_in_child(config: ApiConfig, gate: asyncio.Semaphore, path: Path) -> dict[str, Any]:
    """The compliance pre-check of an uploaded sheet (generator.compliance.sheet_lint), read under the same
    limits as a job's sheet; raises Refused."""
    request = {"kind": "lint", "path": str(path), "image_cache": str(config.out_root / ".cache" / "images"),
               "limits": config.settings.sheet_limits(max_rows=config.max_rows).model_dump()}
    return (await _run(config.read_limits, gate, request))["lint"]


async def _read(limits: ReadLimits, gate: asyncio.Semaphore, request: dict[str, Any]) -> SheetResult:
    return SheetResult.model_validate((await _run(limits, gate, request))["result"])


async def _run(limits: ReadLimits, gate: asyncio.Semaphore, request: dict[str, Any]) -> dict[str, Any]:
    async with gate:
        env = child_environment(PYTHONPATH=PACKAGE_PARENT, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                                MALLOC_ARENA_MAX="2")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "generator.api.read_child", str(limits.cpu_seconds), str(limits.memory_mb),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
            env=env, cwd=PACKAGE_PARENT)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(json.dumps(request).encode()), limits.timeout)
        except TimeoutError:
            raise Refused(f"reading the sheet took longer than {limits.timeout:g} s (DAIHUO_PARSE_TIMEOUT)",
                          "split it into smaller sheets, or link fewer or smaller images", limit=True) from None
        finally:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
    return _answer(proc.returncode, out, limits)


def _answer(code: int | None, out: bytes, limits: ReadLimits) -> dict[str, Any]:
    try:
        answer = json.loads(out) if code == 0 and out else None
    except ValueError:
        answer = None
    if answer and answer.get("ok"):
        return answer
    if answer and answer.get("problem"):
        raise Refused(answer["problem"], answer["fix"])
    if (answer and answer.get("limit") == "memory") or code in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGKILL):
        raise Refused(f"reading the sheet needed more than {limits.memory_mb} MB of memory (DAIHUO_PARSE_MEMORY_MB)",
                      "split it into smaller sheets; a sheet of products needs far less, so check that it holds "
                      "nothing else (hidden rows, huge cells)", limit=True)
    if code == -signal.SIGXCPU:
        raise Refused(f"reading the sheet took more than {limits.cpu_seconds} s of CPU time (DAIHUO_PARSE_CPU_SECONDS)",
                      "split it into smaller sheets, or save it again from Excel/WPS as a plain table "
                      "(this file holds far more than its products)", limit=True)
    raise Refused(f"the sheet could not be read (the reader stopped with code {code})",
                  "save it again from Excel/WPS as .xlsx or .csv, then upload it again")
