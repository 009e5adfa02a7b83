"""Sends per platform limit key: a workspace whose sends wait for its budget holds up no other."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.content.bank import Filters
from bot.messages import QuestionCard
from bot.schedule.clock import FakeClock
from bot.schedule.lanes import fair_order
from bot.schedule.rules import Schedule
from bot.seam import Delivery, Destination, ThreadRef
from bot.service import PracticeService, ServiceConfig
from bot.store import SqlStore
from tests.support.fakes import RecordingAdapter

# Monday 23 November 2026, 09:00 in Berlin is 08:00 UTC.
POST_AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
REVEAL_AT = POST_AT + timedelta(hours=6)


@dataclass
class HeldAdapter(RecordingAdapter):
    """Holds every post to the workspace `held` (or every retry's lookup) until `release` is set, as a
    platform budget that ran out would."""

    held: str = "TBIG"
    hold_retries: bool = False
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def post_question(
        self, destination: Destination, card: QuestionCard, delivery: Delivery | None = None
    ) -> ThreadRef:
        retry = delivery is not None and delivery.retry
        if (retry and self.hold_retries) or (not self.hold_retries and destination.workspace_id == self.held):
            await self.release.wait()
        return await super().post_question(destination, card, delivery)


async def subscribe(store: SqlStore, schedule: Schedule, clock: FakeClock, team: str, count: int) -> None:
    for n in range(count):
        where = Destination("fake", f"{team}-C{n:03d}", team)
        await store.save_subscription(where, schedule, Filters(), clock.now())


def posted_to(adapter: RecordingAdapter, team: str) -> int:
    return sum(1 for key in adapter.delivered.values() if key.destination.workspace_id == team)


async def until(check: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):
        while not check():
            await asyncio.sleep(0.01)


def test_due_work_is_ordered_round_robin_over_its_keys() -> None:
    """Each key's items keep their order; the keys take turns."""
    items = ["a1", "a2", "a3", "b1", "c1", "c2"]
    assert fair_order(items, key=lambda item: item[0]) == ["a1", "b1", "c1", "a2", "c2", "a3"]


async def test_a_workspace_waiting_for_its_budget_does_not_hold_the_others(
    service_factory: Callable[..., PracticeService],
    store: SqlStore,
    berlin_schedule: Schedule,
    clock: FakeClock,
) -> None:
    """30 channels of one workspace are held; the 3 of another go out meanwhile, then all 33 once."""
    adapter = HeldAdapter()
    await subscribe(store, berlin_schedule, clock, "TBIG", 30)
    await subscribe(store, berlin_schedule, clock, "TSMALL", 3)
    config = ServiceConfig(default_zone=ZoneInfo("Europe/Berlin"), send_concurrency=2)
    service = service_factory(adapters={"fake": adapter}, config=config)
    clock.set(POST_AT)
    fan_out = asyncio.create_task(service.run_due())
    await until(lambda: posted_to(adapter, "TSMALL") == 3)
    assert posted_to(adapter, "TBIG") == 0
    adapter.release.set()
    assert (await fan_out)["posted"] == 33
    assert len(adapter.questions) == 33


async def test_retries_looking_for_an_earlier_send_do_not_hold_first_attempts(
    service_factory: Callable[..., PracticeService],
    store: SqlStore,
    berlin_schedule: Schedule,
    clock: FakeClock,
) -> None:
    """Three posts of a workspace are retries whose lookups wait; its 3 first attempts go out meanwhile."""
    adapter = HeldAdapter(hold_retries=True)
    await subscribe(store, berlin_schedule, clock, "T1", 6)
    config = ServiceConfig(default_zone=ZoneInfo("Europe/Berlin"), send_concurrency=1)
    crashed = service_factory(adapters={"fake": adapter}, config=config, owner="crashed")
    clock.set(POST_AT)
    subscriptions = (await store.list_subscriptions())[:3]
    for subscription in subscriptions:
        claim = await store.claim_post(
            subscription.id, POST_AT.date(), POST_AT, REVEAL_AT, clock.now(), config.lease, crashed.owner
        )
        assert claim is not None
        await store.set_post_question(claim.post_id, "keras-easy")
        await store.mark_posts_sending([claim.post_id], clock.now())
    clock.advance(config.lease + timedelta(seconds=1))
    survivor = service_factory(adapters={"fake": adapter}, config=config, owner="survivor")
    fan_out = asyncio.create_task(survivor.run_due())
    await until(lambda: len(adapter.questions) == 3)
    adapter.release.set()
    assert (await fan_out)["posted"] == 6
    assert len(adapter.questions) == 6
