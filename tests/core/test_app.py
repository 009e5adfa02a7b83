"""Wiring decisions of `mlq run` that need no running adapter."""

from __future__ import annotations

import pytest

from bot.app import log_level
from bot.ops.settings import load_settings


@pytest.mark.parametrize(
    ("variables", "console_only", "level"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test"}, False, "INFO"),
        ({"DISCORD_TOKEN": "discord-test"}, False, "INFO"),
        ({}, True, "WARNING"),
        ({"SLACK_BOT_TOKEN": "xoxb-test", "MLQ_LOG_LEVEL": "error"}, False, "ERROR"),
        ({"MLQ_LOG_LEVEL": "debug"}, True, "DEBUG"),
    ],
)
def test_platform_runs_log_at_info_unless_a_level_is_set(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], console_only: bool, level: str
) -> None:
    """INFO (posts, reveals, commands) on a platform, WARNING in the console; MLQ_LOG_LEVEL wins."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert log_level(load_settings(), console_only) == level
