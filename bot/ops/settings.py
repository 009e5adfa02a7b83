"""Configuration from the environment and `.env`, typed and validated (pydantic-settings)."""

from __future__ import annotations

import difflib
import logging
import os
from pathlib import Path
from typing import Annotated, Literal

from dotenv import dotenv_values
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.schedule.rules import ScheduleError, parse_zone

log = logging.getLogger(__name__)

ENV_PREFIX = "MLQ_"
ENV_FILE = ".env"
# Variables with our prefix that are not settings: the test suite's and CI's own.
NOT_SETTINGS = frozenset({"MLQ_TEST_POSTGRES_URL", "MLQ_CI_VENV"})
# The bot scopes the "Add to Slack" button asks for: those of adapters/slack/manifest.yaml.
SLACK_BOT_SCOPES = (
    "commands",
    "chat:write",
    "users:read",
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
    "im:write",  # /mlquestion export opens a direct message for its files
    "files:write",
)
# The database URL schemes the store has a driver for (the async driver is picked from these).
DATABASE_SCHEMES = ("postgresql", "postgres", "postgresql+asyncpg", "sqlite", "sqlite+aiosqlite")


class SettingsError(ValueError):
    """A configuration value is wrong; the message names the environment variable."""


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Every setting, with the environment variable that sets it (see `.env.example`)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=ENV_FILE, extra="ignore", populate_by_name=True
    )

    database_url: SecretStr | None = Field(
        default=None, validation_alias=_env("DATABASE_URL", "MLQ_DATABASE_URL")
    )
    sqlite_path: Path = Path("mlquestion.db")
    content_dir: Path = Path("content/questions")
    # Where the console writes `/mlquestion export` files (None: the working directory).
    export_dir: Path | None = None
    # Where the parsed question bank is kept between starts; `off` parses the bank at every start.
    bank_cache_dir: Path | None = Field(default_factory=lambda: default_cache_dir())
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
    # Installs to many workspaces ("Add to Slack"): the app's OAuth credentials instead of a bot token.
    slack_client_id: str | None = Field(default=None, validation_alias=_env("SLACK_CLIENT_ID"))
    slack_client_secret: SecretStr | None = Field(default=None, validation_alias=_env("SLACK_CLIENT_SECRET"))
    slack_scopes: Annotated[tuple[str, ...], NoDecode] = Field(
        default=SLACK_BOT_SCOPES, validation_alias=_env("SLACK_SCOPES", "MLQ_SLACK_SCOPES")
    )
    slack_redirect_uri: str | None = Field(default=None, validation_alias=_env("SLACK_REDIRECT_URI"))
    slack_install_path: str = "/slack/install"
    slack_redirect_path: str = "/slack/oauth_redirect"
    # How long an "Add to Slack" click stays valid, and how early a rotating token is refreshed.
    slack_state_seconds: int = Field(default=600, ge=60, le=3600)
    slack_token_rotation_minutes: int = Field(default=120, ge=1, le=11 * 60)
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
    # Daily sends in flight per process; every one may meet a global 429 each second, and 429s
    # count towards Discord's ban at 10,000 in 10 minutes: keep replicas × this ≤ 10.
    discord_sends_in_flight: int = Field(default=10, ge=1, le=16)
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
    # The web dashboard (`/mlquestion dashboard` hands out sign-in links to it); off unless a port is set.
    web_host: str = "127.0.0.1"
    web_port: int | None = Field(default=None, ge=0, le=65535)
    # Where people open it: the links point here (https behind a proxy makes the cookie Secure).
    # Unset: http://127.0.0.1:<port>, which only this machine can open.
    web_base_url: str | None = None
    # Signs the sign-in links. Unset: derived from the platform tokens (the same in every replica).
    web_secret: SecretStr | None = None

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        # The grammar's own check: any letter case (`europe/london` → Europe/London), folders
        # such as America/Argentina refused with the closest valid names.
        try:
            return parse_zone(value).key
        except ScheduleError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr | None) -> SecretStr | None:
        # The messages never repeat the URL: it may carry a password.
        if value is None:
            return None
        try:
            url = make_url(value.get_secret_value())
            port = url.port
        except (ArgumentError, ValueError):
            raise ValueError(
                "not a database URL: use postgresql://user:password@host:5432/dbname "
                "(or sqlite:///path/to/file.db; unset for the MLQ_SQLITE_PATH file)"
            ) from None
        scheme = url.drivername
        if scheme in DATABASE_SCHEMES:
            if port is not None and not 1 <= port <= 65535:
                raise ValueError(f"port {port} is not a TCP port (1 to 65535)")
            if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
                raise ValueError("an SQLite URL needs a file: sqlite:///path/to/file.db")
            return value
        backend, _, driver = scheme.partition("+")
        if backend in DATABASE_SCHEMES:
            raise ValueError(
                f"the driver {driver!r} is not supported: write {backend}://… and the bot picks its own"
            )
        raise ValueError(
            f"the {backend!r} database is not supported: use postgresql://… (PostgreSQL) "
            "or sqlite:///… (SQLite)"
        )

    @field_validator("bank_cache_dir", mode="before")
    @classmethod
    def _cache_dir(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in ("off", ""):
            return None
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

    @field_validator("slack_scopes", mode="before")
    @classmethod
    def _scopes(cls, value: object) -> object:
        if isinstance(value, str):
            # Blank (an .env template line left empty) means the manifest's scopes, not none at all.
            return tuple(part.strip() for part in value.split(",") if part.strip()) or SLACK_BOT_SCOPES
        return value

    @field_validator("slack_client_id", "slack_redirect_uri", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator(
        "slack_bot_token", "slack_app_token", "slack_signing_secret", "slack_client_secret", mode="before"
    )
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        # `SLACK_BOT_TOKEN=` (an .env template left blank) means "not set", not "Slack configured".
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        return None if isinstance(text, str) and not text.strip() else value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("web_base_url")
    @classmethod
    def _web_base_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"{value!r} is not an http(s) URL (e.g. https://mlq.example.com)")
        return value.rstrip("/")

    @field_validator("web_secret", mode="before")
    @classmethod
    def _web_secret(cls, value: object) -> object:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(text, str) and not text.strip():
            return None
        if isinstance(text, str) and len(text) < 16:
            raise ValueError("too short: use at least 16 random characters (e.g. `openssl rand -hex 32`)")
        return value

    @property
    def web_enabled(self) -> bool:
        return self.web_port is not None

    @property
    def web_url(self) -> str:
        """Return the dashboard's address as people open it (MLQ_WEB_BASE_URL, else this machine's)."""
        return self.web_base_url or f"http://127.0.0.1:{self.web_port or 0}"

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None or self.slack_multi_workspace

    @property
    def slack_multi_workspace(self) -> bool:
        """Installs to any number of workspaces through OAuth (SLACK_CLIENT_ID is set)."""
        return self.slack_client_id is not None or self.slack_client_secret is not None

    @property
    def discord_enabled(self) -> bool:
        return self.discord_token is not None

    @property
    def store_variable(self) -> str:
        """Return the variable that chose the database, for messages about it."""
        return "DATABASE_URL" if self.database_url is not None else "MLQ_SQLITE_PATH"

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
            self.slack_client_secret,
            self.discord_token,
            self.llm_api_key,
            self.web_secret,
        ]
        found = [v.get_secret_value() for v in values if v is not None]
        if self.database_url is not None:
            password = make_url(self.database_url.get_secret_value()).password
            found += [str(password)] if password else []
        return found


def default_cache_dir() -> Path | None:
    """Return the bot's XDG cache folder: $XDG_CACHE_HOME/mlquestion, else ~/.cache/mlquestion.

    None (no cache) when neither is known: no XDG_CACHE_HOME and no home folder for this user.
    """
    base = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says a relative value is invalid and is to be ignored.
    if base and Path(base).is_absolute():
        return Path(base) / "mlquestion"
    try:
        return Path.home() / ".cache" / "mlquestion"
    except RuntimeError:
        return None


def load_settings(**overrides: object) -> Settings:
    """Build Settings; a bad value raises SettingsError naming its variable, never its value.

    Names in `.env` that look like settings but are none (a misspelling) are logged as warnings,
    once per process, with the closest valid name.
    """
    for warning in env_file_warnings(Path(ENV_FILE)):
        if warning not in _warned:
            _warned.add(warning)
            log.warning("%s", warning)
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            message = error["msg"].removeprefix("Value error, ")
            lines.append(f"{variable_name(field)}: {message}")
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(lines)) from None


_warned: set[str] = set()


def setting_variables() -> list[str]:
    """Return every environment variable that sets something (prefixed names and aliases)."""
    names: list[str] = []
    for name, info in Settings.model_fields.items():
        alias = info.validation_alias
        names += [str(a) for a in alias.choices] if isinstance(alias, AliasChoices) else []
        names.append(ENV_PREFIX + name.upper())
    return list(dict.fromkeys(names))


def env_file_warnings(path: Path) -> list[str]:
    """Return one line per name in the env file that is not a setting but looks like one."""
    if not path.is_file():
        return []
    try:
        names = list(dotenv_values(path))
    except (OSError, UnicodeDecodeError):
        return [f"{path}: cannot be read; its settings are ignored"]
    valid = setting_variables()
    upper = {name.upper() for name in valid} | NOT_SETTINGS
    warnings = []
    for name in names:
        if name.upper() in upper:
            continue
        close = difflib.get_close_matches(name.upper(), valid, n=1, cutoff=0.75)
        if name.upper().startswith(ENV_PREFIX) or close:
            hint = (
                f"did you mean {close[0]}?" if close else f"see .env.example for the {ENV_PREFIX}… settings"
            )
            warnings.append(f"{path}: {name} is not a setting and is ignored ({hint})")
    return warnings


def variable_name(field: str) -> str:
    """Return the environment variable of a field (or the alias an error was reported under)."""
    info = Settings.model_fields.get(field)
    if info is None:
        return field  # pydantic reports a field set through an alias under that alias
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return ENV_PREFIX + field.upper()
