"""Settings come from the environment; a wrong value names its variable and never shows a secret."""

from __future__ import annotations

import logging
import sys

import pytest

from bot.ops.logs import MASK, JsonFormatter, MaskingFormatter
from bot.ops.settings import SettingsError, load_settings


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
    ],
)
def test_a_wrong_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    """Each invalid value raises SettingsError naming the environment variable."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        load_settings()


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
