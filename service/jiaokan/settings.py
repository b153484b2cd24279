"""The service's settings, read from the environment (prefix ``JIAOKAN_``) and checked.

`Settings` is built where it is needed (`jiaokan serve`, `create_app`, tests), never at
import time. Values that would make the service unsafe or unusable are refused with a
`ConfigError`, so a typo in a deployment fails at start-up and not at the first request.
"""
from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from jiaokan.errors import ConfigError

#: database URL schemes the store is tested with
SUPPORTED_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")
#: passwords that appear in examples; refused for a database that is not on this machine
PLACEHOLDER_PASSWORDS = {"", "changethis", "postgres", "password", "secret"}
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", ""}
#: Host header names the service answers by default (DNS rebinding: a name that resolves to this
#: machine but is not one of these is refused)
DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1", "::1")
#: shortest access token accepted: a guessable token is no protection
MIN_TOKEN_LENGTH = 16
#: a list from the environment: comma-separated (``JIAOKAN_ALLOWED_HOSTS=a.example,b.example``)
CommaSeparated = Annotated[tuple[str, ...], NoDecode]


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="JIAOKAN_", extra="ignore", frozen=True)

    #: SQLAlchemy URL of the store; a relative SQLite path is under the working directory
    database_url: str = "sqlite:///jiaokan.db"
    #: request bodies above this many bytes get 413
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024)
    #: collection a document joins when it names none
    default_collection: str = Field(default="default", min_length=1, max_length=200)
    #: engine options for stored documents (same shape as the ``options`` of POST /v1/correct)
    engine_options: dict[str, Any] = Field(default_factory=dict)
    #: largest page of GET /v1/documents and of proposals
    max_page_size: int = Field(default=1000, ge=10, le=100_000)
    #: witnesses accepted by POST /v1/correct
    max_witnesses: int = Field(default=50, ge=0, le=1000)
    #: run alembic ``upgrade head`` when the app starts
    migrate_on_start: bool = True
    #: the reviewer's name a decision carries when the request names none (body or header)
    reviewer: str | None = Field(default=None, max_length=200)
    #: load the engine's resources before answering (the first correction otherwise takes seconds)
    warm_up: bool = True
    #: characters (text plus witnesses) POST /v1/correct corrects while the client waits; beyond
    #: it a 413 points to POST /v1/documents or `jiaokan clean`
    max_correct_characters: int = Field(default=20_000, ge=100, le=10_000_000)
    #: seconds a correction may take, waiting included; then a 503 and its process is stopped
    correct_time_budget: float = Field(default=30.0, gt=0, le=3600)
    #: processes that run corrections too large for the event loop (each forked from the worker)
    engine_processes: int = Field(default=1, ge=1, le=64)
    #: seconds a client has to send the body it announced; then a 408
    body_timeout: float = Field(default=10.0, gt=0, le=3600)
    #: seconds `jiaokan serve` waits for requests in flight when asked to stop
    shutdown_timeout: float = Field(default=10.0, ge=0, le=3600)
    #: bearer tokens; when any is set, every request that is not GET, HEAD or OPTIONS needs one
    access_tokens: CommaSeparated = ()
    #: Host header names answered (a port is ignored); ``*`` answers any
    allowed_hosts: CommaSeparated = DEFAULT_ALLOWED_HOSTS

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in SUPPORTED_SCHEMES:
            raise ValueError(f"database_url must start with one of {', '.join(s + '://' for s in SUPPORTED_SCHEMES)}")
        if scheme.startswith("postgresql"):
            parts = urlsplit(value)
            if (parts.hostname or "") not in LOOPBACK_HOSTS and (parts.password or "") in PLACEHOLDER_PASSWORDS:
                raise ValueError("refusing a remote PostgreSQL database without a real password")
        return value

    @field_validator("access_tokens", "allowed_hosts", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("access_tokens")
    @classmethod
    def _check_tokens(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for token in value:
            if len(token) < MIN_TOKEN_LENGTH or not token.isascii() or not token.isprintable() or " " in token:
                raise ValueError(f"an access token needs at least {MIN_TOKEN_LENGTH} printable ASCII characters, no spaces")
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _normalise_hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(host.lower().strip("[]") for host in value)

    @model_validator(mode="after")
    def _check_engine_options(self) -> "Settings":
        from jiaokan.config import EngineConfig

        try:
            EngineConfig.from_options(self.engine_options)
        except (ConfigError, TypeError, ValueError) as error:
            raise ValueError(f"engine_options: {error}") from error
        return self

    def engine_config(self, extra_terms: tuple[str, ...] = ()):
        """The engine config for stored documents, with the lexicon's current terms."""
        from jiaokan.config import EngineConfig

        return EngineConfig.from_options(dict(self.engine_options) | {"extra_terms": list(extra_terms)})


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment plus ``overrides``; bad values raise `ConfigError`."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, item['loc'])) or 'settings'}: {item['msg']}" for item in error.errors())
        raise ConfigError(f"bad service setting: {problems}") from error
    except ValueError as error:  # pydantic-settings' SettingsError: e.g. JIAOKAN_ENGINE_OPTIONS is not JSON
        raise ConfigError(f"bad service setting: {error}") from error
