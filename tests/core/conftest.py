"""Fixtures the core's tests share: the service's world, with or without C1 subscribed."""

from __future__ import annotations

import pytest

from bot.records import Subscription
from bot.schedule.clock import FakeClock
from bot.schedule.rules import Schedule
from bot.seam import Destination
from bot.service import PracticeService
from bot.store import SqlStore
from tests.support.core_support import CoreWorld
from tests.support.fakes import RecordingAdapter


@pytest.fixture
def world(
    service: PracticeService,
    adapter: RecordingAdapter,
    store: SqlStore,
    clock: FakeClock,
    destination: Destination,
    berlin_schedule: Schedule,
) -> CoreWorld:
    """The service with the recording adapter behind it; nothing subscribed yet."""
    return CoreWorld(service, adapter, store, clock, destination, berlin_schedule)


@pytest.fixture
def daily(world: CoreWorld, subscription: Subscription) -> CoreWorld:
    """The world with C1 subscribed to 09:00 Berlin on weekdays, revealed 6 h later, mentions on."""
    return world
