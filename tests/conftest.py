"""Shared fixtures: the example sheet, and one proxy-size render reused by many checks."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from generator.models import Brief, JobResult
from generator.pipeline import run_job

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SHEET = ROOT / "examples" / "products.csv"


def pytest_configure(config: pytest.Config) -> None:
    # The suite is offline by design: `--voice auto` must not pick an online voice because some CI machine
    # happens to reach one. Child processes (the CLI, workers, servers) inherit this.
    os.environ.setdefault("DAIHUO_VOICE_AUTO_ORDER", "offline")
    missing = [tool for tool in ("ffmpeg", "ffprobe", "espeak-ng") if shutil.which(tool) is None]
    if missing:
        raise pytest.UsageError(f"missing system tools {missing}: run `make test` (it installs them)")


@pytest.fixture(scope="session")
def example_sheet() -> Path:
    return EXAMPLE_SHEET


@pytest.fixture(scope="session")
def proxy_job(tmp_path_factory: pytest.TempPathFactory) -> JobResult:
    """The example sheet rendered once at quarter size, 15 s, two platforms (douyin 9:16, wechat 16:9)."""
    out = tmp_path_factory.mktemp("proxy_out")
    brief = Brief(platforms=["douyin", "wechat_channels"], duration=15, scale=0.25)
    return run_job(EXAMPLE_SHEET, brief, out, job="proxy")
