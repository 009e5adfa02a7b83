"""The scheduler: jobs at the instants the schedule computes, catch-up at start-up, clean stop."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_ADDED

from bot.records import Subscription
from bot.schedule.clock import FakeClock
from bot.schedule.scheduler import PracticeScheduler
from bot.seam import Destination
from bot.service import Invocation, PracticeService
from bot.store import SqlStore
from tests.conftest import Subscribe
from tests.support.fakes import RecordingAdapter

# APScheduler fires on the wall clock, so these tests live in the future: nothing fires while
# they look at when jobs are set to run.
MONDAY_POST = datetime(2036, 11, 24, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_POST - timedelta(hours=1))


async def test_start_wakes_up_at_each_subscriptions_next_post(
    service: PracticeService, subscription: Subscription
) -> None:
    """Monday 07:00 UTC: the Berlin 09:00 subscription means a wake-up at 08:00 UTC today."""
    scheduler = PracticeScheduler(service)
    await scheduler.start()
    try:
        assert scheduler.wake_times() == [MONDAY_POST]
        assert scheduler.scheduler.get_job("reconcile") is not None
    finally:
        await scheduler.stop()
    assert not scheduler.running


async def test_start_up_catches_up_and_schedules_the_reveal(
    service: PracticeService, subscription: Subscription, clock: FakeClock, adapter: RecordingAdapter
) -> None:
    """Started 30 min after the post time: posts at once, then a reveal job at the due time."""
    clock.set(MONDAY_POST + timedelta(minutes=30))
    scheduler = PracticeScheduler(service)
    await scheduler.start()
    try:
        assert len(adapter.questions) == 1
        assert scheduler.wake_times() == [MONDAY_POST + timedelta(hours=6), MONDAY_POST + timedelta(days=1)]
    finally:
        await scheduler.stop()


async def test_subscribing_adds_a_wake_up_at_once(
    service: PracticeService, destination: Destination, clock: FakeClock
) -> None:
    """`subscribe 12:00 UTC daily` at 07:00: a wake-up at 12:00 today, without waiting for reconcile."""
    scheduler = PracticeScheduler(service)
    await scheduler.start()
    try:
        await service.handle_command(
            Invocation(destination, "U1", is_admin=True), "subscribe 12:00 UTC daily"
        )
        assert scheduler.wake_times() == [MONDAY_POST.replace(hour=12)]
    finally:
        await scheduler.stop()


async def test_subscriptions_due_at_the_same_instant_share_one_wake_up(
    service: PracticeService, subscribe: Subscribe
) -> None:
    """Fifty channels at 09:00 Berlin: one job, whose catch-up posts all fifty."""
    for n in range(50):
        await subscribe(where=Destination("fake", f"C{n}", "T1"))
    scheduler = PracticeScheduler(service)
    await scheduler.start()
    try:
        assert scheduler.wake_times() == [MONDAY_POST]
    finally:
        await scheduler.stop()


async def test_posts_sharing_a_reveal_instant_add_its_wake_up_once(
    service: PracticeService, subscribe: Subscribe, clock: FakeClock, adapter: RecordingAdapter
) -> None:
    """Fifty posts sent in one catch-up, all revealed at 14:00: the 14:00 wake-up is added once."""
    for n in range(50):
        await subscribe(where=Destination("fake", f"C{n}", "T1"))
    clock.set(MONDAY_POST + timedelta(minutes=30))
    scheduler = PracticeScheduler(service)
    added: Counter[str] = Counter()
    scheduler.scheduler.add_listener(lambda event: added.update([event.job_id]), EVENT_JOB_ADDED)
    await scheduler.start()
    try:
        assert len(adapter.questions) == 50
        assert added[f"wake:{(MONDAY_POST + timedelta(hours=6)).isoformat()}"] == 1
    finally:
        await scheduler.stop()


async def test_a_wake_up_posts_what_is_due_and_skips_paused_channels(
    service: PracticeService,
    subscribe: Subscribe,
    store: SqlStore,
    clock: FakeClock,
    adapter: RecordingAdapter,
) -> None:
    """The wake-up runs the catch-up: the active channel is posted, the paused one is not."""
    active = await subscribe(where=Destination("fake", "C1", "T1"))
    paused = await subscribe(where=Destination("fake", "C2", "T1"))
    await store.set_paused(paused.id, True, "paused by an admin", clock.now())
    scheduler = PracticeScheduler(service)
    await scheduler.start()
    try:
        clock.set(MONDAY_POST)
        await scheduler._wake()
        assert len(adapter.questions) == 1
        assert (await store.latest_post(active.id)) is not None
        assert (await store.latest_post(paused.id)) is None
    finally:
        await scheduler.stop()


async def test_two_schedulers_sharing_one_database_post_once(
    service_factory: Callable[..., PracticeService], subscription: Subscription, clock: FakeClock
) -> None:
    """Two processes start together after the post time: one post between them."""
    clock.set(MONDAY_POST + timedelta(minutes=5))
    first, second = RecordingAdapter(), RecordingAdapter()
    schedulers = [
        PracticeScheduler(service_factory(adapters={"fake": first})),
        PracticeScheduler(service_factory(adapters={"fake": second})),
    ]
    await asyncio.gather(*(s.start() for s in schedulers))
    try:
        assert len(first.questions) + len(second.questions) == 1
    finally:
        await asyncio.gather(*(s.stop() for s in schedulers))
