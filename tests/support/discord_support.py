"""Fixtures for the Discord adapter tests: a fake Discord (REST + gateway) on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import discord
import pytest

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.client import DiscordConfig
from adapters.discord.render import Outgoing
from bot.content.bank import Filters, QuestionBank
from bot.records import DEFAULT_OPTIONS, Subscription, SubscriptionOptions
from bot.schedule.clock import FakeClock
from bot.schedule.rules import Schedule
from bot.schedule.selection import Rotation
from bot.seam import Destination
from bot.service import PracticeService, ServiceConfig
from bot.store import SqlStore, open_store
from bot.store.sql_store import sqlite_url
from tests.support.discord_limits import DiscordLimits, LimitRules
from tests.support.fake_discord import FakeDiscord, Member, message_problems
from tests.support.log_scan import SCAN

GUILD = 1_300_000_000_000_000_200
CHANNEL = 1_300_000_000_000_000_201
OTHER_CHANNEL = 1_300_000_000_000_000_202
GONE_CHANNEL = 1_300_000_000_000_000_299  # never created: Discord answers 404 Unknown Channel

_EVERYONE = discord.Permissions(view_channel=True, send_messages=True, read_message_history=True)
ADMIN = Member("1300000000000000101", "alice", (_EVERYONE | discord.Permissions(manage_guild=True)).value)
OWNER = Member("1300000000000000104", "dana", discord.Permissions(administrator=True).value)
MEMBER = Member("1300000000000000102", "bob", _EVERYONE.value)
CONFIGURED = Member("1300000000000000103", "carol", _EVERYONE.value)  # listed in admin_user_ids

# Monday 23 November 2026: 09:00 in Berlin is 08:00 UTC; the default reveal is 6 h later.
POST_AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
REVEAL_AT = POST_AT + timedelta(hours=6)
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


def where(channel: int = CHANNEL, guild: int = GUILD) -> Destination:
    """Return the core's destination for a channel of the test guild (or another)."""
    return Destination("discord", str(channel), str(guild))


def config_for(fake: FakeDiscord, **changes: Any) -> DiscordConfig:
    """Return an adapter configuration pointing at the fake (replies are never deferred by timing)."""
    config = DiscordConfig(
        token=fake.token,
        application_id=fake.application_id,
        api_url=fake.api_url,
        dev_guild_id=None,
        admin_user_ids=frozenset({CONFIGURED.id}),
        defer_after=30.0,
        ready_timeout=10.0,
    )
    return dataclasses.replace(config, **changes)


def assert_fits(message: Outgoing) -> None:
    """Check a rendered message against Discord's limits, and that every code fence is closed."""
    payload = {"content": message.content, "embeds": [e.to_dict() for e in message.embeds]}
    assert message_problems(payload) == []
    texts = [message.content or ""] + [e.description or "" for e in message.embeds]
    for text in texts:
        fences = [line for line in text.split("\n") if _FENCE.match(line)]
        assert len(fences) % 2 == 0, f"unbalanced code fences in {text[:80]!r}…"


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [item["custom_id"] for row in message.get("components", []) for item in row["components"]]


def rate_button(message: dict[str, Any], choice: str) -> str:
    """Return the custom_id of the message's rating button for `choice` (nailed, partly or missed)."""
    (custom_id,) = [c for c in custom_ids(message) if c.startswith(f"mlq:rt:{choice[0]}:")]
    return custom_id


@pytest.fixture
def discord_limits(request: pytest.FixtureRequest) -> DiscordLimits | None:
    """The rate limits the fake enforces: none, unless a test parametrizes this (indirect) with
    its `LimitRules`."""
    rules: LimitRules | None = getattr(request, "param", None)
    return DiscordLimits(rules) if rules is not None else None


@pytest.fixture
async def fake_discord(discord_limits: DiscordLimits | None) -> AsyncIterator[FakeDiscord]:
    """A fake Discord with one guild and two text channels."""
    fake = FakeDiscord(limits=discord_limits)
    SCAN.register(fake.token)  # any log line carrying the bot token fails the run
    await fake.start()
    fake.add_text_channel(CHANNEL, GUILD)
    fake.add_text_channel(OTHER_CHANNEL, GUILD, "ml-practice-2")
    yield fake
    await fake.close()


@pytest.fixture
async def discord_store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    """A migrated SQLite store (the store is not what these tests are about)."""
    store = await open_store(sqlite_url(tmp_path / "discord.db"))
    yield store
    await store.close()


@pytest.fixture
def discord_service(bank: QuestionBank, discord_store: SqlStore, clock: FakeClock) -> PracticeService:
    config = ServiceConfig(default_zone=ZoneInfo("Europe/Berlin"))
    rotation = Rotation(bank, discord_store, random.Random(7))
    return PracticeService(bank, discord_store, clock, {}, config, rotation=rotation)


@pytest.fixture
async def discord_bot(
    discord_service: PracticeService, fake_discord: FakeDiscord
) -> AsyncIterator[DiscordAdapter]:
    """The adapter, registered with the service and connected to the fake."""
    adapter = DiscordAdapter(discord_service, config_for(fake_discord))
    discord_service.register_adapter(adapter)
    await adapter.start()
    yield adapter
    await adapter.stop()


# The running world, for tests that drive the bot as the schedule and people would ---------------------


@dataclasses.dataclass(frozen=True)
class DiscordWorld:
    """The adapter connected to the fake Discord, with the service, store and fake clock behind it.

    Keeps no state of its own: what happened is in the fake, the store and the clock.
    """

    bot: DiscordAdapter
    service: PracticeService
    store: SqlStore
    fake: FakeDiscord
    clock: FakeClock
    schedule: Schedule

    async def subscribe(
        self, channel: int = CHANNEL, options: SubscriptionOptions = DEFAULT_OPTIONS, guild: int = GUILD
    ) -> Subscription:
        """Subscribe a channel (of the test guild by default) to the 09:00 Berlin weekday schedule."""
        return await self.store.save_subscription(
            where(channel, guild), self.schedule, Filters(), self.clock.now(), options
        )

    async def seen(self, condition: Callable[[discord.Client], bool]) -> None:
        """Wait (at most 10 s) until the bot's cache shows what the fake's gateway just sent."""
        client = self.bot.client
        assert client is not None
        async with asyncio.timeout(10):
            while not condition(client):
                await asyncio.sleep(0.01)

    async def join(self, guild: int, count: int) -> list[int]:
        """The bot joins another guild with `count` subscribed text channels; return their ids."""
        channels = [guild + n for n in range(1, count + 1)]
        await self.fake.join_guild(guild, channels)
        await self.seen(lambda client: all(client.get_channel(c) for c in channels))
        for channel in channels:
            await self.subscribe(channel, guild=guild)
        return channels

    async def deny(self, channel: int, permissions: discord.Permissions) -> None:
        """Take permissions away from the bot in a channel (a moderator edits its overwrites)."""
        await self.fake.deny(channel, permissions)
        await self.seen(lambda client: _overwritten(client.get_channel(channel)))

    async def leave(self, guild: int) -> None:
        """The guild removes the bot."""
        await self.fake.leave_guild(guild)
        await self.seen(lambda client: client.get_guild(guild) is None)

    async def delete(self, channel: int) -> None:
        """A moderator deletes the channel."""
        await self.fake.delete_channel(channel)
        await self.seen(lambda client: client.get_channel(channel) is None)

    async def run_due_at(self, when: datetime) -> dict[str, int]:
        """Set the clock to `when` and run what is due; return the service's counts."""
        self.clock.set(when)
        return await self.service.run_due()

    async def post_question(self) -> dict[str, Any]:
        """Run the 09:00 post; return the question, the one message in CHANNEL."""
        await self.run_due_at(POST_AT)
        (question,) = self.fake.in_channel(CHANNEL)
        return question

    async def question_thread(self) -> int:
        """Run the 09:00 post; return the id of the question's thread."""
        question = await self.post_question()
        return int(question["thread"]["id"])

    async def post_and_reveal(self) -> None:
        """Run the 09:00 post, then the reveal 6 h later."""
        await self.run_due_at(POST_AT)
        await self.run_due_at(REVEAL_AT)

    async def answered_by(self, thread_id: int, *people: Member) -> None:
        """Each person replies once in the thread; wait until exactly they are counted."""
        for person in people:
            await self.fake.user_message(thread_id, person)
        await self.counted(thread_id, *people)

    async def counted(self, thread_id: int, *people: Member) -> None:
        """Wait (at most 10 s) until exactly these people are counted in the thread, first first."""
        wanted = [person.id for person in people]
        thread = f"discord:{CHANNEL}:{thread_id}"  # the store's key for replies in the thread
        async with asyncio.timeout(10):
            while await self.store.thread_repliers(thread) != wanted:
                await asyncio.sleep(0.02)

    async def reveal(self, thread_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """Run the reveal; return the answer message and the body the bot sent for it."""
        assert await self.run_due_at(REVEAL_AT) == {"reveal-revealed": 1}
        (answer,) = self.fake.in_channel(thread_id)
        (call,) = self.fake.calls_to("POST", rf"/channels/{thread_id}/messages")
        body: dict[str, Any] = call.body
        return answer, body

    async def revealed_answer(self) -> dict[str, Any]:
        """Post, have MEMBER answer in the thread, reveal; return the answer message."""
        thread = await self.question_thread()
        await self.answered_by(thread, MEMBER)
        answer, _ = await self.reveal(thread)
        return answer

    async def rate(self, answer: dict[str, Any], choice: str, person: Member) -> dict[str, Any]:
        """`person` clicks the `choice` rating button under an answer; return the bot's reply."""
        return await self.fake.reply_to(await self.fake.click(answer, rate_button(answer, choice), person))

    @contextlib.asynccontextmanager
    async def restarted(self) -> AsyncIterator[DiscordAdapter]:
        """Stop the bot; run a freshly started one (as a new process would be) for the block."""
        await self.bot.stop()
        restarted = DiscordAdapter(self.service, config_for(self.fake))
        self.service.register_adapter(restarted)
        await restarted.start()
        try:
            yield restarted
        finally:
            await restarted.stop()


def _overwritten(channel: object) -> bool:
    return isinstance(channel, discord.abc.GuildChannel) and bool(channel.overwrites)


@pytest.fixture
def discord_world(
    discord_bot: DiscordAdapter,
    discord_service: PracticeService,
    discord_store: SqlStore,
    fake_discord: FakeDiscord,
    clock: FakeClock,
    berlin_schedule: Schedule,
) -> DiscordWorld:
    """The running bot on the fake Discord; nothing subscribed yet."""
    return DiscordWorld(discord_bot, discord_service, discord_store, fake_discord, clock, berlin_schedule)


@pytest.fixture
async def discord_subscription(discord_world: DiscordWorld) -> Subscription:
    """CHANNEL gets a question at 09:00 Berlin on weekdays, revealed 6 h later; mentions on."""
    return await discord_world.subscribe()


@pytest.fixture
def discord_daily(discord_world: DiscordWorld, discord_subscription: Subscription) -> DiscordWorld:
    """The running bot with CHANNEL subscribed (see `discord_subscription`)."""
    return discord_world
