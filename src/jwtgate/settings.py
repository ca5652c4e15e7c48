"""Server settings: one pydantic-settings model (SPEC §5).

Precedence, highest first: CLI flags (passed as keyword arguments), ``JWTGATE_*``
environment variables (nested tables as ``JWTGATE_OAUTH__LEEWAY_SECONDS``),
``jwtgate.toml`` in the working directory or ``--config``, then defaults. A bad value
stops start-up with :class:`SettingsError`, which names the setting and the reason.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = [
    "AuditSettings",
    "OAuthSettings",
    "RateLimit",
    "RateLimitSettings",
    "Settings",
    "SettingsError",
    "load_settings",
]

SIGNING_ALGORITHMS = ("ES256", "RS256", "EdDSA", "Ed25519")


class SettingsError(Exception):
    """A setting has a bad value; the message names each setting and why."""


class OAuthSettings(BaseModel):
    """The ``[oauth]`` table (SPEC §2.3)."""

    model_config = ConfigDict(extra="forbid")

    assertion_audiences: list[str] = Field(default_factory=list)
    max_assertion_lifetime: int = Field(default=300, ge=1, le=86400)
    max_client_assertion_lifetime: int = Field(default=3600, ge=1, le=86400)
    leeway_seconds: int = Field(default=15, ge=0, le=300)
    access_token_ttl: int = Field(default=3600, ge=1, le=86400)
    grant_type_aliases: list[str] = Field(default_factory=list)


class RateLimit(BaseModel):
    """A token bucket: ``burst`` requests at once, then ``requests_per_second``."""

    model_config = ConfigDict(extra="forbid")

    requests_per_second: float = Field(gt=0)
    burst: int = Field(ge=1)


class RateLimitSettings(BaseModel):
    """The ``[rate_limit]`` table (SPEC §3): off unless set."""

    model_config = ConfigDict(extra="forbid")

    per_client: RateLimit | None = None
    per_authenticator: RateLimit | None = None


class AuditSettings(BaseModel):
    """The ``[audit]`` table (SPEC §2.6)."""

    model_config = ConfigDict(extra="forbid")

    claims_retention_days: int = Field(default=7, ge=0, le=365)
    queue_size: int = Field(default=10000, ge=100, le=1_000_000)
    flush_interval_seconds: float = Field(default=0.2, gt=0, le=60)


class Settings(BaseSettings):
    """Everything a jwtgate process needs to know before it serves."""

    model_config = SettingsConfigDict(
        env_prefix="JWTGATE_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )
    toml_file: ClassVar[Path | None] = None

    data_dir: Path = Path("var")
    database_url: str | None = None
    cache_url: str = "memory://"
    cache_prefix: str = Field(default="jwtgate:", pattern=r"^[A-Za-z0-9._:-]{1,64}$")
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_url: str | None = None
    workers: int = Field(default=1, ge=1, le=64)
    master_key: SecretStr | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    policy: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    signing_algorithm: str = "ES256"
    reload_interval_seconds: float = Field(default=0.5, gt=0, le=10)
    oauth: OAuthSettings = Field(default_factory=OAuthSettings)
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_log_level(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("signing_algorithm")
    @classmethod
    def _known_algorithm(cls, value: str) -> str:
        if value not in SIGNING_ALGORITHMS:
            raise ValueError(f"must be one of {', '.join(SIGNING_ALGORITHMS)}")
        return "EdDSA" if value == "Ed25519" else value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith(("postgresql://", "postgres://")):
            return re.sub(r"^postgres(ql)?://", "postgresql+asyncpg://", value)
        if value.startswith("sqlite:///"):
            return value.replace("sqlite:///", "sqlite+aiosqlite:///", 1)
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite:///")):
            raise ValueError("must be postgresql+asyncpg://… or sqlite+aiosqlite:///…")
        return value

    @field_validator("cache_url")
    @classmethod
    def _cache_scheme(cls, value: str) -> str:
        if not value.startswith(("memory://", "redis://", "rediss://")):
            raise ValueError("must be memory:// or redis://…")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", value):
            raise ValueError("must be an http(s) URL without query or fragment")
        return value.rstrip("/")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls.toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls.toml_file))
        return tuple(sources)

    @property
    def effective_database_url(self) -> str:
        """The store URL: ``database_url`` or SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'jwtgate.db').resolve()}"

    @property
    def effective_public_url(self) -> str:
        """jwtgate's identity (SPEC §2): ``public_url`` or ``http(s)://host:port``."""
        if self.public_url:
            return self.public_url
        scheme = "https" if self.tls_cert else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    @property
    def master_key_file(self) -> Path:
        return self.data_dir / "master.key"


def load_settings(config_file: Path | None = None, **flags: Any) -> Settings:
    """Build settings from flags, environment and TOML; raise SettingsError when bad.

    ``config_file`` defaults to ``jwtgate.toml`` in the working directory when it
    exists; an explicitly named file that does not exist is an error.
    """
    if config_file is not None and not config_file.is_file():
        raise SettingsError(f"config: {config_file} does not exist")
    default_file = Path("jwtgate.toml")
    toml_file = config_file or (default_file if default_file.is_file() else None)
    given = {name: value for name, value in flags.items() if value is not None}
    settings_type = type("BoundSettings", (Settings,), {"toml_file": toml_file})
    try:
        settings: Settings = settings_type(**given)
    except ValidationError as error:
        raise SettingsError(_describe(error, toml_file)) from None
    except ValueError as error:  # a TOML file that does not parse
        raise SettingsError(f"config: {toml_file}: {error}") from None
    return settings


def _describe(error: ValidationError, toml_file: Path | None) -> str:
    lines = []
    for problem in error.errors():
        name = ".".join(str(part) for part in problem["loc"]) or "settings"
        env_name = "JWTGATE_" + "__".join(str(part) for part in problem["loc"]).upper()
        where = f" (flag, {env_name}" + (f" or {toml_file})" if toml_file else ")")
        lines.append(f"setting {name}{where}: {problem['msg']}")
    return "\n".join(lines)
