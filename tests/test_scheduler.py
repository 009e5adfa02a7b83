"""The scheduler: jobs at the instants the schedule computes, catch-up at start-up, clean stop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.bank import Filters
from bot.clock import FakeClock
from bot.schedule import Schedule
from bot.scheduler import PracticeScheduler
from bot.seam import Destination
from bot.service import Invocation, PracticeService
from bot.store import SqlStore
from tests.fakes import RecordingAdapter

# APScheduler fires on the wall clock, so these tests live in the future: nothing fires while
# they look at when jobs are set to run.
MONDAY_POST = datetime(2036, 11, 24, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_POST - timedelta(hours=1))


async def test_start_schedules_each_subscription_at_its_next_post(
    service: PracticeService,
    store: SqlStore,
    destination: Destination,
    berlin_schedule: Schedule,
    clock: FakeClock,
) -> None:
    """Monday 07:00 UTC: the Berlin 09:00 subscription's job runs at 08:00 UTC today."""
    subscription = await store.save_subscription(destination, berlin_schedule, Filters(), clock.now())
    scheduler = PracticeScheduler(service)
    await scheduler.start()
    try:
        job = scheduler.scheduler.get_job(f"post:{subscription.id}")
        assert job is not None and job.next_run_time == MONDAY_POST
        assert scheduler.scheduler.get_job("reconcile") is not None
    finally:
        await scheduler.stop()
    assert not scheduler.running


async def test_start_up_catches_up_and_schedules_the_reveal(
    service: PracticeService,
    store: SqlStore,
    destination: Destination,
    berlin_schedule: Schedule,
    clock: FakeClock,
    adapter: RecordingAdapter,
) -> None:
    """Started 30 min after the post time: posts at once, then a reveal job at the due time."""
    await store.save_subscription(destination, berlin_schedule, Filters(), clock.now())
    clock.set(MONDAY_POST + timedelta(minutes=30))
    scheduler = PracticeScheduler(service)
    await scheduler.start()
    try:
        assert len(adapter.questions) == 1
        reveal_jobs = [j for j in scheduler.scheduler.get_jobs() if j.id.startswith("reveal:")]
        assert [j.next_run_time for j in reveal_jobs] == [MONDAY_POST + timedelta(hours=6)]
        post_job = scheduler.scheduler.get_job("post:1")
        assert post_job is not None and post_job.next_run_time == MONDAY_POST + timedelta(days=1)
    finally:
        await scheduler.stop()


async def test_subscription_changes_reschedule_and_pauses_drop_the_job(
    service: PracticeService, destination: Destination, clock: FakeClock
) -> None:
    """subscribe adds a job at once; pause removes it; resume brings it back."""
    scheduler = PracticeScheduler(service)
    await scheduler.start()
    try:
        admin = Invocation(destination, "U1", is_admin=True)
        await service.handle_command(admin, "subscribe 12:00 UTC daily")
        job = scheduler.scheduler.get_job("post:1")
        assert job is not None and job.next_run_time == MONDAY_POST.replace(hour=12)
        await service.handle_command(admin, "pause")
        assert scheduler.scheduler.get_job("post:1") is None
        await service.handle_command(admin, "resume")
        assert scheduler.scheduler.get_job("post:1") is not None
    finally:
        await scheduler.stop()


async def test_two_schedulers_sharing_one_database_post_once(
    service_factory: Callable[..., PracticeService],
    store: SqlStore,
    destination: Destination,
    berlin_schedule: Schedule,
    clock: FakeClock,
) -> None:
    """Two processes start together after the post time: one post between them."""
    await store.save_subscription(destination, berlin_schedule, Filters(), clock.now())
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
