"""The daily fan-out in chunks: claimed, drawn and recorded a chunk at a time, each post sent once."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.content.bank import Filters, QuestionBank
from bot.messages import QuestionCard
from bot.records import Subscription
from bot.schedule.clock import FakeClock
from bot.schedule.rules import Schedule, latest_slot
from bot.schedule.selection import Rotation
from bot.seam import Delivery, Destination, ThreadRef
from bot.service import PracticeService, ServiceConfig
from bot.store import SqlStore
from bot.store.protocol import PostRequest
from bot.store.tables import posts
from tests.support.fakes import RecordingAdapter

# Monday 23 November 2026, 09:00 in Berlin is 08:00 UTC.
POST_AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


async def _subscribe(store: SqlStore, schedule: Schedule, clock: FakeClock, count: int) -> list[Subscription]:
    return [
        await store.save_subscription(Destination("fake", f"C{n:03d}"), schedule, Filters(), clock.now())
        for n in range(count)
    ]


async def _statuses(store: SqlStore) -> dict[str, int]:
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(posts.c.status, func.count()).group_by(posts.c.status))).all()
    return {status: count for status, count in rows}


class CountingStore:
    """Passes every call through to the store and counts the calls by method."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return await method(*args, **kwargs)

        return counted


async def test_two_subscriptions_sharing_a_rotation_in_one_chunk_get_different_questions(
    service: PracticeService,
    store: SqlStore,
    berlin_schedule: Schedule,
    adapter: RecordingAdapter,
    clock: FakeClock,
) -> None:
    """Drawn together from one scope's rotation, the second draw sees the first: two questions."""
    first, second = await _subscribe(store, berlin_schedule, clock, 2)
    second = replace(second, destination=first.destination)  # same channel, so the same rotation
    clock.set(POST_AT)
    slot = latest_slot(berlin_schedule, clock.now())
    assert slot is not None
    outcomes = await service.daily.post_slots([(first, slot), (second, slot)])
    assert outcomes == ["posted", "posted"]
    asked = [card.question_id for card in adapter.questions]
    assert len(set(asked)) == 2
    assert sorted((await store.rotation(first.rotation_scope))[1]) == sorted(asked)


async def test_racing_fan_outs_in_several_chunks_post_each_subscription_once(
    service_factory: Callable[..., PracticeService],
    store: SqlStore,
    berlin_schedule: Schedule,
    adapter: RecordingAdapter,
    clock: FakeClock,
) -> None:
    """45 channels in chunks of 10, two services racing, then a third pass: 45 posts, one each."""
    subscriptions = await _subscribe(store, berlin_schedule, clock, 45)
    config = ServiceConfig(default_zone=ZoneInfo("Europe/Berlin"), send_concurrency=1)
    a, b = service_factory(config=config), service_factory(config=config)
    assert a.daily.chunk_size == 10
    clock.set(POST_AT)
    counts = await asyncio.gather(a.run_due(), b.run_due())
    again = await a.run_due()
    assert sum(c.get("posted", 0) for c in counts) == 45 and "posted" not in again
    assert len(adapter.questions) == 45 and len(adapter.delivered) == 45
    assert await store.post_keys([POST_AT.date()]) == {(s.id, POST_AT.date()) for s in subscriptions}


async def test_a_chunk_costs_one_claim_one_read_and_one_record_of_its_draws(
    service_factory: Callable[..., PracticeService],
    store: SqlStore,
    bank: QuestionBank,
    berlin_schedule: Schedule,
    adapter: RecordingAdapter,
    clock: FakeClock,
) -> None:
    """25 posts in chunks of 10, 10 and 5: three of each batch call, none of the per-post ones."""
    await _subscribe(store, berlin_schedule, clock, 25)
    counting = CountingStore(store)
    config = ServiceConfig(default_zone=ZoneInfo("Europe/Berlin"), send_concurrency=1)
    rotation = Rotation(bank, counting, random.Random(3))
    service = service_factory(store=counting, config=config, rotation=rotation)
    clock.set(POST_AT)
    assert (await service.run_due())["posted"] == 25
    batch = {name: counting.calls[name] for name in ("claim_posts", "rotations", "record_draws")}
    assert batch == {"claim_posts": 3, "rotations": 3, "record_draws": 3}
    per_post = ("claim_post", "rotation", "record_asked", "set_post_question", "mark_post_sent")
    assert not any(counting.calls[name] for name in per_post)


class HeldOpen(RecordingAdapter):
    """A platform whose sends all wait until the test opens the gate."""

    gate: asyncio.Event

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def post_question(
        self, destination: Destination, card: QuestionCard, delivery: Delivery | None = None
    ) -> ThreadRef:
        await self.gate.wait()
        return await super().post_question(destination, card, delivery)


async def _claimed_by(store: SqlStore, owner: str) -> int:
    async with store.engine.connect() as conn:
        query = select(func.count()).select_from(posts).where(posts.c.claimed_by == owner)
        return int((await conn.execute(query)).scalar_one())


async def test_a_chunk_taken_by_another_replica_does_not_hold_up_the_next_claim(
    service_factory: Callable[..., PracticeService],
    store: SqlStore,
    berlin_schedule: Schedule,
    clock: FakeClock,
) -> None:
    """Chunks of 10, the second held by another replica: the third is claimed while the first is
    still sending, so this replica's send slots never wait on a chunk it lost."""
    subscriptions = await _subscribe(store, berlin_schedule, clock, 30)
    clock.set(POST_AT)
    slot = latest_slot(berlin_schedule, clock.now())
    assert slot is not None
    held = [PostRequest(s.id, slot.local_date, slot.post_at, slot.reveal_at) for s in subscriptions[10:20]]
    assert len(await store.claim_posts(held, clock.now(), timedelta(minutes=5), "another replica")) == 10
    platform = HeldOpen()
    config = ServiceConfig(default_zone=ZoneInfo("Europe/Berlin"), send_concurrency=1)
    service = service_factory(adapters={"fake": platform}, config=config)
    fan_out = asyncio.create_task(service.run_due())
    try:
        async with asyncio.timeout(10):  # a deadline for the failure, not a measured time
            while await _claimed_by(store, service.owner) < 20:
                await asyncio.sleep(0.01)
    finally:
        platform.gate.set()
        counts = await fan_out
    assert counts["posted"] == 20


async def test_sends_in_flight_together_share_their_start_and_sent_records(
    service_factory: Callable[..., PracticeService],
    store: SqlStore,
    berlin_schedule: Schedule,
    clock: FakeClock,
) -> None:
    """25 sends at once: their starts are written together, and so are their sends (not 25 of each)."""
    await _subscribe(store, berlin_schedule, clock, 25)
    counting = CountingStore(store)
    config = ServiceConfig(default_zone=ZoneInfo("Europe/Berlin"), send_concurrency=25)
    service = service_factory(store=counting, config=config)
    clock.set(POST_AT)
    assert (await service.run_due())["posted"] == 25
    assert counting.calls["mark_posts_sending"] <= 2 and counting.calls["mark_posts_sent"] <= 2


class StopAfterFirstSend(RecordingAdapter):
    """Asks the service to shut down as soon as the first question is out."""

    service: PracticeService | None = None

    async def post_question(
        self, destination: Destination, card: QuestionCard, delivery: Delivery | None = None
    ) -> ThreadRef:
        thread = await super().post_question(destination, card, delivery)
        if self.service is not None:
            self.service.begin_shutdown()
        return thread


async def test_shutting_down_mid_chunk_records_the_send_and_gives_up_the_other_claims(
    service_factory: Callable[..., PracticeService],
    store: SqlStore,
    berlin_schedule: Schedule,
    clock: FakeClock,
) -> None:
    """One post went out before the shutdown: it is recorded sent, the rest are left for a retry,
    none stays claimed; the next process posts the rest, each once."""
    await _subscribe(store, berlin_schedule, clock, 5)
    stopping = StopAfterFirstSend()
    stopping.service = service_factory(adapters={"fake": stopping})
    clock.set(POST_AT)
    assert await stopping.service.run_due() == {"posted": 1}
    assert await _statuses(store) == {"sent": 1, "failed": 4}
    successor = RecordingAdapter()
    assert (await service_factory(adapters={"fake": successor}).run_due())["posted"] == 4
    assert len(stopping.questions) + len(successor.questions) == 5
    assert await _statuses(store) == {"sent": 5}
