"""Crash safety of sends: a message the platform accepted is found again by its key, never sent twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.records import Subscription
from bot.schedule.clock import FakeClock
from bot.seam import ThreadRef
from bot.service import PracticeService
from bot.store import SqlStore
from tests.support.fakes import RecordingAdapter

POST_AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
REVEAL_AT = POST_AT + timedelta(hours=6)


async def test_a_post_whose_reply_was_lost_is_found_on_retry_not_sent_again(
    service: PracticeService, adapter: RecordingAdapter, subscription: Subscription, clock: FakeClock
) -> None:
    """The platform took the post but the answer never came back: the retry adopts the delivered message."""
    adapter.lose_replies = 1
    clock.set(POST_AT)
    assert (await service.run_due())["failed"] == 1
    clock.advance(timedelta(minutes=1))
    assert (await service.run_due())["posted"] == 1
    assert len(adapter.questions) == 1 and adapter.lookups == 1
    post = await service.store.latest_post(subscription.id)
    assert post is not None and post.thread is not None and post.thread.message_id == "m1"


async def test_a_claim_left_by_a_process_killed_after_sending_is_taken_over_without_a_duplicate(
    service_factory: Callable[..., PracticeService],
    adapter: RecordingAdapter,
    subscription: Subscription,
    clock: FakeClock,
    store: SqlStore,
) -> None:
    """A died after the platform accepted its post; B takes the claim over after the lease and finds it."""
    crashed = service_factory(owner="process-a")
    survivor = service_factory(owner="process-b")
    clock.set(POST_AT)
    claim = await store.claim_post(
        subscription.id, POST_AT.date(), POST_AT, REVEAL_AT, clock.now(), crashed.config.lease, crashed.owner
    )
    assert claim is not None
    await store.set_post_question(claim.post_id, "keras-easy")
    await store.mark_posts_sending([claim.post_id], clock.now())
    adapter.delivered[f"mlq-post-{claim.post_id}"] = ThreadRef(subscription.destination, "m-from-a")
    clock.advance(crashed.config.lease + timedelta(seconds=1))
    assert (await survivor.run_due())["posted"] == 1
    assert adapter.questions == [] and adapter.lookups == 1
    post = await store.get_post(claim.post_id)
    assert post is not None and post.thread is not None and post.thread.message_id == "m-from-a"


async def test_a_claim_taken_over_before_its_send_started_is_sent_without_a_lookup(
    service_factory: Callable[..., PracticeService],
    adapter: RecordingAdapter,
    subscription: Subscription,
    clock: FakeClock,
    store: SqlStore,
) -> None:
    """A died holding a claim it never started sending: B sends it as a first attempt (no history read)."""
    crashed = service_factory(owner="process-a")
    survivor = service_factory(owner="process-b")
    clock.set(POST_AT)
    claim = await store.claim_post(
        subscription.id, POST_AT.date(), POST_AT, REVEAL_AT, clock.now(), crashed.config.lease, crashed.owner
    )
    assert claim is not None
    clock.advance(crashed.config.lease + timedelta(seconds=1))
    assert (await survivor.run_due())["posted"] == 1
    assert len(adapter.questions) == 1 and adapter.lookups == 0


async def test_a_reveal_whose_reply_was_lost_is_not_posted_twice(
    service: PracticeService, adapter: RecordingAdapter, subscription: Subscription, clock: FakeClock
) -> None:
    """The answer reached the thread but the send raised: the retry sees it and only records it."""
    clock.set(POST_AT)
    await service.run_due()
    adapter.lose_replies = 1
    clock.set(REVEAL_AT)
    assert (await service.run_due())["reveal-failed"] == 1
    assert (await service.run_due())["reveal-revealed"] == 1
    assert len(adapter.answers) == 1 and adapter.lookups == 1


async def test_first_attempts_do_not_look_anything_up(
    service: PracticeService, adapter: RecordingAdapter, subscription: Subscription, clock: FakeClock
) -> None:
    """The lookup costs an API call, so only retries make it."""
    clock.set(POST_AT)
    await service.run_due()
    clock.set(REVEAL_AT)
    await service.run_due()
    assert adapter.lookups == 0 and len(adapter.delivered) == 2
