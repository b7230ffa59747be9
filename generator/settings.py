"""Settings from the environment (DAIHUO_*, OPENAI_*), with defaults that work offline."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = PACKAGE_ROOT / "assets"
PROMPTS_DIR = PACKAGE_ROOT / "prompts"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DAIHUO_", extra="ignore")

    out: Path = Field(default=Path("out"), description="root folder of all outputs (DAIHUO_OUT)")
    writer: str = "template"
    voice: str = Field(default="auto", description="auto, hibari, espeak, openai or edge (docs/voice.md)")
    host: str = "none"
    # Digital host engine `http`: a GPU talking-head server (contract in docs/host_and_loop.md).
    host_url: str | None = None
    host_avatar: str = "default"
    host_timeout: float = 300.0
    redis_url: str | None = None
    api_keys: str = ""
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
    # Rendering.
    renderer: str = Field(default="direct", description="direct (yuv420p straight into ffmpeg) or moviepy")
    encoder: str = Field(default="auto", description="auto (h264_nvenc when present, else libx264), libx264, h264_nvenc")
    x264_preset: str = "veryfast"
    crf: int = 23
    threads: int = 0
    # Limits on what a sheet may ask of us.
    max_rows: int = 1000
    max_field_chars: int = 2000
    max_image_pixels: int = 40_000_000
    max_image_bytes: int = 20_000_000
    fetch_timeout: float = 10.0
    # The AIGC implicit label (GB 45438-2025): who produced the content.
    content_producer: str = "daihuo"
    content_propagator: str = ""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
