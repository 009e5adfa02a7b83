"""`/mlquestion-channel` on Discord: who may change a channel's daily question, and how it shows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import time, timedelta

import pytest

from adapters.discord.adapter import DiscordAdapter
from bot.content.bank import Filters
from bot.content.taxonomy import Difficulty
from bot.schedule.clock import FakeClock
from bot.schedule.rules import Schedule
from bot.service import PracticeService
from bot.store import SqlStore
from tests.support.discord_support import (
    ADMIN,
    CHANNEL,
    CONFIGURED,
    MEMBER,
    OWNER,
    POST_AT,
    REVEAL_AT,
    DiscordWorld,
    config_for,
    where,
)
from tests.support.fake_discord import EPHEMERAL, FakeDiscord, Member

ADMIN_COMMAND = "mlquestion-channel"


async def test_a_member_without_manage_server_is_refused_and_nothing_changes(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, discord_store: SqlStore
) -> None:
    """Permissions can be overridden per server, so the bot checks them again: a plain member is refused."""
    sent = await fake_discord.command(ADMIN_COMMAND, MEMBER, CHANNEL, "subscribe", time="09:30")
    reply = await fake_discord.reply_to(sent)
    assert fake_discord.callback(sent).body["data"]["flags"] == EPHEMERAL
    assert "Only workspace or server admins" in reply["content"]
    assert await discord_store.get_subscription(where()) is None


@pytest.mark.parametrize(
    "user", [ADMIN, OWNER, CONFIGURED], ids=["manage-server", "administrator", "configured"]
)
async def test_managers_administrators_and_configured_users_may_subscribe(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, discord_store: SqlStore, user: Member
) -> None:
    """Manage Server, Administrator, or a user id in MLQ_ADMIN_USER_IDS makes a channel admin."""
    await fake_discord.reply_to(await fake_discord.command(ADMIN_COMMAND, user, CHANNEL, "subscribe"))
    assert await discord_store.get_subscription(where()) is not None


async def test_subscribe_saves_the_schedule_from_the_options(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, discord_store: SqlStore
) -> None:
    """Each option lands in the subscription: time, zone, days, reveal, topics and difficulty."""
    options = {
        "time": "09:30",
        "timezone": "Europe/Berlin",
        "days": "mon,wed,fri",
        "reveal": "at 17:00",
        "topics": "keras, tensorflow",
        "difficulty": "hard",
    }
    await fake_discord.reply_to(
        await fake_discord.command(ADMIN_COMMAND, ADMIN, CHANNEL, "subscribe", **options)
    )
    subscription = await discord_store.get_subscription(where())
    assert subscription is not None
    schedule = subscription.schedule
    assert (schedule.post_time, schedule.zone.key, schedule.days) == (
        time(9, 30),
        "Europe/Berlin",
        frozenset({0, 2, 4}),
    )
    assert schedule.reveal.at == time(17, 0)
    assert subscription.filters == Filters(("keras", "tensorflow"), (Difficulty.HARD,))


async def test_subscribing_is_announced_publicly(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """The confirmation (the new schedule) is visible to the channel, not just the admin."""
    sent = await fake_discord.command(ADMIN_COMMAND, ADMIN, CHANNEL, "subscribe", time="09:30")
    reply = await fake_discord.reply_to(sent)
    assert fake_discord.callback(sent).body["type"] == 4
    assert not reply["flags"] & EPHEMERAL
    assert reply["embeds"][0]["title"] == "Subscribed"


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"timezone": "Berlin"}, "`timezone`: unknown time zone 'Berlin': did you mean Europe/Berlin?"),
        ({"time": "25:00"}, "time '25:00' is not HH:MM"),  # the core's own validation
        ({"days": "funday"}, "`days`: unknown weekday 'funday'"),
        ({"reveal": "in six hours"}, "`reveal`: use `after 6h` or `at 17:00`"),
        ({"reveal": "soon"}, "duration 'soon' is not like 6h"),
        ({"topics": "keras, astrology"}, "I don't know the topic `astrology`"),
    ],
)
async def test_a_bad_subscribe_option_is_refused_privately_naming_it(
    discord_bot: DiscordAdapter,
    fake_discord: FakeDiscord,
    discord_store: SqlStore,
    options: dict[str, str],
    says: str,
) -> None:
    """A value that does not parse gets a private reply naming the option; nothing is saved."""
    reply = await fake_discord.reply_to(
        await fake_discord.command(ADMIN_COMMAND, ADMIN, CHANNEL, "subscribe", **options)
    )
    assert reply["flags"] & EPHEMERAL and says in reply["content"]
    assert await discord_store.get_subscription(where()) is None


async def test_settings_show_the_next_post_and_reveal_as_discord_timestamps(
    discord_daily: DiscordWorld,
) -> None:
    """Settings render instants as `<t:…:F>` and `<t:…:R>`, so every reader sees their own local time."""
    fake = discord_daily.fake
    reply = await fake.reply_to(await fake.command(ADMIN_COMMAND, MEMBER, CHANNEL, "settings"))
    description = reply["embeds"][0]["description"]
    for instant in (POST_AT, REVEAL_AT):
        unix = int(instant.timestamp())
        assert f"<t:{unix}:F> (<t:{unix}:R>)" in description
    assert reply["flags"] & EPHEMERAL


@pytest.mark.parametrize(("command", "paused"), [("pause", True), ("resume", False)])
async def test_pause_and_resume_change_the_subscription(
    discord_world: DiscordWorld, command: str, paused: bool
) -> None:
    """`pause` stops the daily post and `resume` restarts it."""
    fake, store = discord_world.fake, discord_world.store
    subscription = await discord_world.subscribe()
    await store.set_paused(subscription.id, not paused, None, discord_world.clock.now())
    await fake.reply_to(await fake.command(ADMIN_COMMAND, ADMIN, CHANNEL, command))
    changed = await store.get_subscription(where())
    assert changed is not None and changed.paused is paused


async def test_unsubscribe_removes_the_subscription(
    discord_bot: DiscordAdapter,
    fake_discord: FakeDiscord,
    discord_store: SqlStore,
    berlin_schedule: Schedule,
    clock: FakeClock,
) -> None:
    """`unsubscribe` ends the channel's daily question."""
    await discord_store.save_subscription(
        where(), berlin_schedule, Filters(), clock.now() - timedelta(days=1)
    )
    await fake_discord.reply_to(await fake_discord.command(ADMIN_COMMAND, ADMIN, CHANNEL, "unsubscribe"))
    assert await discord_store.get_subscription(where()) is None


@pytest.fixture
async def slow_bot(
    discord_service: PracticeService, fake_discord: FakeDiscord
) -> AsyncIterator[DiscordAdapter]:
    """An adapter that treats every reply as slow, so it always defers first."""
    adapter = DiscordAdapter(discord_service, config_for(fake_discord, defer_after=0))
    discord_service.register_adapter(adapter)
    await adapter.start()
    yield adapter
    await adapter.stop()


async def test_a_slow_reply_is_deferred_privately_and_the_public_part_follows(
    slow_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """Deferred (type 5, flag 64) in time; the private original says done, the schedule is posted publicly."""
    sent = await fake_discord.command(ADMIN_COMMAND, ADMIN, CHANNEL, "subscribe", time="09:30")
    original = await fake_discord.reply_to(sent)
    (public,) = await fake_discord.wait_calls("POST", rf"/webhooks/\d+/{sent.token}")
    assert fake_discord.callback(sent).body == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert original["flags"] & EPHEMERAL and "Done" in original["content"]
    assert not public.body.get("flags", 0) & EPHEMERAL
    assert public.body["embeds"][0]["title"] == "Subscribed"


async def test_timezone_autocomplete_suggests_matching_zones(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """Typing "berl" in the timezone option suggests Europe/Berlin."""
    sent = await fake_discord.autocomplete(
        ADMIN_COMMAND, ADMIN, CHANNEL, "subscribe", "timezone", timezone="berl"
    )
    await fake_discord.reply_to(sent)
    callback = fake_discord.callback(sent).body
    assert callback["type"] == 8
    assert {"name": "Europe/Berlin", "value": "Europe/Berlin"} in callback["data"]["choices"]
