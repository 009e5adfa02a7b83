"""Setting up installs to many workspaces: the settings that turn it on, the tables slack-sdk's stores
need (created by our migration on SQLite and PostgreSQL), and single-workspace mode left as it was."""

from __future__ import annotations

import asyncio
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import yaml
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import SecretStr
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Connection, MetaData

from adapters.slack.adapter import SlackAdapter
from adapters.slack.cli import MANIFEST
from adapters.slack.config import SlackConfigError, slack_config
from bot.app import RunOptions, build_adapters
from bot.cli import main as mlq
from bot.ops.settings import SLACK_BOT_SCOPES, Settings
from bot.service import PracticeService
from bot.store import SqlStore
from tests.support.slack_support import BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.support.slack_workspaces import CLIENT_ID, CLIENT_SECRET

OAUTH = {"slack_client_id": CLIENT_ID, "slack_client_secret": SecretStr(CLIENT_SECRET)}


def _settings(**values: Any) -> Settings:
    return Settings(**values)


def test_a_client_id_and_secret_install_to_many_workspaces_in_http_mode() -> None:
    """SLACK_CLIENT_ID + SLACK_CLIENT_SECRET + SLACK_SIGNING_SECRET: OAuth, HTTP mode, our scopes."""
    config = slack_config(_settings(**OAUTH, slack_signing_secret=SecretStr(SIGNING_SECRET)))
    assert config.mode == "http" and config.bot_token is None
    assert config.oauth is not None and config.oauth.scopes == SLACK_BOT_SCOPES
    assert CLIENT_SECRET not in repr(config)


def test_one_workspace_reads_history_at_tier_3_and_many_at_one_a_minute() -> None:
    """Slack's 1-a-minute history limit binds distributed apps outside the Marketplace, not a team's
    own app: a crash-recovery lookup waits a minute only when installed to many workspaces."""
    one = slack_config(
        _settings(slack_bot_token=SecretStr(BOT_TOKEN), slack_signing_secret=SecretStr(SIGNING_SECRET))
    )
    many = slack_config(_settings(**OAUTH, slack_signing_secret=SecretStr(SIGNING_SECRET)))
    assert (one.rates.history.per_minute, one.rates.history_page) == (50, 100)
    assert (many.rates.history.per_minute, many.rates.history_page) == (1, 15)


@pytest.mark.parametrize(
    ("configured", "named"),
    [
        pytest.param({"slack_client_id": CLIENT_ID}, "SLACK_CLIENT_SECRET", id="no secret"),
        pytest.param({**OAUTH, "slack_signing_secret": None}, "SLACK_SIGNING_SECRET", id="no signing secret"),
        pytest.param({**OAUTH, "slack_bot_token": SecretStr(BOT_TOKEN)}, "SLACK_BOT_TOKEN", id="both modes"),
        pytest.param({**OAUTH, "slack_mode": "socket"}, "MLQ_SLACK_MODE", id="socket mode"),
    ],
)
def test_an_inconsistent_multi_workspace_configuration_names_the_variable(
    configured: dict[str, Any], named: str
) -> None:
    with pytest.raises(SlackConfigError, match=named) as error:
        slack_config(_settings(**{"slack_signing_secret": SecretStr(SIGNING_SECRET), **configured}))
    assert CLIENT_SECRET not in str(error.value)


@pytest.mark.parametrize(
    ("value", "scopes"),
    [("commands, chat:write", ("commands", "chat:write")), ("", SLACK_BOT_SCOPES), (" , ", SLACK_BOT_SCOPES)],
)
def test_slack_scopes_is_a_comma_separated_list_and_blank_means_the_manifests(
    monkeypatch: pytest.MonkeyPatch, value: str, scopes: tuple[str, ...]
) -> None:
    monkeypatch.setenv("SLACK_SCOPES", value)
    assert Settings().slack_scopes == scopes


def _missing(connection: Connection) -> list[Any]:
    """What slack-sdk's SQLAlchemy stores define that the migrated database lacks or has otherwise."""
    expected = MetaData()
    SQLAlchemyInstallationStore.build_installations_table(expected, "slack_installations")
    SQLAlchemyInstallationStore.build_bots_table(expected, "slack_bots")
    SQLAlchemyOAuthStateStore.build_oauth_states_table(expected, "slack_oauth_states")
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [
        d
        for d in compare_metadata(context, expected)
        if d[0] != "remove_table" and not (d[0] == "remove_index" and d[1].table.name not in expected.tables)
    ]


async def test_the_migration_creates_the_tables_slack_sdks_stores_use(store: SqlStore) -> None:
    """After `upgrade`, the installation, bot and state tables match slack-sdk's own definitions
    (columns, types, nullability, indexes), on SQLite and PostgreSQL."""
    async with store.engine.connect() as conn:
        assert await conn.run_sync(_missing) == []


async def test_single_workspace_mode_serves_no_install_pages(
    slack_http: SlackAdapter, http_client: aiohttp.ClientSession, fake_slack: FakeSlack
) -> None:
    """With SLACK_BOT_TOKEN there is nothing to install: /slack/install is not found, and calls use the
    one bot token as before."""
    assert slack_http.install_url == ""
    async with http_client.get(slack_http.address + "/slack/install") as response:
        assert response.status == 404
    assert {call.token for call in fake_slack.calls} == {BOT_TOKEN}


def test_the_multi_workspace_manifest_points_slack_at_the_bots_https_address(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`mlq slack manifest --multi-workspace URL`: HTTP mode on URL, the OAuth redirect, token rotation
    and the revocation events, with the same command and scopes as the shipped manifest."""
    assert mlq(["slack", "manifest", "--multi-workspace", "https://bot.example.org/"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    shipped = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    settings = printed["settings"]
    assert settings["socket_mode_enabled"] is False and settings["token_rotation_enabled"] is True
    assert printed["oauth_config"]["redirect_urls"] == ["https://bot.example.org/slack/oauth_redirect"]
    assert printed["oauth_config"]["scopes"] == shipped["oauth_config"]["scopes"]
    events_url = "https://bot.example.org/slack/events"
    assert (
        settings["event_subscriptions"]["request_url"]
        == settings["interactivity"]["request_url"]
        == events_url
    )
    assert [c["url"] for c in printed["features"]["slash_commands"]] == [events_url]
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        *shipped["settings"]["event_subscriptions"]["bot_events"],
        "app_uninstalled",
        "tokens_revoked",
    }


def test_the_scopes_asked_at_install_are_the_manifests() -> None:
    """ "Add to Slack" asks for the bot scopes the manifest declares (SLACK_SCOPES unset)."""
    shipped = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert set(SLACK_BOT_SCOPES) == set(shipped["oauth_config"]["scopes"]["bot"])


def test_the_multi_workspace_manifest_needs_an_https_address(capsys: pytest.CaptureFixture[str]) -> None:
    assert mlq(["slack", "manifest", "--multi-workspace", "http://bot.example.org"]) == 2
    assert "https" in capsys.readouterr().out


async def test_mlq_run_builds_the_multi_workspace_adapter_on_the_stores_database(
    service: PracticeService, store: SqlStore
) -> None:
    """The composition root hands the store's engine to Slack, whose OAuth flow keeps tokens there."""
    settings = _settings(**OAUTH, slack_signing_secret=SecretStr(SIGNING_SECRET))
    stop = asyncio.Event()
    (adapter,) = build_adapters(settings, RunOptions(), service, ZoneInfo("UTC"), stop, store.engine)
    assert isinstance(adapter, SlackAdapter) and adapter.clients.multi_workspace
    assert adapter.app.oauth_flow is not None
