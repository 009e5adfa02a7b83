"""`mlq discord sync` and `mlq discord invite-url`: deliberate command syncs and the invite link."""

from __future__ import annotations

import argparse
import asyncio
from urllib.parse import parse_qs, urlsplit

import discord
import pytest

from adapters.discord.cli import register
from bot.content.rubric import Track
from bot.content.taxonomy import TOPICS
from tests.support.fake_discord import FakeDiscord

# Computed here from Discord's documented bits rather than from the code under test.
SEND_MESSAGES, EMBED_LINKS, READ_MESSAGE_HISTORY = 1 << 11, 1 << 14, 1 << 16
CREATE_PUBLIC_THREADS, SEND_MESSAGES_IN_THREADS = 1 << 35, 1 << 38
COMMANDS = [
    "mlquestion",
    "mlquestion-channel",
    "mlquestion-export",
    "mlquestion-forget-me",
    "mlquestion-leaderboard",
    "mlquestion-leaderboard-optout",
    "mlquestion-link",
    "mlquestion-mock",
    "mlquestion-review",
    "mlquestion-stats",
    "mlquestion-suggest",
    "mlquestion-unlink",
]


def mlq(*argv: str) -> int:
    """Run `mlq discord …` as the command line would (through `register`)."""
    parser = argparse.ArgumentParser(prog="mlq")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


@pytest.fixture
def discord_env(monkeypatch: pytest.MonkeyPatch, fake_discord: FakeDiscord) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", fake_discord.token)
    monkeypatch.setenv("MLQ_DISCORD_API_URL", fake_discord.api_url)


async def test_sync_to_a_guild_uploads_every_command_over_rest_only(
    fake_discord: FakeDiscord, discord_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """`sync --guild 123` puts /mlquestion, /mlquestion-channel and the practice commands in that
    guild, without the gateway."""
    code = await asyncio.to_thread(mlq, "discord", "sync", "--guild", "123")
    assert code == 0
    assert sorted(c["name"] for c in fake_discord.synced[123]) == COMMANDS
    assert fake_discord.identifies == [] and not fake_discord.calls_to("GET", "/gateway/bot")
    assert "synced 12 commands to guild 123" in capsys.readouterr().out


async def test_the_practice_commands_are_top_level_and_for_everyone(
    fake_discord: FakeDiscord, discord_env: None
) -> None:
    """Review, stats, leaderboard, opt-out and suggest are commands of their own (no subcommands,
    so `/mlquestion` itself stays runnable bare), in servers only, with no permission required."""
    await asyncio.to_thread(mlq, "discord", "sync", "--guild", "123")
    commands = {c["name"]: c for c in fake_discord.synced[123]}
    practice = [
        name for name in COMMANDS if name not in ("mlquestion", "mlquestion-channel", "mlquestion-mock")
    ]
    for name in practice:
        assert commands[name]["default_member_permissions"] is None
        assert commands[name]["contexts"] == [0]  # guild only
        assert all(option["type"] == 3 for option in commands[name].get("options", []))
    period = commands["mlquestion-leaderboard"]["options"][0]
    assert [c["value"] for c in period["choices"]] == ["week", "month", "all"] and not period["required"]
    optout = commands["mlquestion-leaderboard-optout"]["options"][0]
    assert [c["value"] for c in optout["choices"]] == ["on", "off"] and optout["required"]


async def test_mock_is_a_command_with_track_count_and_stop_options(
    fake_discord: FakeDiscord, discord_env: None
) -> None:
    """`/mlquestion-mock`: for everyone, in servers only; `track` (the role tracks), `count` (an
    integer from 3 to 8) and `stop` (a boolean), none required."""
    await asyncio.to_thread(mlq, "discord", "sync", "--guild", "123")
    mock = next(c for c in fake_discord.synced[123] if c["name"] == "mlquestion-mock")
    assert mock["default_member_permissions"] is None and mock["contexts"] == [0]
    options = {o["name"]: o for o in mock["options"]}
    assert list(options) == ["track", "count", "stop"] and not any(o["required"] for o in mock["options"])
    assert [c["value"] for c in options["track"]["choices"]] == [t.value for t in Track]
    assert (options["count"]["type"], options["count"]["min_value"], options["count"]["max_value"]) == (
        4,
        3,
        8,
    )
    assert options["stop"]["type"] == 5


async def test_ask_has_topic_difficulty_share_and_track_options(
    fake_discord: FakeDiscord, discord_env: None
) -> None:
    """`/mlquestion` offers topic, difficulty, share and track (the role tracks as choices)."""
    await asyncio.to_thread(mlq, "discord", "sync", "--guild", "123")
    ask = next(c for c in fake_discord.synced[123] if c["name"] == "mlquestion")
    options = {o["name"]: o for o in ask["options"]}
    assert list(options) == ["topic", "difficulty", "share", "track"]
    assert [c["value"] for c in options["track"]["choices"]] == [t.value for t in Track]


async def test_subscribe_has_the_holiday_skip_mention_and_weekly_options(
    fake_discord: FakeDiscord, discord_env: None
) -> None:
    """`/mlquestion-channel subscribe` offers holidays, skip, mentions (on/off) and weekly (on/off)."""
    await asyncio.to_thread(mlq, "discord", "sync", "--guild", "123")
    channel = next(c for c in fake_discord.synced[123] if c["name"] == "mlquestion-channel")
    subscribe = next(o for o in channel["options"] if o["name"] == "subscribe")
    options = {o["name"]: o for o in subscribe["options"]}
    assert {"holidays", "skip", "mentions", "weekly"} <= set(options)
    assert [c["value"] for c in options["mentions"]["choices"]] == ["on", "off"]
    assert [c["value"] for c in options["weekly"]["choices"]] == ["on", "off"]


async def test_the_channel_command_is_hidden_from_non_managers_by_default(
    fake_discord: FakeDiscord, discord_env: None
) -> None:
    """`/mlquestion-channel` carries default_member_permissions = Manage Server; `/mlquestion` none."""
    await asyncio.to_thread(mlq, "discord", "sync", "--guild", "123")
    commands = {c["name"]: c for c in fake_discord.synced[123]}
    manage_server = discord.Permissions(manage_guild=True).value
    assert int(commands["mlquestion-channel"]["default_member_permissions"]) == manage_server
    assert commands["mlquestion"]["default_member_permissions"] is None
    topics = next(o for o in commands["mlquestion"]["options"] if o["name"] == "topic")
    assert len(topics["choices"]) == len(TOPICS)


async def test_sync_without_a_guild_is_global(fake_discord: FakeDiscord, discord_env: None) -> None:
    """Without `--guild` the commands are synced globally (for every server)."""
    assert await asyncio.to_thread(mlq, "discord", "sync") == 0
    (call,) = fake_discord.calls_to("PUT", rf"/applications/{fake_discord.application_id}/commands")
    assert sorted(command["name"] for command in call.body) == COMMANDS


def test_sync_without_a_token_exits_2_naming_the_variable(capsys: pytest.CaptureFixture[str]) -> None:
    """No DISCORD_TOKEN: exit 2 with a message that names it."""
    assert mlq("discord", "sync") == 2
    assert "DISCORD_TOKEN" in capsys.readouterr().err


def test_invite_url_has_the_minimal_permissions_and_both_scopes(capsys: pytest.CaptureFixture[str]) -> None:
    """The link asks for send, threads, send in threads, embeds, history; scopes bot + commands."""
    assert mlq("discord", "invite-url", "--app-id", "42") == 0
    url = urlsplit(capsys.readouterr().out.strip())
    query = parse_qs(url.query)
    expected = (
        SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY | CREATE_PUBLIC_THREADS | SEND_MESSAGES_IN_THREADS
    )
    assert (url.scheme, url.netloc, url.path) == ("https", "discord.com", "/oauth2/authorize")
    assert query["client_id"] == ["42"] and query["permissions"] == [str(expected)]
    assert query["scope"] == ["bot applications.commands"]


def test_invite_url_reads_the_application_id_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """DISCORD_APPLICATION_ID stands in for `--app-id`."""
    monkeypatch.setenv("DISCORD_APPLICATION_ID", "77")
    assert mlq("discord", "invite-url") == 0
    assert "client_id=77" in capsys.readouterr().out


def test_invite_url_without_an_application_id_exits_2_naming_the_variable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No id anywhere: exit 2, and the message says to set DISCORD_APPLICATION_ID or pass --app-id."""
    assert mlq("discord", "invite-url") == 2
    err = capsys.readouterr().err
    assert "DISCORD_APPLICATION_ID" in err and "--app-id" in err


async def test_sync_with_a_refused_token_exits_2_naming_the_variable(
    fake_discord: FakeDiscord, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A token Discord refuses: exit 2, the message names DISCORD_TOKEN, nothing is synced."""
    monkeypatch.setenv("DISCORD_TOKEN", "refused-token.abcdefghijklmnop")
    monkeypatch.setenv("MLQ_DISCORD_API_URL", fake_discord.api_url)
    assert await asyncio.to_thread(mlq, "discord", "sync") == 2
    assert "DISCORD_TOKEN" in capsys.readouterr().err and fake_discord.synced == {}


@pytest.mark.parametrize(("how", "named"), [("flag", "--app-id"), ("environment", "DISCORD_APPLICATION_ID")])
def test_invite_url_with_a_non_numeric_application_id_says_it_must_be_numeric(
    how: str, named: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--app-id abc` was passed: the message says the id must be numeric and names where it came from."""
    if how == "flag":
        code = mlq("discord", "invite-url", "--app-id", "abc")
    else:
        monkeypatch.setenv("DISCORD_APPLICATION_ID", "abc")
        code = mlq("discord", "invite-url")
    err = capsys.readouterr().err
    assert code == 2
    assert "numeric" in err and named in err and "'abc'" in err
    assert "set DISCORD_APPLICATION_ID or pass" not in err
