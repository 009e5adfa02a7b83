"""Starting and stopping the Discord adapter: login, gateway, command sync policy, secrets."""

from __future__ import annotations

import asyncio
import logging

import pytest

from adapters.discord.adapter import DiscordAdapter, discord_config
from bot.ops.settings import Settings, SettingsError
from bot.seam import PlatformSetupError
from bot.service import PracticeService
from tests.support.discord_support import CHANNEL, MEMBER, config_for
from tests.support.fake_discord import PRIVILEGED_INTENTS, FakeDiscord
from tests.support.log_scan import SCAN

GUILDS, GUILD_MESSAGES = 1 << 0, 1 << 9  # Discord's documented intent bits


async def test_start_connects_to_the_gateway_named_by_the_rest_api(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """Login over REST, the gateway URL from GET /gateway/bot, then IDENTIFY with the GUILDS and
    GUILD_MESSAGES intents only (neither privileged: no message content, members or presences)."""
    assert [c.path for c in fake_discord.calls[:3]] == [
        "/users/@me",
        "/oauth2/applications/@me",
        "/gateway/bot",
    ]
    assert fake_discord.gateway_queries == [{"v": "10", "encoding": "json", "compress": "zlib-stream"}]
    (identify,) = fake_discord.identifies
    assert identify["intents"] == GUILDS | GUILD_MESSAGES and identify["shard"] == [0, 1]
    assert not any(identify["intents"] & bit for bit in PRIVILEGED_INTENTS.values())
    assert await discord_bot.connected()


async def test_a_plain_start_syncs_no_commands(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """Command definitions are uploaded deliberately (`mlq discord sync`), never at every start."""
    assert fake_discord.calls_to("PUT", r"/applications/.*") == []


async def test_the_dev_guild_is_synced_at_start(
    discord_service: PracticeService, fake_discord: FakeDiscord
) -> None:
    """With MLQ_DISCORD_DEV_GUILD_ID set, that guild (only) gets the commands at start-up."""
    adapter = DiscordAdapter(discord_service, config_for(fake_discord, dev_guild_id=555))
    await adapter.start()
    await adapter.stop()
    assert [c.path for c in fake_discord.calls_to("PUT", r"/applications/.*")] == [
        f"/applications/{fake_discord.application_id}/guilds/555/commands"
    ]


async def test_a_refused_token_fails_start_naming_the_variable_not_the_token(
    discord_service: PracticeService, fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    """A 401 from /users/@me stops start-up with a message naming DISCORD_TOKEN; the token is nowhere."""
    wrong = "wrong-token.abcdefghijklmnopqrstuvwxyz"
    SCAN.register(wrong)
    adapter = DiscordAdapter(discord_service, config_for(fake_discord, token=wrong))
    with caplog.at_level(logging.DEBUG), pytest.raises(PlatformSetupError) as failure:
        await adapter.start()
    assert "DISCORD_TOKEN" in str(failure.value)
    assert wrong not in str(failure.value) and wrong not in caplog.text
    assert fake_discord.identifies == []


async def test_the_token_never_reaches_the_logs(
    discord_service: PracticeService, fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    """A whole session at DEBUG level (login, gateway, a command, stop) logs no token."""
    adapter = DiscordAdapter(discord_service, config_for(fake_discord))
    with caplog.at_level(logging.DEBUG):
        await adapter.start()
        await fake_discord.reply_to(await fake_discord.command("mlquestion", MEMBER, CHANNEL))
        await adapter.stop()
    assert "INTERACTION_CREATE" in caplog.text  # the gateway traffic was logged...
    assert fake_discord.token not in caplog.text  # ...without the token


async def test_stop_disconnects(discord_service: PracticeService, fake_discord: FakeDiscord) -> None:
    """After stop the adapter reports itself disconnected (for the health check)."""
    adapter = DiscordAdapter(discord_service, config_for(fake_discord))
    await adapter.start()
    await adapter.stop()
    assert not await adapter.connected()


def test_the_configuration_comes_from_settings() -> None:
    """Token, application id, API URL, dev guild and admins are read from Settings."""
    settings = Settings(
        DISCORD_TOKEN="t0ken-value",
        DISCORD_APPLICATION_ID="42",
        discord_api_url="http://127.0.0.1:1/api/v10",
        discord_dev_guild_id=7,
        admin_user_ids=("1", "2"),
    )
    config = discord_config(settings)
    assert (config.token, config.application_id, config.dev_guild_id) == ("t0ken-value", 42, 7)
    assert config.api_url == "http://127.0.0.1:1/api/v10" and config.admin_user_ids == {"1", "2"}
    assert "t0ken-value" not in repr(config)


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({}, "DISCORD_TOKEN"),
        ({"DISCORD_TOKEN": "x", "DISCORD_APPLICATION_ID": "my-app"}, "DISCORD_APPLICATION_ID"),
    ],
)
def test_a_missing_or_bad_setting_is_named(values: dict[str, str], variable: str) -> None:
    """No token, or an application id that is not a number: SettingsError naming the variable."""
    with pytest.raises(SettingsError, match=variable):
        discord_config(Settings(**values))  # type: ignore[arg-type]


async def test_a_replica_runs_only_the_shards_it_is_given(
    discord_service: PracticeService, fake_discord: FakeDiscord
) -> None:
    """shard_count 4 with ids 1 and 3: this process identifies as shards [1, 4] and [3, 4] only."""
    config = config_for(fake_discord, shard_count=4, shard_ids=(1, 3), gateway_url=fake_discord.gateway_url)
    adapter = DiscordAdapter(discord_service, config)
    await adapter.start()
    try:
        # discord.py spaces IDENTIFYs 5 s apart when it has not asked the gateway for its concurrency.
        async with asyncio.timeout(30):
            while len(fake_discord.identifies) < 2:
                await asyncio.sleep(0.1)
        assert sorted(identify["shard"] for identify in fake_discord.identifies) == [[1, 4], [3, 4]]
        assert await adapter.connected()
    finally:
        await adapter.stop()


def test_shards_come_from_settings() -> None:
    settings = Settings(DISCORD_TOKEN="x", discord_shard_count="4", discord_shard_ids="0,2")
    config = discord_config(settings)
    assert config.shard_count == 4 and config.shard_ids == (0, 2)
