"""Settings of the HTTP service and the `cited` command: CITED_* environment variables, with command-line options
on top, checked at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from index.embed import BACKENDS, DEFAULT_BACKEND, KNOWN_MODELS, MODEL_NAME


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITED_", extra="ignore")

    index_dir: Path = Path("var/index")
    # The model `cited build` embeds with and queries are encoded with; an index built with another one is refused.
    model: str = MODEL_NAME
    # How the model runs (index/embed.py): torch, onnx (the same vectors, faster) or onnx-int8 (their int8
    # approximation, faster still). An index built by a backend whose vectors differ is refused.
    backend: str = DEFAULT_BACKEND
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)  # 0: any free port
    # Origins allowed to call the API from a browser (comma-separated); empty: no CORS headers at all.
    cors_origins: Annotated[list[str], NoDecode] = []
    # Unset: the admin endpoints answer 404 as if they did not exist.
    admin_key: SecretStr | None = None
    # TOML file of access keys (service/keys.py); unset: reading is open and writing answers to CITED_ADMIN_KEY.
    keys_file: Path | None = None
    # With a keys file: requests a key may make a minute (a token bucket, so a burst of this many is allowed).
    rate_per_min: int = Field(default=600, ge=1, le=1_000_000)
    # With a keys file: unknown keys one client address may send a minute before its key attempts get 429.
    bad_keys_per_min: int = Field(default=10, ge=1, le=10_000)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # The one exception to max_body_bytes: a document uploaded to POST /api/documents.
    max_upload_mb: int = Field(default=50, ge=1, le=1024)
    # How often (seconds) the server checks whether another process published a new build of its index; 0: never.
    follow_s: float = Field(default=0.25, ge=0, le=60)
    # Query encoding: concurrent encodes gathered for at most this long into one batch (0: no batching).
    batch_wait_ms: float = Field(default=2.0, ge=0, le=100)
    batch_max: int = Field(default=32, ge=1, le=256)
    # Query vectors kept by exact text (LRU); 0: no cache.
    cache_size: int = Field(default=1024, ge=0)
    # Search-time knobs of the approximate indexes; unset: EngineConfig's defaults.
    ef_search: int | None = Field(default=None, ge=1, le=4096)
    nprobe: int | None = Field(default=None, ge=1, le=65536)
    # Worker threads for the (synchronous) routes; each request waiting for its batch holds one.
    threadpool: int = Field(default=64, ge=1, le=1024)
    # Seconds between checks whether freed heap memory should go back to the OS (service/memory.py); 0: never.
    trim_heap_s: float = Field(default=1.0, ge=0, le=3600)
    # The model's threads (either backend; the names are from when there was only torch) for encoding one
    # query. 0: chosen per query (service/runtime.py lone_threads): the cores no other thread of the machine
    # wants at that instant, at least one. Torch on a busy 2-core machine: two threads made one encode ~380 ms at p50, one ~24 ms.
    torch_threads: int = Field(default=0, ge=0, le=256)
    # The model's threads for encoding a batch of queries (0: one per core). A batch has work for every core: on
    # 2 cores, 32 in-process clients got 72 searches/s this way, 47 with one thread for everything.
    batch_torch_threads: int = Field(default=0, ge=0, le=256)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("model", mode="after")
    @classmethod
    def _known_model(cls, value: str) -> str:
        if value not in KNOWN_MODELS:
            raise ValueError(f"unknown embedding model '{value}'; choose {' or '.join(KNOWN_MODELS)}")
        return value

    @field_validator("backend", mode="after")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value not in BACKENDS:
            raise ValueError(f"unknown backend '{value}'; choose one of: {', '.join(BACKENDS)}")
        return value

    @field_validator("keys_file", mode="before")
    @classmethod
    def _blank_path_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("admin_key", mode="after")
    @classmethod
    def _blank_key_is_no_key(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value().strip() else None


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment with `overrides` on top; an invalid value raises ValueError with one sentence."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = ".".join(str(p) for p in error["loc"])
        raise ValueError(f"the setting {name} (CITED_{name.upper()}) is not valid: {error['msg']}") from None
