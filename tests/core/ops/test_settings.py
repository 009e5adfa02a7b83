"""Settings come from the environment; a wrong value names its variable and never shows a secret."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from bot.ops import settings as settings_module
from bot.ops.logs import MASK, JsonFormatter, MaskingFormatter
from bot.ops.settings import Settings, SettingsError, load_settings, variable_name


def test_defaults_are_the_embedded_console_and_sqlite() -> None:
    """With nothing configured the store is a local SQLite file and no token is set."""
    settings = load_settings()
    assert settings.store_url.startswith("sqlite+aiosqlite:///")
    assert settings.secrets() == []


def test_database_url_selects_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    """DATABASE_URL overrides the SQLite default."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot@db/mlq")
    assert load_settings().store_url == "postgresql://bot@db/mlq"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MLQ_POST_GRACE_MINUTES", "two hours"),
        ("MLQ_POST_GRACE_MINUTES", "-5"),
        ("MLQ_DEFAULT_TIMEZONE", "Europe/Atlantis"),
        ("MLQ_LOG_LEVEL", "LOUD"),
        ("MLQ_RECONCILE_SECONDS", "1"),
        ("MLQ_DEFAULT_TIMEZONE", "America/Argentina"),
        ("MLQ_LOG_JSON", "maybe"),
        ("MLQ_SLACK_MODE", "websocket"),
        ("MLQ_SLACK_PORT", "70000"),
        ("MLQ_DISCORD_SHARD_IDS", "0,one"),
        ("MLQ_DISCORD_SHARD_COUNT", "0"),
        ("MLQ_DISCORD_DEV_GUILD_ID", "my-server"),
        ("MLQ_HEALTH_PORT", "http"),
        ("MLQ_SEND_CONCURRENCY", "0"),
        ("MLQ_CLAIM_LEASE_SECONDS", "forever"),
        ("MLQ_SHARE_REVEAL_MINUTES", "0"),
        ("MLQ_DEMO_REVEAL_SECONDS", "0"),
        ("DATABASE_URL", "not-a-url"),
    ],
)
def test_a_wrong_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    """Each invalid value raises SettingsError naming the environment variable, as its line's start."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert f"\n  {variable}: " in str(raised.value)


def test_an_error_under_an_alias_names_the_variable_that_was_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """SLACK_API_URL=ftp://… is reported as SLACK_API_URL, not as a prefixed name nobody set."""
    monkeypatch.setenv("SLACK_API_URL", "ftp://example.com")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert "\n  SLACK_API_URL: " in str(raised.value)


@pytest.mark.parametrize(
    ("url", "fragments"),
    [
        ("not-a-url", ["not a database URL", "postgresql://", "sqlite:///"]),
        (
            "mysql://bot:hunter2secret@db/mlq",
            ["'mysql' database is not supported", "postgresql://", "sqlite:///"],
        ),
        ("postgresql+psycopg://bot:hunter2secret@db/mlq", ["driver 'psycopg' is not supported"]),
        ("postgresql://bot:hunter2secret@db:99999/mlq", ["port 99999 is not a TCP port"]),
        ("postgresql://bot:hunter2secret@[::1", ["not a database URL"]),
        ("sqlite://", ["an SQLite URL needs a file"]),
    ],
)
def test_a_database_url_we_cannot_use_says_which_schemes_work(
    monkeypatch: pytest.MonkeyPatch, url: str, fragments: list[str]
) -> None:
    """DATABASE_URL that is no URL or names another database: say what works, never echo the URL."""
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert "DATABASE_URL: " in message and all(f in message for f in fragments)
    assert "hunter2secret" not in message


def test_a_misspelt_variable_in_the_env_file_is_reported_with_the_closest_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """MLQ_SQLITE_PAHT in .env: a warning names it and MLQ_SQLITE_PATH; other names pass quietly."""
    (tmp_path / ".env").write_text(
        "MLQ_SQLITE_PAHT=bot.db\nMLQ_LOG_LEVEL=INFO\nPOSTGRES_PASSWORD=x\nMLQ_TEST_POSTGRES_URL=x\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(settings_module, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="bot.ops.settings"):
        load_settings()
    [warning] = [r.getMessage() for r in caplog.records]
    assert "MLQ_SQLITE_PAHT" in warning and "did you mean MLQ_SQLITE_PATH?" in warning


def test_errors_never_echo_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad setting next to a token: the message names the bad variable, not the token."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret-token")
    monkeypatch.setenv("MLQ_POST_GRACE_MINUTES", "soon")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert "xoxb-very-secret-token" not in str(raised.value)


def test_tokens_are_secret_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tokens print masked in the settings' repr."""
    monkeypatch.setenv("DISCORD_TOKEN", "discord-secret-value")
    settings = load_settings()
    assert "discord-secret-value" not in repr(settings)
    assert settings.secrets() == ["discord-secret-value"]


SECRET_FIELDS = [name for name, info in Settings.model_fields.items() if "SecretStr" in str(info.annotation)]


@pytest.mark.parametrize("field", SECRET_FIELDS)
def test_every_secret_setting_is_masked_in_logs(monkeypatch: pytest.MonkeyPatch, field: str) -> None:
    """Each secret setting (tokens, keys, the database password) is among the values logs mask."""
    value = "postgresql://bot:pw-0123456789@db/mlq" if field == "database_url" else "secret-0123456789"
    monkeypatch.setenv(variable_name(field), value)
    secret = "pw-0123456789" if field == "database_url" else value
    assert secret in load_settings().secrets()


def test_admin_user_ids_are_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """MLQ_ADMIN_USER_IDS=U1, U2 gives two ids."""
    monkeypatch.setenv("MLQ_ADMIN_USER_IDS", "U1, U2")
    assert load_settings().admin_user_ids == ("U1", "U2")


def test_log_lines_mask_configured_secrets() -> None:
    """A secret that reaches a log message is replaced before it is written."""
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token is %s", ("xoxb-123456",), None)
    line = MaskingFormatter(logging.Formatter("%(message)s"), ["xoxb-123456"]).format(record)
    assert line == f"token is {MASK}"


def test_secrets_in_tracebacks_are_masked_too() -> None:
    """An exception whose text carries a token is logged with the token masked."""
    try:
        raise RuntimeError("bad token xoxb-123456")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    line = MaskingFormatter(JsonFormatter(), ["xoxb-123456"]).format(record)
    assert "xoxb-123456" not in line and MASK in line
