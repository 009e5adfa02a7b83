"""Configuration from the environment and `.env`, typed and validated (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "MLQ_"


class SettingsError(ValueError):
    """A configuration value is wrong; the message names the environment variable."""


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Every setting, with the environment variable that sets it (see `.env.example`)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", populate_by_name=True
    )

    database_url: SecretStr | None = Field(
        default=None, validation_alias=_env("DATABASE_URL", "MLQ_DATABASE_URL")
    )
    sqlite_path: Path = Path("mlquestion.db")
    content_dir: Path = Path("content/questions")
    default_timezone: str = "UTC"
    post_grace_minutes: int = Field(default=120, ge=0, le=24 * 60)
    reconcile_seconds: int = Field(default=60, ge=5, le=3600)
    demo_reveal_seconds: int = Field(default=20, ge=1, le=600)
    log_level: str = "INFO"
    log_json: bool = False
    admin_user_ids: Annotated[tuple[str, ...], NoDecode] = ()

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_app_token: SecretStr | None = Field(default=None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias=_env("SLACK_SIGNING_SECRET")
    )
    discord_token: SecretStr | None = Field(default=None, validation_alias=_env("DISCORD_TOKEN"))
    discord_application_id: str | None = Field(default=None, validation_alias=_env("DISCORD_APPLICATION_ID"))

    # Slack: Socket Mode when an app token is set (unless slack_mode says otherwise), else HTTP mode.
    slack_mode: Literal["auto", "socket", "http"] = "auto"
    slack_api_url: str = Field(
        default="https://slack.com/api/", validation_alias=_env("SLACK_API_URL", "MLQ_SLACK_API_URL")
    )
    slack_host: str = "0.0.0.0"  # noqa: S104 — HTTP mode serves Slack's requests on every interface
    slack_port: int = Field(default=3000, ge=0, le=65535)
    slack_path: str = "/slack/events"
    # Discord: the REST base is configurable for tests and proxies; the gateway URL comes from it.
    discord_api_url: str = "https://discord.com/api/v10"
    discord_dev_guild_id: int | None = None
    # Only for proxies and tests: discord.py takes the gateway address from the REST API otherwise.
    discord_gateway_url: str | None = None
    # Sharding across replicas: every replica sets the same count and its own ids (e.g. "0,1").
    discord_shard_count: int | None = Field(default=None, ge=1)
    discord_shard_ids: Annotated[tuple[int, ...], NoDecode] = ()
    # The operations endpoint (/healthz, /metrics); off unless a port is set.
    health_host: str = "127.0.0.1"
    health_port: int | None = Field(default=None, ge=0, le=65535)
    # How many daily sends run at once in a fan-out (the platforms' rate limits apply per channel).
    send_concurrency: int = Field(default=10, ge=1, le=200)
    # How long a claim on a post or reveal is held before another process may take it over.
    claim_lease_seconds: int = Field(default=300, ge=1, le=3600)
    # How long after "Post to channel" a shared question's answer is revealed in its thread.
    share_reveal_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    # Answer feedback with a language model: any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp
    # server, a hosted API). Unset: the offline engine only, and nothing is sent anywhere.
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = Field(default=20.0, gt=0, le=300)

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. Europe/Berlin)") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError(f"{value!r} is not one of DEBUG, INFO, WARNING, ERROR")
        return level

    @field_validator("discord_shard_ids", mode="before")
    @classmethod
    def _shards(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(int(part) for part in value.split(",") if part.strip())
        return value

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None

    @property
    def discord_enabled(self) -> bool:
        return self.discord_token is not None

    @property
    def store_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite+aiosqlite:///{self.sqlite_path}"

    def secrets(self) -> list[str]:
        """Return every configured secret value (so tests can check none leaks into logs)."""
        values = [
            self.slack_bot_token,
            self.slack_app_token,
            self.slack_signing_secret,
            self.discord_token,
        ]
        return [v.get_secret_value() for v in values if v is not None]


def load_settings(**overrides: object) -> Settings:
    """Build Settings; a bad value raises SettingsError naming its variable, never its value."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            lines.append(f"{_variable(field)}: {error['msg']}")
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(lines)) from None


def _variable(field: str) -> str:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return ENV_PREFIX + field.upper()
