"""Logging set-up: no level lets what people wrote into the log through a library's debug lines."""

from __future__ import annotations

import logging

import pytest

from bot.ops.logs import configure_logging


@pytest.mark.parametrize("library", ["aiosqlite", "sqlalchemy.engine"])
def test_debug_keeps_sql_parameters_out_of_the_log(library: str, restore_logging: None) -> None:
    """At MLQ_LOG_LEVEL=DEBUG the bot's own lines are on, the SQL layer's (with parameters) are not."""
    configure_logging("DEBUG", as_json=False)
    assert logging.getLogger("bot.service").isEnabledFor(logging.DEBUG)
    assert not logging.getLogger(library).isEnabledFor(logging.INFO)
