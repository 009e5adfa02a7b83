"""Discord's rate limits on a good day and refusals on a bad one: discord.py's own limiter keeps the
bot inside the buckets and the global limit, and channels that refuse the bot cost no request that
would count towards the invalid-request ban."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import discord
import pytest

from adapters.discord.adapter import DiscordAdapter
from bot.messages import CardKind, Notice, NoticeKind, question_card
from tests.support.discord_limits import LimitRules
from tests.support.discord_support import (
    CHANNEL,
    GONE_CHANNEL,
    POST_AT,
    REVEAL_AT,
    DiscordWorld,
    config_for,
    where,
)

# Time runs 50 times faster in the fake: a 5 s bucket resets after 0.1 s, a global second is 20 ms.
FAST = LimitRules(time_scale=50.0)
GUILD_A, GUILD_B, GUILD_C = (1_300_000_000_000_100_000 + n * 1000 for n in range(3))
NO_SEND = discord.Permissions(send_messages=True)
NO_THREADS = discord.Permissions(create_public_threads=True)


def limited(**rules: Any) -> pytest.MarkDecorator:
    """Run the test against a fake enforcing these rules (Discord's values for the others)."""
    return pytest.mark.parametrize("discord_limits", [replace(FAST, **rules)], indirect=True)


def calls_to_channel(world: DiscordWorld, channel: int) -> list[int]:
    return [c.status for c in world.fake.calls if c.path.startswith(f"/channels/{channel}")]


@limited(bucket_limit=2)
async def test_discord_py_waits_out_a_full_route_bucket_instead_of_being_refused(
    discord_world: DiscordWorld,
) -> None:
    """Five notices to one channel whose bucket allows two per window: all sent, not one 429."""
    for n in range(5):
        await discord_world.bot.post_notice(where(), Notice(f"notice {n}", NoticeKind.INFO))
    assert len(discord_world.fake.in_channel(CHANNEL)) == 5
    assert discord_world.fake.limits is not None
    assert discord_world.fake.limits.tally.route_limited == 0


# In real time: a 20 ms global window could pass before a slow machine has sent ten requests.
@limited(global_per_second=10, time_scale=1.0)
async def test_a_global_429_holds_every_request_and_each_post_still_goes_out_once(
    discord_world: DiscordWorld,
) -> None:
    """Twelve channels due at once (24 requests) against 10 requests per global second: refused
    with `global: true`, retried by discord.py, and every channel gets exactly one question."""
    channels = await discord_world.join(GUILD_A, 12)
    counts = await discord_world.run_due_at(POST_AT)
    limits = discord_world.fake.limits
    assert limits is not None and limits.tally.global_limited > 0
    assert counts == {"posted": 12}
    assert [len(discord_world.fake.in_channel(c)) for c in channels] == [1] * 12


@limited(global_per_second=10, time_scale=2.0)
async def test_the_adapter_bounds_its_sends_in_flight_whatever_its_callers_run_at_once(
    discord_world: DiscordWorld,
) -> None:
    """Thirty questions sent at once through an adapter allowing 4 sends in flight: at most 4
    requests are refused in each global second (each 429 counts towards the invalid-request ban)."""
    channels = await discord_world.join(GUILD_A, 30)
    fake, service = discord_world.fake, discord_world.service
    question = service.bank.get("keras-easy")
    assert question is not None
    card = question_card(question, CardKind.DAILY, REVEAL_AT)
    bot = DiscordAdapter(service, config_for(fake, sends_in_flight=4))
    await bot.start()
    try:
        await asyncio.gather(*(bot.post_question(where(c, GUILD_A), card) for c in channels))
    finally:
        await bot.stop()
    assert fake.limits is not None
    assert fake.limits.tally.global_limited <= 4 * fake.limits.tally.global_windows
    assert [len(fake.in_channel(c)) for c in channels] == [1] * 30


@limited(invalid_limit=3)
async def test_the_fake_bans_at_the_invalid_request_limit_and_discord_py_gives_up(
    discord_world: DiscordWorld,
) -> None:
    """Three 403s trip the ban; the next request gets Cloudflare's 429, which discord.py raises."""
    channels = await discord_world.join(GUILD_A, 1)
    await discord_world.leave(GUILD_A)
    client = discord_world.bot.client
    assert client is not None
    for _ in range(3):
        with pytest.raises(discord.Forbidden):
            await client.http.get_channel(channels[0])
    with pytest.raises(discord.HTTPException) as banned:
        await client.http.get_channel(CHANNEL)
    assert banned.value.status == 429
    assert discord_world.fake.limits is not None and discord_world.fake.limits.banned


@limited()
async def test_channels_the_bot_may_no_longer_send_to_are_paused_without_a_request(
    discord_world: DiscordWorld,
) -> None:
    """A moderator takes Send Messages away: that subscription pauses, and Discord is never asked."""
    subscription = await discord_world.subscribe()
    await discord_world.deny(CHANNEL, NO_SEND)
    await discord_world.run_due_at(POST_AT)
    paused = await discord_world.store.get_subscription_by_id(subscription.id)
    assert paused is not None and paused.paused_reason == "platform: forbidden:50013"
    assert calls_to_channel(discord_world, CHANNEL) == []


@limited()
async def test_channels_of_a_server_that_removed_the_bot_are_paused_without_a_request(
    discord_world: DiscordWorld,
) -> None:
    """The bot is removed from a server: its channels pause with Missing Access, unasked."""
    channels = await discord_world.join(GUILD_A, 3)
    await discord_world.leave(GUILD_A)
    await discord_world.run_due_at(POST_AT)
    reasons = {s.paused_reason for s in await discord_world.store.list_subscriptions(include_paused=True)}
    assert reasons == {"platform: forbidden:50001"}
    assert [calls_to_channel(discord_world, c) for c in channels] == [[], [], []]


@limited()
async def test_after_a_restart_servers_that_removed_the_bot_meanwhile_are_not_asked(
    discord_world: DiscordWorld,
) -> None:
    """Removed while the bot was down: once every guild has arrived, their channels pause unasked."""
    channels = await discord_world.join(GUILD_A, 3)
    await discord_world.bot.stop()
    await discord_world.fake.leave_guild(GUILD_A)
    bot = DiscordAdapter(discord_world.service, config_for(discord_world.fake))
    discord_world.service.register_adapter(bot)
    await bot.start()
    try:
        assert bot.client is not None
        await bot.client.wait_until_ready()  # every guild of its shards has arrived
        await discord_world.run_due_at(POST_AT)
    finally:
        await bot.stop()
    reasons = {s.paused_reason for s in await discord_world.store.list_subscriptions(include_paused=True)}
    assert reasons == {"platform: forbidden:50001"}
    assert [calls_to_channel(discord_world, c) for c in channels] == [[], [], []]


@limited()
async def test_channels_without_thread_permission_get_no_thread_request(discord_world: DiscordWorld) -> None:
    """Without Create Public Threads: the question is posted, no thread is asked for, the answer
    replies to the question; two days, not one refused request."""
    await discord_world.subscribe()
    await discord_world.deny(CHANNEL, NO_THREADS)
    for day in range(2):
        await discord_world.run_due_at(POST_AT + timedelta(days=day))
        await discord_world.run_due_at(REVEAL_AT + timedelta(days=day))
    questions = [m for m in discord_world.fake.in_channel(CHANNEL) if "message_reference" not in m]
    assert len(questions) == 2
    assert discord_world.fake.calls_to("POST", rf"/channels/{CHANNEL}/messages/\d+/threads") == []
    assert discord_world.fake.limits is not None and discord_world.fake.limits.tally.invalid == 0


@limited(invalid_limit=10)
async def test_a_bad_day_of_many_refusing_channels_stays_clear_of_the_invalid_request_ban(
    discord_world: DiscordWorld,
) -> None:
    """Forty refusing channels (no Send Messages, or a server that removed the bot) and ten deleted
    ones, with a ban at ten invalid requests: the good channels post on both days, the broken ones
    are paused on the first, and nothing counts towards the ban."""
    good = await discord_world.join(GUILD_A, 10)
    denied = await discord_world.join(GUILD_B, 20)
    removed = await discord_world.join(GUILD_C, 20)
    deleted = good[:5] + denied[:5]
    for channel in denied:
        await discord_world.deny(channel, NO_SEND)
    await discord_world.leave(GUILD_C)
    for channel in deleted:
        await discord_world.delete(channel)
    first = await discord_world.run_due_at(POST_AT)
    second = await discord_world.run_due_at(POST_AT + timedelta(days=1))
    limits = discord_world.fake.limits
    assert limits is not None and not limits.banned and limits.tally.invalid == 0
    assert first == {"posted": 5, "failed": 45}
    assert second == {"posted": 5, "reveal-revealed": 5}
    # A deleted channel is asked once (404, which is not an invalid request), then paused.
    assert [calls_to_channel(discord_world, c) for c in deleted] == [[404]] * 10
    assert [calls_to_channel(discord_world, c) for c in denied[5:] + removed] == [[]] * 35


async def test_a_channel_missing_from_discord_still_pauses_after_one_request(
    discord_world: DiscordWorld,
) -> None:
    """A channel the cache never saw is asked about once (404) and paused; the next day, not asked."""
    await discord_world.subscribe(GONE_CHANNEL)
    await discord_world.run_due_at(POST_AT)
    await discord_world.run_due_at(POST_AT + timedelta(days=1))
    assert calls_to_channel(discord_world, GONE_CHANNEL) == [404]
