"""Settings from the environment (DAIHUO_*, OPENAI_*), with defaults that work offline.

This is the only module that reads the environment. Entry points (CLI, API, worker) call `get_settings()`
once; the bootstrap turns the Settings into engines, and stages receive what they need as arguments.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, BaseModel, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from generator.errors import DaihuoError

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = PACKAGE_ROOT / "assets"
PROMPTS_DIR = PACKAGE_ROOT / "prompts"


class SheetLimits(BaseModel):
    """What a sheet may ask of us: rows, cell sizes, unpacked workbook size, image sizes and fetch time
    (docs/security.md, "Sheets and images")."""

    max_rows: int = 1000
    max_field_chars: int = 2000
    max_image_pixels: int = 40_000_000
    max_image_bytes: int = 20_000_000
    fetch_timeout: float = 10.0
    max_unpacked_bytes: int = 50_000_000
    fetch_budget: float = 120.0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DAIHUO_", extra="ignore", populate_by_name=True)

    out: Path = Field(default=Path("out"), description="root folder of all outputs (DAIHUO_OUT)")
    writer: str = "template"
    voice: str = Field(default="auto", description="auto, hibari, espeak, openai or edge (docs/voice.md)")
    host: str = "none"
    # Digital host engine `http`: a GPU talking-head server (contract in docs/host_and_loop.md).
    host_url: str | None = None
    host_avatar: str = "default"
    host_timeout: float = 300.0
    # LLM engine (OpenAI-compatible endpoint).
    llm_model: str = "gpt-4o-mini"
    llm_timeout: float = 60.0
    llm_max_retries: int = 4
    llm_max_requests: int = 200
    openai_api_key: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_BASE_URL"))
    tts_model: str = "tts-1"
    tts_voice: str = "alloy"
    # LLM writer and network voices (docs/llm.md).
    llm_temperature: float = 0.8
    llm_response_format: str = Field(default="auto", description="auto, json_schema, json_object or text")
    llm_cache: bool = True
    cache_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "daihuo",
                            description="LLM script cache (DAIHUO_CACHE_DIR)")
    tts_base_url: str | None = Field(default=None, description="/v1/audio/speech server; default OPENAI_BASE_URL")
    tts_api_key: str | None = Field(default=None, description="default OPENAI_API_KEY")
    tts_timeout: float = 30.0
    edge_voice: str = Field(default="", description="edge-tts voice name; default one per language")
    edge_proxy: str | None = None
    # Voice choice (docs/voice.md).
    voice_auto_order: str = Field(default="openai,edge,offline", description="what --voice auto tries, in order")
    voice_probe_timeout: float = Field(default=1.5, description="seconds --voice auto waits on a voice service")
    hibari_voice: str = Field(default="heart", description="hibari voice; only heart ships inside the package")
    espeak_library: str = Field(default="", description="path to libespeak-ng (default: the system's, as found by "
                                                        "the loader); for a private build of espeak-ng")
    # Rendering.
    renderer: str = Field(default="direct", description="direct (yuv420p straight into ffmpeg) or moviepy")
    encoder: str = Field(default="auto", description="auto (h264_nvenc when present, else libx264), libx264, h264_nvenc")
    x264_preset: str = "veryfast"
    crf: int = 23
    threads: int = 0
    render_chunks: int = Field(default=1, ge=1, description="encode a clip without a presenter (at least 4 keyframe "
                               "intervals per chunk) in this many chunks at once, joined without re-encoding; on 2 "
                               "cores it measured no faster than one encode (docs/bench.md)")
    render_workers: int = Field(default=0, ge=0, description="clips `daihuo make` renders at once (0: two on a machine "
                                "with two or more cores, else one)")
    # Limits on what a sheet may ask of us.
    max_rows: int = 1000
    max_field_chars: int = 2000
    max_image_pixels: int = 40_000_000
    max_image_bytes: int = 20_000_000
    fetch_timeout: float = 10.0
    max_unpacked_bytes: int = Field(default=50_000_000, ge=1, description="XML an .xlsx may unpack to, bytes")
    fetch_budget: float = Field(default=120.0, gt=0, description="seconds for all image downloads of one sheet")
    # The AIGC implicit label (GB 45438-2025): who produced the content.
    content_producer: str = "daihuo"
    content_propagator: str = ""
    # Workers and job state (docs/service.md).
    redis_url: str | None = Field(default=None, description="broker and result backend; unset: run in-process")
    visibility_timeout: int = Field(default=7200, ge=1, description="seconds before a dead worker's task is re-sent")
    render_time_limit: int = Field(default=3600, ge=10, description="hard limit of one render task, seconds")
    io_time_limit: int = Field(default=900, ge=10, description="hard limit of one script/compliance/voice task")
    lease_seconds: float = Field(default=45.0, gt=0, description="a step's claim lasts this long without heartbeat; "
                                 "a dead worker's step is re-sent about this long after its death")
    max_attempts: int = Field(default=3, ge=1, description="tries of one step before it is recorded as failed")
    stall_seconds: float = Field(default=60.0, ge=0, description="quiet time before lost messages are re-sent")
    state_journal: str = Field(default="wal", description="SQLite journal mode of the job state (delete on NFS)")
    # Live room (`loop stream SHEET`): the comment endpoint asks for this token when not on loopback.
    live_token: str = Field(default="", description="DAIHUO_LIVE_TOKEN: Bearer token of POST /comments and /stats")
    # HTTP API.
    api_keys: str = ""
    max_upload_bytes: int = Field(default=20_000_000, ge=1)
    api_max_rows: int = Field(default=500, ge=1, description="products one API upload may hold")
    admin_keys: str = Field(default="", description="API keys that see every tenant's jobs (docs/security.md)")
    # Reading an uploaded sheet happens in a child process with these limits (docs/security.md).
    parse_cpu_seconds: int = Field(default=30, ge=1, description="CPU seconds one uploaded sheet may take to read")
    parse_memory_mb: int = Field(default=1024, ge=128, description="address space of the sheet-reading process")
    parse_timeout: float = Field(default=180.0, gt=0, description="wall-clock limit of reading one upload")
    parse_wait_seconds: float = Field(default=5.0, ge=0, description="how long POST /v1/jobs waits for the sheet "
                                      "before answering 202 and reading on")
    parse_concurrency: int = Field(default=2, ge=1, description="uploads read at the same time")

    def render_concurrency(self) -> int:
        """Clips rendered at once in-process: one x264 encode leaves part of two cores idle (its threads wait on
        each other and on the compositor), two keep both busy (docs/bench.md, "The whole pipeline")."""
        if self.render_workers:
            return self.render_workers
        return 2 if (os.cpu_count() or 1) >= 2 else 1

    def sheet_limits(self, *, max_rows: int | None = None) -> SheetLimits:
        return SheetLimits(max_rows=max_rows or self.max_rows, max_field_chars=self.max_field_chars,
                           max_image_pixels=self.max_image_pixels, max_image_bytes=self.max_image_bytes,
                           fetch_timeout=self.fetch_timeout, max_unpacked_bytes=self.max_unpacked_bytes,
                           fetch_budget=self.fetch_budget)


class SettingsError(DaihuoError):
    pass


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; a bad value is one clear line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "?"
        variable = name.upper() if name.upper().startswith("OPENAI_") else f"DAIHUO_{name.upper()}"
        raise SettingsError(f"{variable}={first.get('input')!r} is not valid: {first['msg']}",
                            f"fix or unset {variable}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once. Only entry points and the bootstrap call this."""
    return load_settings()


def child_environment(**extra: str) -> dict[str, str]:
    """The environment for a helper process (ffmpeg, tesseract, a worker), with EXTRA set."""
    return {**os.environ, **extra}


def prefer_system_ffmpeg() -> None:
    """Point MoviePy (imageio-ffmpeg) at the system ffmpeg unless the user chose another (FFMPEG_BINARY)."""
    os.environ.setdefault("FFMPEG_BINARY", "ffmpeg")
