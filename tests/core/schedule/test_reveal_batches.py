"""The reveal fan-out in chunks: claimed a chunk at a time, repliers read and reveals recorded in
batches shared by the sends in flight, each answer sent once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.content.bank import Filters
from bot.messages import AnswerCard
from bot.schedule.clock import FakeClock
from bot.schedule.rules import Schedule
from bot.seam import Delivery, Destination, ThreadRef
from bot.service import PracticeService, ServiceConfig
from bot.store import SqlStore
from bot.store.tables import reveals
from tests.core.schedule.test_fanout_batches import POST_AT, CountingStore
from tests.support.fakes import RecordingAdapter

# The Berlin schedule reveals six hours after its 09:00 post.
REVEAL_AT = POST_AT + timedelta(hours=6)


async def _posted(
    service_factory: Callable[..., PracticeService],
    store: SqlStore,
    schedule: Schedule,
    clock: FakeClock,
    count: int,
) -> None:
    """`count` channels with today's question posted, their reveals due."""
    for n in range(count):
        await store.save_subscription(Destination("fake", f"C{n:03d}"), schedule, Filters(), clock.now())
    clock.set(POST_AT)
    assert (await service_factory(adapters={"fake": RecordingAdapter()}).run_due())["posted"] == count
    clock.set(REVEAL_AT)


def _answered(adapter: RecordingAdapter) -> list[ThreadRef]:
    threads: list[ThreadRef] = []
    for kind, detail in adapter.calls:
        if kind == "answer":
            assert isinstance(detail, tuple)
            threads.append(detail[0])
    return threads


async def _reveal_statuses(store: SqlStore) -> dict[str, int]:
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(reveals.c.status, func.count()).group_by(reveals.c.status))).all()
    return {status: count for status, count in rows}


async def test_reveals_are_claimed_a_chunk_at_a_time_with_no_per_reveal_store_call(
    service_factory: Callable[..., PracticeService],
    store: SqlStore,
    berlin_schedule: Schedule,
    clock: FakeClock,
) -> None:
    """25 reveals in chunks of 10, 10 and 5: three subscription reads and three claims."""
    await _posted(service_factory, store, berlin_schedule, clock, 25)
    counting = CountingStore(store)
    config = ServiceConfig(default_zone=ZoneInfo("Europe/Berlin"), send_concurrency=1)
    service = service_factory(store=counting, config=config)
    assert (await service.run_due())["reveal-revealed"] == 25
    batch = {name: counting.calls[name] for name in ("subscriptions_by_ids", "claim_reveals")}
    assert batch == {"subscriptions_by_ids": 3, "claim_reveals": 3}
    per_reveal = ("claim_reveal", "get_subscription_by_id", "thread_repliers", "mark_reveal_sent")
    assert not any(counting.calls[name] for name in per_reveal)


async def test_reveals_in_flight_together_share_their_repliers_read_and_sent_record(
    service_factory: Callable[..., PracticeService],
    store: SqlStore,
    berlin_schedule: Schedule,
    clock: FakeClock,
) -> None:
    """25 answers at once: who replied is read together, and the reveals are recorded together."""
    await _posted(service_factory, store, berlin_schedule, clock, 25)
    counting = CountingStore(store)
    config = ServiceConfig(default_zone=ZoneInfo("Europe/Berlin"), send_concurrency=25)
    service = service_factory(store=counting, config=config)
    assert (await service.run_due())["reveal-revealed"] == 25
    assert counting.calls["threads_repliers"] <= 2 and counting.calls["mark_reveals_sent"] <= 2


async def test_racing_revealers_send_each_answer_once(
    service_factory: Callable[..., PracticeService],
    store: SqlStore,
    berlin_schedule: Schedule,
    clock: FakeClock,
) -> None:
    """Two processes revealing the same 30 posts at once in overlapping chunks: 30 answers in all."""
    await _posted(service_factory, store, berlin_schedule, clock, 30)
    config = ServiceConfig(default_zone=ZoneInfo("Europe/Berlin"), send_concurrency=1)
    first, second = RecordingAdapter(), RecordingAdapter()
    await asyncio.gather(
        service_factory(adapters={"fake": first}, config=config).run_due(),
        service_factory(adapters={"fake": second}, config=config).run_due(),
    )
    answered = _answered(first) + _answered(second)
    assert len(answered) == 30 and len(set(answered)) == 30
    assert await _reveal_statuses(store) == {"sent": 30}


class StopAfterFirstAnswer(RecordingAdapter):
    """Asks the service to shut down as soon as the first answer is out."""

    service: PracticeService | None = None

    async def post_answer(
        self, thread: ThreadRef, card: AnswerCard, delivery: Delivery | None = None
    ) -> None:
        await super().post_answer(thread, card, delivery)
        if self.service is not None:
            self.service.begin_shutdown()


async def test_shutting_down_mid_chunk_records_the_reveal_and_gives_up_the_other_claims(
    service_factory: Callable[..., PracticeService],
    store: SqlStore,
    berlin_schedule: Schedule,
    clock: FakeClock,
) -> None:
    """Answers sent one at a time, the first followed by a shutdown: it is recorded sent; the other
    claims are dropped (not marked failed: no send started, so no retry need look for one); the
    next process sends the other answers, each once."""
    await _posted(service_factory, store, berlin_schedule, clock, 5)
    stopping = StopAfterFirstAnswer()
    config = ServiceConfig(default_zone=ZoneInfo("Europe/Berlin"), send_concurrency=1)
    stopping.service = service_factory(adapters={"fake": stopping}, config=config)
    assert await stopping.service.run_due() == {"reveal-revealed": 1}
    assert await _reveal_statuses(store) == {"sent": 1}
    successor = RecordingAdapter()
    assert (await service_factory(adapters={"fake": successor}).run_due())["reveal-revealed"] == 4
    assert len(set(_answered(stopping) + _answered(successor))) == 5
    assert await _reveal_statuses(store) == {"sent": 5}


async def test_a_taken_over_claim_given_up_at_shutdown_stays_a_retry(
    service_factory: Callable[..., PracticeService],
    store: SqlStore,
    berlin_schedule: Schedule,
    clock: FakeClock,
) -> None:
    """Every reveal was claimed by a process that died (its answers may be out): those not sent
    before the shutdown are handed back as failed, so the next attempt looks for the earlier one."""
    await _posted(service_factory, store, berlin_schedule, clock, 5)
    due = await store.posts_awaiting_reveal(due_by=clock.now())
    dead_at = clock.now() - timedelta(minutes=10)
    assert len(await store.claim_reveals([p.id for p in due], dead_at, timedelta(minutes=5), "dead")) == 5
    stopping = StopAfterFirstAnswer()
    config = ServiceConfig(default_zone=ZoneInfo("Europe/Berlin"), send_concurrency=1)
    stopping.service = service_factory(adapters={"fake": stopping}, config=config)
    assert await stopping.service.run_due() == {"reveal-revealed": 1}
    assert await _reveal_statuses(store) == {"sent": 1, "failed": 4}
