"""Fixtures for the Discord adapter tests: a fake Discord (REST + gateway) on loopback."""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import discord
import pytest

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.client import DiscordConfig
from adapters.discord.render import Outgoing
from bot.content.bank import QuestionBank
from bot.schedule.clock import FakeClock
from bot.schedule.selection import Rotation
from bot.seam import Destination
from bot.service import PracticeService, ServiceConfig
from bot.store import SqlStore, open_store
from bot.store.sql_store import sqlite_url
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


def where(channel: int = CHANNEL) -> Destination:
    """Return the core's destination for a channel of the test guild."""
    return Destination("discord", str(channel), str(GUILD))


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


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A fake Discord with one guild and two text channels."""
    fake = FakeDiscord()
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
