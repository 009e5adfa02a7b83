"""The daily cycle: post once per local date, reveal once in the thread, survive restarts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.content.bank import Filters
from bot.messages import CardKind, NoticeKind, QuestionCard
from bot.records import Subscription
from bot.schedule.clock import FakeClock
from bot.schedule.rules import Schedule
from bot.seam import Destination
from bot.service import Invocation, PracticeService
from bot.store import SqlStore
from tests.conftest import Subscribe
from tests.support.fakes import RecordingAdapter

# Monday 23 November 2026, 09:00 in Berlin is 08:00 UTC; the reveal is 6 h later.
POST_AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
REVEAL_AT = POST_AT + timedelta(hours=6)


async def test_a_due_post_is_sent_once(
    service: PracticeService,
    subscription: Subscription,
    adapter: RecordingAdapter,
    clock: FakeClock,
) -> None:
    """At 09:00 local the question is posted with its reveal time; running again sends nothing."""
    clock.set(POST_AT)
    await service.run_due()
    await service.run_due()
    assert len(adapter.questions) == 1
    card = adapter.questions[0]
    assert card.kind is CardKind.DAILY and card.reveal_at == REVEAL_AT


async def test_nothing_is_posted_before_the_time(
    service: PracticeService,
    subscription: Subscription,
    adapter: RecordingAdapter,
    clock: FakeClock,
) -> None:
    """At 08:59 local Monday nothing is due yet (Friday's slot is long past the grace window)."""
    clock.set(POST_AT - timedelta(minutes=1))
    await service.run_due()
    assert adapter.questions == []


async def test_the_reveal_goes_in_the_question_thread_once(
    service: PracticeService,
    subscription: Subscription,
    adapter: RecordingAdapter,
    clock: FakeClock,
) -> None:
    """At reveal time the answer is posted in the question's thread and the question marked."""
    clock.set(POST_AT)
    await service.run_due()
    clock.set(REVEAL_AT)
    await service.run_due()
    await service.run_due()
    assert len(adapter.answers) == 1
    thread, answer = adapter.answers[0]
    assert thread.message_id == "m1"
    assert answer.question_id == adapter.questions[0].question_id
    revealed = adapter.of("revealed")
    assert len(revealed) == 1 and revealed[0][1].revealed  # type: ignore[index]


async def test_the_reveal_waits_for_its_time(
    service: PracticeService,
    subscription: Subscription,
    adapter: RecordingAdapter,
    clock: FakeClock,
) -> None:
    """A minute before the reveal instant nothing is revealed."""
    clock.set(POST_AT)
    await service.run_due()
    clock.set(REVEAL_AT - timedelta(minutes=1))
    await service.run_due()
    assert adapter.answers == []


async def test_a_restart_between_post_and_reveal_reveals_once(
    service_factory: Callable[..., PracticeService],
    subscription: Subscription,
    adapter: RecordingAdapter,
    clock: FakeClock,
) -> None:
    """A process posts and dies; the next process, started after the reveal time, reveals once."""
    clock.set(POST_AT)
    await service_factory().run_due()
    clock.set(REVEAL_AT + timedelta(hours=3))  # the bot was down at reveal time
    restarted = service_factory()
    await restarted.run_due()
    await restarted.run_due()
    await service_factory().run_due()
    assert len(adapter.answers) == 1


async def test_a_post_missed_beyond_the_grace_window_is_skipped_and_logged(
    service: PracticeService,
    subscription: Subscription,
    adapter: RecordingAdapter,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Back up at 11:01 local (3 h late, grace 2 h): no late post, one log line."""
    clock.set(POST_AT + timedelta(hours=2, minutes=1))
    with caplog.at_level(logging.WARNING):
        await service.run_due()
        await service.run_due()
    assert adapter.questions == []
    skipped = [r for r in caplog.records if "skipped daily post" in r.getMessage()]
    assert len(skipped) == 1 and f"subscription={subscription.id}" in skipped[0].getMessage()


async def test_a_post_missed_inside_the_grace_window_is_posted_once(
    service_factory: Callable[..., PracticeService],
    subscription: Subscription,
    adapter: RecordingAdapter,
    clock: FakeClock,
) -> None:
    """Back up at 10:30 local (90 min late): posted once, even with a second restart."""
    clock.set(POST_AT + timedelta(minutes=90))
    await service_factory().run_due()
    await service_factory().run_due()
    assert len(adapter.questions) == 1


async def test_two_processes_sharing_a_database_post_once(
    service_factory: Callable[..., PracticeService],
    subscription: Subscription,
    clock: FakeClock,
) -> None:
    """Two services racing on the same due slot and reveal: one post, one reveal in total."""
    first, second = RecordingAdapter(), RecordingAdapter()
    a = service_factory(adapters={"fake": first})
    b = service_factory(adapters={"fake": second})
    clock.set(POST_AT)
    await asyncio.gather(a.run_due(), b.run_due(), a.run_due(), b.run_due())
    clock.set(REVEAL_AT)
    await asyncio.gather(a.run_due(), b.run_due(), a.run_due(), b.run_due())
    assert len(first.questions) + len(second.questions) == 1
    assert len(first.answers) + len(second.answers) == 1


async def test_a_claim_left_by_a_crashed_process_is_taken_over_after_its_lease(
    service: PracticeService,
    subscription: Subscription,
    store: SqlStore,
    adapter: RecordingAdapter,
    clock: FakeClock,
) -> None:
    """A process claimed the post and died before sending: after the lease it is sent once."""
    clock.set(POST_AT)
    slot_date = POST_AT.date()
    await store.claim_post(
        subscription.id,
        slot_date,
        POST_AT,
        REVEAL_AT,
        clock.now(),
        timedelta(minutes=5),
        "crashed-process",
    )
    await service.run_due()
    assert adapter.questions == []
    clock.advance(timedelta(minutes=6))
    await service.run_due()
    await service.run_due()
    assert len(adapter.questions) == 1


async def test_a_failed_send_is_retried_and_posted_once(
    service: PracticeService,
    subscription: Subscription,
    adapter: RecordingAdapter,
    clock: FakeClock,
) -> None:
    """A connection error leaves the post to the next run, which sends it once."""
    adapter.failures_left = 1
    clock.set(POST_AT)
    await service.run_due()
    assert adapter.questions == []
    clock.advance(timedelta(minutes=1))
    await service.run_due()
    await service.run_due()
    assert len(adapter.questions) == 1


async def test_an_unavailable_channel_pauses_only_its_subscription(
    service_factory: Callable[..., PracticeService],
    subscribe: Subscribe,
    store: SqlStore,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`channel_not_found` pauses that subscription with a log line; other channels still post."""
    gone, fine = (
        RecordingAdapter(platform="gone", unavailable="channel_not_found"),
        RecordingAdapter(),
    )
    service = service_factory(adapters={"gone": gone, "fake": fine})
    lost = await subscribe(where=Destination("gone", "C9"))
    await subscribe(where=Destination("fake", "C2"))
    clock.set(POST_AT)
    with caplog.at_level(logging.ERROR):
        await service.run_due()
    paused = await store.get_subscription_by_id(lost.id)
    assert paused is not None and paused.paused and "channel_not_found" in (paused.paused_reason or "")
    assert len(fine.questions) == 1
    assert any("channel_not_found" in r.getMessage() for r in caplog.records)


async def test_paused_subscriptions_do_not_post(
    service: PracticeService,
    subscription: Subscription,
    store: SqlStore,
    adapter: RecordingAdapter,
    clock: FakeClock,
) -> None:
    """A paused channel gets nothing; resumed, it gets the next day's question."""
    await store.set_paused(subscription.id, True, "paused by an admin", clock.now())
    clock.set(POST_AT)
    await service.run_due()
    assert adapter.questions == []
    await store.set_paused(subscription.id, False, None, clock.now())
    clock.set(POST_AT + timedelta(days=1))
    await service.run_due()
    assert len(adapter.questions) == 1


async def test_a_new_cycle_is_announced_in_the_channel(
    service: PracticeService,
    subscribe: Subscribe,
    berlin_schedule: Schedule,
    adapter: RecordingAdapter,
    clock: FakeClock,
) -> None:
    """With a three-question filter, the fourth day's post comes with a new-cycle notice."""
    daily = Schedule(berlin_schedule.post_time, berlin_schedule.zone, frozenset(range(7)))
    await subscribe(Filters(topics=("keras",)), schedule=daily)
    for day in range(4):
        clock.set(POST_AT + timedelta(days=day))
        await service.run_due()
    notices = [n for n in adapter.of("notice") if n.kind is NoticeKind.NEW_CYCLE]  # type: ignore[attr-defined]
    assert len(adapter.questions) == 4 and len(notices) == 1
    position = adapter.calls.index(("notice", notices[0]))
    assert adapter.calls[position + 1] == ("question", adapter.questions[3])


async def test_subscribing_after_todays_time_starts_tomorrow(
    service: PracticeService,
    subscribe: Subscribe,
    adapter: RecordingAdapter,
    clock: FakeClock,
) -> None:
    """Subscribed at 09:30 for 09:00: nothing today (no surprise late post), Tuesday's comes."""
    clock.set(POST_AT + timedelta(minutes=30))
    await subscribe()
    await service.run_due()
    assert adapter.questions == []
    clock.set(POST_AT + timedelta(days=1))
    await service.run_due()
    assert len(adapter.questions) == 1


async def test_days_missed_while_paused_are_not_posted_on_resume(
    service: PracticeService,
    subscription: Subscription,
    store: SqlStore,
    adapter: RecordingAdapter,
    clock: FakeClock,
) -> None:
    """Resumed at 09:15, well inside the grace window: today's paused slot stays unposted."""
    await store.set_paused(subscription.id, True, "paused by an admin", clock.now())
    clock.set(POST_AT + timedelta(minutes=15))
    await store.set_paused(subscription.id, False, None, clock.now())
    await service.run_due()
    assert adapter.questions == []


async def test_filters_the_bank_no_longer_matches_get_one_notice_and_no_retry(
    service_factory: Callable[..., PracticeService],
    subscribe: Subscribe,
    adapter: RecordingAdapter,
    clock: FakeClock,
) -> None:
    """A channel filtered on a topic the bank lost is told once; nothing is posted or retried."""
    await subscribe(Filters(topics=("nlp-llm",)))
    service = service_factory()
    clock.set(POST_AT)
    await service.run_due()
    clock.advance(timedelta(minutes=5))
    await service.run_due()
    notices = adapter.of("notice")
    assert adapter.questions == [] and len(notices) == 1
    assert "No daily question today" in notices[0].text  # type: ignore[attr-defined]


async def test_an_on_demand_question_from_a_sole_handler_platform_is_written_after_it_is_shown(
    service_factory: Callable[..., PracticeService],
    adapter: RecordingAdapter,
    store: SqlStore,
    destination: Destination,
) -> None:
    """Where one process owns the user (Discord, the console), asks don't wait for their write;
    the rotation still never repeats, and every pick is in the store once settled."""
    adapter.sole_handler = True
    service = service_factory()
    invocation = Invocation(destination, "U1")
    shown = []
    for _ in range(9):
        [response] = await service.handle_command(invocation, "")
        assert isinstance(response.message, QuestionCard)
        shown.append(response.message.question_id)
    assert len(set(shown)) == 9
    await store.settle()
    assert await store.rotation(invocation.rotation_scope) == (1, shown)
