"""Fixtures of the Slack adapter tests that run under Slack's rate limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from adapters.slack.adapter import SlackAdapter
from adapters.slack.pacing import SlackRates
from bot.schedule.clock import FakeClock
from bot.schedule.rules import Schedule
from bot.seam import Destination
from bot.service import PracticeService
from bot.store import SqlStore
from tests.support.slack_limits import SlackLimits
from tests.support.slack_support import FakeSlack, SlackWorld, build_slack_adapter

# Slack's clock runs this much faster in these tests (the fake's and the adapter's alike): a minute
# of history budget passes in 3 s, a workspace's 300 posts a minute become 100 a second.
SPEED = 20.0


@pytest.fixture
async def paced_world(
    fake_slack: FakeSlack,
    service: PracticeService,
    store: SqlStore,
    clock: FakeClock,
    http_client: aiohttp.ClientSession,
    slack_channel: Destination,
    berlin_schedule: Schedule,
) -> AsyncIterator[SlackWorld]:
    """The adapter keeping to Slack's stated limits against a fake that enforces them, both `SPEED`
    times faster than real time; nothing subscribed yet."""
    fake_slack.limits = SlackLimits(speed=SPEED)
    adapter: SlackAdapter = build_slack_adapter(service, fake_slack, "http", rates=SlackRates(speed=SPEED))
    await adapter.start()
    yield SlackWorld(adapter, fake_slack, service, store, clock, http_client, slack_channel, berlin_schedule)
    await adapter.stop()
