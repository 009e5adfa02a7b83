"""The daily cycle: post once per local date, reveal once in the thread, survive restarts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

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
from tests.support.core_support import MONDAY, CoreWorld, post_at, reveal_at
from tests.support.fakes import RecordingAdapter

# Monday 23 November 2026, 09:00 in Berlin is 08:00 UTC; the reveal is 6 h later.
POST_AT = post_at(MONDAY)
REVEAL_AT = reveal_at(MONDAY)


async def test_a_due_post_is_sent_once(daily: CoreWorld) -> None:
    """At 09:00 local the question is posted with its reveal time; running again sends nothing."""
    await daily.run_due_at(POST_AT)
    await daily.run_due()
    assert len(daily.adapter.questions) == 1
    card = daily.adapter.questions[0]
    assert card.kind is CardKind.DAILY and card.reveal_at == REVEAL_AT


async def test_nothing_is_posted_before_the_time(daily: CoreWorld) -> None:
    """At 08:59 local Monday nothing is due yet (Friday's slot is long past the grace window)."""
    await daily.run_due_at(POST_AT - timedelta(minutes=1))
    assert daily.adapter.questions == []


async def test_the_reveal_goes_in_the_question_thread_once(daily: CoreWorld) -> None:
    """At reveal time the answer is posted in the question's thread and the question marked."""
    await daily.run_due_at(POST_AT)
    await daily.run_due_at(REVEAL_AT)
    await daily.run_due()
    assert len(daily.adapter.answers) == 1
    thread, answer = daily.adapter.answers[0]
    assert thread.message_id == "m1"
    assert answer.question_id == daily.adapter.questions[0].question_id
    revealed = daily.adapter.of("revealed")
    assert len(revealed) == 1 and revealed[0][1].revealed  # type: ignore[index]


async def test_the_reveal_waits_for_its_time(daily: CoreWorld) -> None:
    """A minute before the reveal instant nothing is revealed."""
    await daily.run_due_at(POST_AT)
    await daily.run_due_at(REVEAL_AT - timedelta(minutes=1))
    assert daily.adapter.answers == []


async def test_a_restart_between_post_and_reveal_reveals_once(
    daily: CoreWorld, service_factory: Callable[..., PracticeService]
) -> None:
    """A process posts and dies; the next process, started after the reveal time, reveals once."""
    daily.clock.set(POST_AT)
    await service_factory().run_due()
    daily.clock.set(REVEAL_AT + timedelta(hours=3))  # the bot was down at reveal time
    restarted = service_factory()
    await restarted.run_due()
    await restarted.run_due()
    await service_factory().run_due()
    assert len(daily.adapter.answers) == 1


async def test_a_post_missed_beyond_the_grace_window_is_skipped_and_logged(
    daily: CoreWorld, subscription: Subscription, caplog: pytest.LogCaptureFixture
) -> None:
    """Back up at 11:01 local (3 h late, grace 2 h): no late post, one log line."""
    with caplog.at_level(logging.WARNING):
        await daily.run_due_at(POST_AT + timedelta(hours=2, minutes=1))
        await daily.run_due()
    assert daily.adapter.questions == []
    skipped = [r for r in caplog.records if "skipped daily post" in r.getMessage()]
    assert len(skipped) == 1 and f"subscription={subscription.id}" in skipped[0].getMessage()


async def test_a_post_missed_inside_the_grace_window_is_posted_once(
    daily: CoreWorld, service_factory: Callable[..., PracticeService]
) -> None:
    """Back up at 10:30 local (90 min late): posted once, even with a second restart."""
    daily.clock.set(POST_AT + timedelta(minutes=90))
    await service_factory().run_due()
    await service_factory().run_due()
    assert len(daily.adapter.questions) == 1


async def test_two_processes_sharing_a_database_post_once(
    daily: CoreWorld, service_factory: Callable[..., PracticeService]
) -> None:
    """Two services racing on the same due slot and reveal: one post, one reveal in total."""
    first, second = RecordingAdapter(), RecordingAdapter()
    a = service_factory(adapters={"fake": first})
    b = service_factory(adapters={"fake": second})
    daily.clock.set(POST_AT)
    await asyncio.gather(a.run_due(), b.run_due(), a.run_due(), b.run_due())
    daily.clock.set(REVEAL_AT)
    await asyncio.gather(a.run_due(), b.run_due(), a.run_due(), b.run_due())
    assert len(first.questions) + len(second.questions) == 1
    assert len(first.answers) + len(second.answers) == 1


async def test_a_claim_left_by_a_crashed_process_is_taken_over_after_its_lease(
    daily: CoreWorld, subscription: Subscription
) -> None:
    """A process claimed the post and died before sending: after the lease it is sent once."""
    daily.clock.set(POST_AT)
    lease = timedelta(minutes=5)
    await daily.store.claim_post(
        subscription.id, MONDAY, POST_AT, REVEAL_AT, daily.clock.now(), lease, "crashed-process"
    )
    await daily.run_due()
    assert daily.adapter.questions == []
    daily.clock.advance(timedelta(minutes=6))
    await daily.run_due()
    await daily.run_due()
    assert len(daily.adapter.questions) == 1


async def test_a_failed_send_is_retried_and_posted_once(daily: CoreWorld) -> None:
    """A connection error leaves the post to the next run, which sends it once."""
    daily.adapter.failures_left = 1
    await daily.run_due_at(POST_AT)
    assert daily.adapter.questions == []
    daily.clock.advance(timedelta(minutes=1))
    await daily.run_due()
    await daily.run_due()
    assert len(daily.adapter.questions) == 1


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


async def test_paused_subscriptions_do_not_post(daily: CoreWorld, subscription: Subscription) -> None:
    """A paused channel gets nothing; resumed, it gets the next day's question."""
    await daily.store.set_paused(subscription.id, True, "paused by an admin", daily.clock.now())
    await daily.run_due_at(POST_AT)
    assert daily.adapter.questions == []
    await daily.store.set_paused(subscription.id, False, None, daily.clock.now())
    await daily.run_due_at(POST_AT + timedelta(days=1))
    assert len(daily.adapter.questions) == 1


async def test_a_new_cycle_is_announced_in_the_channel(world: CoreWorld) -> None:
    """With a three-question filter, the fourth day's post comes with a new-cycle notice."""
    every_day = Schedule(world.schedule.post_time, world.schedule.zone, frozenset(range(7)))
    await world.subscribe(filters=Filters(topics=("keras",)), schedule=every_day)
    for day in range(4):
        await world.run_due_at(POST_AT + timedelta(days=day))
    adapter = world.adapter
    notices = [n for n in adapter.of("notice") if n.kind is NoticeKind.NEW_CYCLE]  # type: ignore[attr-defined]
    assert len(adapter.questions) == 4 and len(notices) == 1
    position = adapter.calls.index(("notice", notices[0]))
    assert adapter.calls[position + 1] == ("question", adapter.questions[3])


async def test_subscribing_after_todays_time_starts_tomorrow(world: CoreWorld) -> None:
    """Subscribed at 09:30 for 09:00: nothing today (no surprise late post), Tuesday's comes."""
    world.clock.set(POST_AT + timedelta(minutes=30))
    await world.subscribe()
    await world.run_due()
    assert world.adapter.questions == []
    await world.run_due_at(POST_AT + timedelta(days=1))
    assert len(world.adapter.questions) == 1


async def test_days_missed_while_paused_are_not_posted_on_resume(
    daily: CoreWorld, subscription: Subscription
) -> None:
    """Resumed at 09:15, well inside the grace window: today's paused slot stays unposted."""
    await daily.store.set_paused(subscription.id, True, "paused by an admin", daily.clock.now())
    daily.clock.set(POST_AT + timedelta(minutes=15))
    await daily.store.set_paused(subscription.id, False, None, daily.clock.now())
    await daily.run_due()
    assert daily.adapter.questions == []


async def test_filters_the_bank_no_longer_matches_get_one_notice_and_no_retry(world: CoreWorld) -> None:
    """A channel filtered on a topic the bank lost is told once; nothing is posted or retried."""
    await world.subscribe(filters=Filters(topics=("nlp-llm",)))
    await world.run_due_at(POST_AT)
    world.clock.advance(timedelta(minutes=5))
    await world.run_due()
    notices = world.adapter.of("notice")
    assert world.adapter.questions == [] and len(notices) == 1
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
