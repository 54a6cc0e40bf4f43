"""Settings from defaults < `.env` < environment < command-line flags, validated at start.

Imports no third-party code but python-dotenv, so worker processes and subinterpreters can
load it cheaply.

An invalid value raises ConfigError with one line naming the setting and its valid range;
the CLI prints it and exits with status 2.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from indexer.runtime import get_optimal_worker_count

log = logging.getLogger(__name__)

MODES = ("auto", "sequential", "thread", "process", "interpreter", "dask")
EMBED_MODES = ("none", "hash", "openai")
#: What the neo4j driver connects to over Bolt (its `http` and `https` are a preview of another protocol)
URI_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


class ConfigError(ValueError):
    """A setting has an invalid value; str() is one line for the user."""


def default_workers() -> int:
    return get_optimal_worker_count()


@dataclass(frozen=True)
class EmbedSettings:
    """How functions and classes are embedded (`indexer.embed` does it)."""

    mode: str = "none"  # none | hash | openai
    dims: int = 256
    model: str = "text-embedding-3-small"
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    max_tokens: int = 8191
    batch_size: int = 64
    max_retries: int = 5
    timeout: float = 60.0

    def fingerprint(self) -> str:
        """What changes the stored vectors (secrets excluded)."""
        if self.mode == "none":
            return "none"
        if self.mode == "hash":
            return f"hash:{self.dims}:{self.max_tokens}"
        return f"openai:{self.model}:{self.dims}:{self.max_tokens}:{self.base_url or ''}"


@dataclass(frozen=True)
class Settings:
    uri: str | None = None
    user: str = "neo4j"
    password: str | None = field(default=None, repr=False)
    database: str | None = None
    max_workers: int = field(default_factory=default_workers)
    pool_size: int | None = None  # default: max_workers * 2
    parallel_enabled: bool = True
    min_files_for_parallel: int = 50
    mode: str = "auto"
    scheduler: str | None = None  # a Dask scheduler's address, for --mode dask (default: a LocalCluster here)
    max_file_bytes: int = 5_000_000
    batch_files: int = 32
    batch_bytes: int = 400_000
    edge_batch: int = 5_000
    acquisition_timeout: float = 30.0
    connection_timeout: float = 15.0
    transaction_retry_time: float = 15.0
    write_attempts: int = 6
    retry_delay: float = 0.5
    embed: EmbedSettings = field(default_factory=EmbedSettings)

    def secrets(self) -> tuple[str, ...]:
        """What logs must never show: the database password and the embedding provider's key."""
        return (self.password or "", self.embed.api_key or "")

    @property
    def effective_pool_size(self) -> int:
        return self.pool_size if self.pool_size is not None else self.max_workers * 2


# setting name -> (Settings attribute, parser); embedding settings use an "embed." prefix
_ENV: dict[str, tuple[str, str]] = {
    "NEO4J_URI": ("uri", "str"),
    "NEO4J_USER": ("user", "str"),
    "NEO4J_USERNAME": ("user", "str"),
    "NEO4J_PASSWORD": ("password", "str"),
    "NEO4J_DATABASE": ("database", "str"),
    "MAX_WORKERS": ("max_workers", "int"),
    "NEO4J_MAX_CONNECTION_POOL_SIZE": ("pool_size", "int"),
    "PARALLEL_INDEXING_ENABLED": ("parallel_enabled", "bool"),
    "MIN_FILES_FOR_PARALLEL": ("min_files_for_parallel", "int"),
    "INDEXING_MODE": ("mode", "str"),
    "DASK_SCHEDULER_ADDRESS": ("scheduler", "str"),
    "MAX_FILE_BYTES": ("max_file_bytes", "int"),
    "NEO4J_CONNECTION_ACQUISITION_TIMEOUT": ("acquisition_timeout", "float"),
    "NEO4J_MAX_TRANSACTION_RETRY_TIME": ("transaction_retry_time", "float"),
    "WRITE_ATTEMPTS": ("write_attempts", "int"),
    "EMBED_MODE": ("embed.mode", "str"),
    "EMBED_MODEL": ("embed.model", "str"),
    "EMBED_DIMS": ("embed.dims", "int"),
    "EMBED_MAX_TOKENS": ("embed.max_tokens", "int"),
    "EMBED_BATCH_SIZE": ("embed.batch_size", "int"),
    "OPENAI_BASE_URL": ("embed.base_url", "str"),
    "OPENAI_API_KEY": ("embed.api_key", "str"),
}

_RANGES: dict[str, tuple[float, float, str]] = {
    "max_workers": (1, 128, "MAX_WORKERS"),
    "pool_size": (1, 1024, "NEO4J_MAX_CONNECTION_POOL_SIZE"),
    "min_files_for_parallel": (0, 10**9, "MIN_FILES_FOR_PARALLEL"),
    "max_file_bytes": (1, 10**10, "MAX_FILE_BYTES"),
    "acquisition_timeout": (0.1, 3600, "NEO4J_CONNECTION_ACQUISITION_TIMEOUT"),
    "transaction_retry_time": (0, 3600, "NEO4J_MAX_TRANSACTION_RETRY_TIME"),
    "write_attempts": (1, 100, "WRITE_ATTEMPTS"),
    "embed.dims": (8, 65536, "EMBED_DIMS"),
    "embed.max_tokens": (16, 1_000_000, "EMBED_MAX_TOKENS"),
    "embed.batch_size": (1, 2048, "EMBED_BATCH_SIZE"),
}


def _parse(name: str, kind: str, raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    raw = raw.strip()
    if kind == "str":
        return raw or None
    if kind == "bool":
        low = raw.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name}={raw!r} is not a boolean; use true or false")
    try:
        return int(raw) if kind == "int" else float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number; {_describe(name)}") from None


def _describe(env_name: str) -> str:
    for lo, hi, name in _RANGES.values():
        if name == env_name:
            return f"valid range is {lo:g}..{hi:g}"
    return "see .env.example"


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    dotenv_path: str | os.PathLike[str] | None = ".env",
) -> Settings:
    """Build Settings. `overrides` uses the environment names (e.g. {"MAX_WORKERS": 4})."""
    values: dict[str, Any] = {}
    dotenv: dict[str, str] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        # (a project's .env holds other tools' settings too: only ours are taken from it)
        dotenv = {k: v for k, v in dotenv_values(dotenv_path).items() if v is not None}
        values.update({k: v for k, v in dotenv.items() if k in _ENV})
        for unknown in sorted(set(dotenv) - set(_ENV) - {"EMBED_API_KEY"}):  # a typo of ours is said
            near = difflib.get_close_matches(unknown, [*_ENV, "EMBED_API_KEY"], n=1, cutoff=0.85)
            if near:
                log.warning("%s sets %s, which is no codegraph setting (left alone): did you mean %s?",
                            dotenv_path, unknown, near[0])
    env = os.environ if environ is None else environ
    values.update({k: v for k, v in env.items() if k in _ENV})
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    top: dict[str, Any] = {}
    emb: dict[str, Any] = {}
    for name, raw in values.items():
        if name not in _ENV:
            raise ConfigError(f"unknown setting {name}")
        attr, kind = _ENV[name]
        value = _parse(name, kind, raw)
        if attr.startswith("embed."):
            emb[attr[6:]] = value
        else:
            top[attr] = value
    if "api_key" not in emb:
        key = env.get("EMBED_API_KEY") or dotenv.get("EMBED_API_KEY")
        if key:
            emb["api_key"] = key
    settings = replace(Settings(), **{k: v for k, v in top.items()
                                      if v is not None or k in ("uri", "pool_size", "scheduler")})
    if emb:
        settings = replace(settings, embed=replace(settings.embed, **{k: v for k, v in emb.items() if v is not None}))
    validate(settings)
    return settings


def validate(settings: Settings) -> None:
    for attr, (lo, hi, name) in _RANGES.items():
        obj: Any = settings.embed if attr.startswith("embed.") else settings
        value = getattr(obj, attr.split(".")[-1])
        if value is None:
            continue
        if not lo <= value <= hi:
            raise ConfigError(f"{name}={value} is out of range; valid range is {lo:g}..{hi:g}")
    if settings.mode not in MODES:
        raise ConfigError(f"INDEXING_MODE={settings.mode!r} is not one of {', '.join(MODES)}")
    if settings.embed.mode not in EMBED_MODES:
        raise ConfigError(f"EMBED_MODE={settings.embed.mode!r} is not one of {', '.join(EMBED_MODES)}")
    if settings.effective_pool_size < 1:
        raise ConfigError("NEO4J_MAX_CONNECTION_POOL_SIZE must be at least 1")
    if settings.uri:
        _check_uri(settings.uri)
    if settings.embed.mode == "openai" and not settings.embed.api_key:
        raise ConfigError("EMBED_MODE=openai needs OPENAI_API_KEY (or EMBED_API_KEY) to be set; "
                          "or use EMBED_MODE=hash or none")


def _check_uri(uri: str) -> None:
    """A Bolt URI the driver takes, checked before it is given one: the driver's own errors quote
    the URI whole, credentials included."""
    scheme, sep, rest = uri.partition("://")
    if "@" in uri:  # (a password may hold '/', '?', '#' or '@': all up to the last '@' is hidden)
        shown = f"{scheme}{sep}***@{rest.rpartition('@')[2]}" if sep else f"***@{uri.rpartition('@')[2]}"
        raise ConfigError(f"NEO4J_URI={shown} carries credentials, which the driver does not take from the URI; "
                          "set NEO4J_USER and NEO4J_PASSWORD instead")
    if not sep or scheme.lower() not in URI_SCHEMES:
        raise ConfigError(f"NEO4J_URI={uri!r} is not a Bolt URI; use one of {', '.join(URI_SCHEMES)}, "
                          "e.g. bolt://localhost:7687")


def pool_warning(settings: Settings, workers: int) -> str | None:
    """A warning when the pool is smaller than the workers that will share it."""
    if settings.effective_pool_size < workers:
        return (
            f"NEO4J_MAX_CONNECTION_POOL_SIZE={settings.effective_pool_size} is smaller than the "
            f"{workers} workers: they will wait for connections (set it to at least {workers}, "
            f"default is workers x 2)"
        )
    return None


def setting_names() -> list[str]:
    return sorted(_ENV)


