"""`mlq run` with Slack configured: the mode is picked from the environment, tokens never reach the logs."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from pydantic import SecretStr

from adapters.slack.config import SlackConfigError, slack_config
from bot.app import RunOptions, build_adapters
from bot.ops.settings import Settings
from bot.service import PracticeService
from tests.support.paths import ROOT
from tests.support.slack_support import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    Failure,
    FakeSlack,
    command_form,
    signed_headers,
)


def _settings(**values: Any) -> Settings:
    secrets = {
        k: SecretStr(v)
        for k, v in values.items()
        if k.startswith("slack_") and k.endswith(("token", "secret"))
    }
    return Settings(**{**values, **secrets})


@pytest.mark.parametrize(
    ("configured", "mode"),
    [
        ({"slack_bot_token": BOT_TOKEN, "slack_app_token": APP_TOKEN}, "socket"),
        ({"slack_bot_token": BOT_TOKEN, "slack_signing_secret": SIGNING_SECRET}, "http"),
        (
            {
                "slack_bot_token": BOT_TOKEN,
                "slack_app_token": APP_TOKEN,
                "slack_signing_secret": SIGNING_SECRET,
            },
            "socket",
        ),
        (
            {
                "slack_bot_token": BOT_TOKEN,
                "slack_app_token": APP_TOKEN,
                "slack_signing_secret": SIGNING_SECRET,
                "slack_mode": "http",
            },
            "http",
        ),
    ],
)
def test_the_mode_follows_what_is_configured(configured: dict[str, Any], mode: str) -> None:
    """An app token means Socket Mode; a signing secret alone means HTTP mode; MLQ_SLACK_MODE overrides."""
    assert slack_config(_settings(**configured)).mode == mode


@pytest.mark.parametrize(
    ("configured", "named"),
    [
        ({"slack_bot_token": BOT_TOKEN}, "SLACK_SIGNING_SECRET"),
        ({"slack_bot_token": BOT_TOKEN, "slack_mode": "socket"}, "SLACK_APP_TOKEN"),
        ({}, "SLACK_BOT_TOKEN"),
    ],
)
def test_an_incomplete_slack_configuration_names_the_missing_variable(
    configured: dict[str, Any], named: str
) -> None:
    with pytest.raises(SlackConfigError, match=named):
        slack_config(_settings(**configured))


@pytest.mark.parametrize(
    ("variable", "field"),
    [
        ("SLACK_BOT_TOKEN", "slack_bot_token"),
        ("SLACK_APP_TOKEN", "slack_app_token"),
        ("SLACK_SIGNING_SECRET", "slack_signing_secret"),
    ],
)
@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_slack_variable_counts_as_unset(
    monkeypatch: pytest.MonkeyPatch, variable: str, field: str, value: str
) -> None:
    """`SLACK_BOT_TOKEN=` (a blank line of an .env template) is not a token."""
    monkeypatch.setenv(variable, value)
    assert getattr(Settings(), field) is None


def test_an_empty_bot_token_does_not_turn_slack_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """With every Slack variable blank, Slack is not configured (the console runs instead)."""
    for variable in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.setenv(variable, "")
    assert not Settings().slack_enabled


def test_an_empty_app_token_beside_a_signing_secret_means_http_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable, value in (
        ("SLACK_BOT_TOKEN", BOT_TOKEN),
        ("SLACK_APP_TOKEN", ""),
        ("SLACK_SIGNING_SECRET", SIGNING_SECRET),
    ):
        monkeypatch.setenv(variable, value)
    assert slack_config(Settings()).mode == "http"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_mlq_run_serves_slack_in_http_mode_and_exits_cleanly_on_sigterm(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """A real `mlq run` process: a signed command gets its card; SIGTERM exits 0; no secret in its logs."""
    port = _free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "MLQ_SLACK_HOST": "127.0.0.1",
        "MLQ_SLACK_PORT": str(port),
        "MLQ_SQLITE_PATH": str(tmp_path / "bot.db"),
        "MLQ_LOG_LEVEL": "DEBUG",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        body = command_form(fake_slack, "keras")
        async with aiohttp.ClientSession() as client:
            status = await _post_when_listening(client, f"http://127.0.0.1:{port}/slack/events", body)
        assert status == 200
        await fake_slack.wait_until(lambda: bool(fake_slack.responses), timeout=30)
        assert fake_slack.responses[0]["response_type"] == "ephemeral"
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)
    logs = (out + err).decode()
    assert process.returncode == 0, logs
    assert "slack HTTP mode listening" in logs and "Traceback" not in logs
    for secret in (BOT_TOKEN, SIGNING_SECRET):
        assert secret not in logs


async def _post_when_listening(client: aiohttp.ClientSession, url: str, body: str) -> int:
    async with asyncio.timeout(60):
        while True:
            try:
                async with client.post(url, data=body, headers=signed_headers(body)) as response:
                    return response.status
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)


async def test_mlq_run_refuses_to_start_when_slack_refuses_the_app_token(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """A real `mlq run` in Socket Mode with a revoked xapp token: exit 2 naming SLACK_APP_TOKEN, at once."""
    fake_slack.fail("apps.connections.open", Failure(error="invalid_auth"))
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": fake_slack.api_url,
        "MLQ_SQLITE_PATH": str(tmp_path / "bot.db"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
    logs = (out + err).decode()
    assert process.returncode == 2, logs
    assert "refusing to start" in logs and "SLACK_APP_TOKEN" in logs and "invalid_auth" in logs
    assert "Traceback" not in logs and APP_TOKEN not in logs


def test_slack_and_discord_run_side_by_side_in_one_process(service: PracticeService) -> None:
    """With both platforms configured, one service (and so one scheduler) holds both adapters."""
    settings = _settings(slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN).model_copy(
        update={"discord_token": SecretStr("discord-token-not-real")}
    )
    adapters = build_adapters(settings, RunOptions(), service, ZoneInfo("UTC"), asyncio.Event())
    assert [adapter.platform for adapter in adapters] == ["slack", "discord"]
    assert set(service.adapters) >= {"slack", "discord"}


def test_with_no_platform_configured_the_console_runs(service: PracticeService) -> None:
    adapters = build_adapters(Settings(), RunOptions(), service, ZoneInfo("UTC"), asyncio.Event())
    assert [adapter.platform for adapter in adapters] == ["console"]
