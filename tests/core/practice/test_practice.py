"""Practice that sticks, in the core: participation, self-ratings and spaced repetition, streaks,
leaderboards, holidays, weekly summaries and suggestions (adapters have their own tests)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.content.bank import Filters
from bot.messages import (
    CardKind,
    LeaderboardCard,
    Notice,
    NoticeKind,
    QuestionCard,
    ScheduleCard,
    StatsCard,
    SuggestForm,
)
from bot.records import PostRecord, Subscription, SubscriptionOptions
from bot.schedule.clock import FakeClock
from bot.schedule.rules import Schedule
from bot.schedule.skip_days import SkipDays
from bot.seam import Destination
from bot.service import Invocation, PracticeService
from bot.store import SqlStore
from bot.store.transfer import dumps, export_store
from tests.conftest import Subscribe
from tests.support.fakes import RecordingAdapter

MONDAY = date(2026, 11, 23)


def post_at(day: date) -> datetime:
    """09:00 in Berlin (UTC+1 in winter)."""
    return datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC)


async def post_day(
    service: PracticeService, clock: FakeClock, day: date, subscription: Subscription
) -> PostRecord:
    clock.set(post_at(day))
    await service.run_due()
    post = await service.store.latest_post(subscription.id)
    assert post is not None and post.local_date == day, f"no post on {day}"
    return post


async def reveal(service: PracticeService, clock: FakeClock, day: date) -> None:
    clock.set(post_at(day) + timedelta(hours=6))
    await service.run_due()


async def reply(service: PracticeService, post: PostRecord, user: str) -> None:
    assert post.thread is not None
    await service.record_reply(post.thread.destination, post.thread.thread_id or post.thread.message_id, user)


def key(destination: Destination, user: str) -> str:
    return f"{destination.platform}:{destination.workspace_id}:{user}"


async def command(service: PracticeService, destination: Destination, user: str, text: str) -> list[object]:
    return [r.message for r in await service.handle_command(Invocation(destination, user), text)]


# Participation -------------------------------------------------------------------------------------


async def test_the_reveal_names_who_replied_in_the_thread_first_reply_first(
    service: PracticeService, clock: FakeClock, subscription: Subscription, adapter: RecordingAdapter
) -> None:
    post = await post_day(service, clock, MONDAY, subscription)
    await reply(service, post, "U2")
    await reply(service, post, "U1")
    await reply(service, post, "U2")
    await reveal(service, clock, MONDAY)
    [(_, answer)] = adapter.answers
    assert answer.participants == ("U2", "U1")
    assert answer.mention_participants is True


async def test_replies_after_the_reveal_are_not_named_in_it(
    service: PracticeService, clock: FakeClock, subscription: Subscription, adapter: RecordingAdapter
) -> None:
    post = await post_day(service, clock, MONDAY, subscription)
    await reveal(service, clock, MONDAY)
    await reply(service, post, "U9")
    [(_, answer)] = adapter.answers
    assert answer.participants == ()


async def test_a_subscription_with_mentions_off_names_without_mentioning(
    service: PracticeService,
    clock: FakeClock,
    subscribe: Subscribe,
    adapter: RecordingAdapter,
) -> None:
    subscription = await subscribe(options=SubscriptionOptions(mention_participants=False))
    post = await post_day(service, clock, MONDAY, subscription)
    await reply(service, post, "U1")
    await reveal(service, clock, MONDAY)
    [(_, answer)] = adapter.answers
    assert answer.participants == ("U1",) and answer.mention_participants is False


async def test_no_reply_text_is_stored_anywhere(
    service: PracticeService, clock: FakeClock, subscription: Subscription, store: SqlStore
) -> None:
    """The adapters pass who and where, never what: an export of the whole store has no reply text."""
    post = await post_day(service, clock, MONDAY, subscription)
    await reply(service, post, "U1")
    exported = dumps(await export_store(store))
    assert "U1" in exported
    assert "my secret answer" not in exported  # the API has no parameter that could carry it
    assert {column for column in store_columns("replies")} == {
        "id",
        "thread_key",
        "user_key",
        "user_id",
        "first_at",
        "last_at",
        "count",
    }


def store_columns(table: str) -> list[str]:
    from bot.store import tables

    return list(getattr(tables, table).columns.keys())


# Self-assessment and spaced repetition ----------------------------------------------------------------


async def test_the_reveal_carries_rating_buttons_for_its_post(
    service: PracticeService, clock: FakeClock, subscription: Subscription, adapter: RecordingAdapter
) -> None:
    post = await post_day(service, clock, MONDAY, subscription)
    await reveal(service, clock, MONDAY)
    [(_, answer)] = adapter.answers
    assert answer.rating is not None
    assert (answer.rating.question_id, answer.rating.context) == (post.question_id, f"post:{post.id}")


async def test_a_rating_is_recorded_for_the_clicking_user(
    service: PracticeService,
    clock: FakeClock,
    subscription: Subscription,
    store: SqlStore,
    destination: Destination,
) -> None:
    post = await post_day(service, clock, MONDAY, subscription)
    await reveal(service, clock, MONDAY)
    assert post.question_id is not None
    response = await service.rate(
        Invocation(destination, "U1"), post.question_id, f"post:{post.id}", "partly"
    )
    assert response.private and "Recorded **Partly**" in str(response.message)
    [rating] = await store.user_ratings(key(destination, "U1"))
    assert (rating.question_id, rating.rating, rating.post_id) == (post.question_id, "partly", post.id)


async def test_a_second_click_changes_the_rating_instead_of_reviewing_twice(
    service: PracticeService,
    clock: FakeClock,
    subscription: Subscription,
    store: SqlStore,
    destination: Destination,
) -> None:
    post = await post_day(service, clock, MONDAY, subscription)
    await reveal(service, clock, MONDAY)
    assert post.question_id is not None
    invocation = Invocation(destination, "U1")
    await service.rate(invocation, post.question_id, f"post:{post.id}", "missed")
    missed = await store.review_card(key(destination, "U1"), post.question_id)
    assert missed is not None
    response = await service.rate(invocation, post.question_id, f"post:{post.id}", "nailed")
    assert "Changed your rating to **Nailed it**" in str(response.message)
    [rating] = await store.user_ratings(key(destination, "U1"))
    assert rating.rating == "nailed"
    card = await store.review_card(key(destination, "U1"), post.question_id)
    assert card is not None and card.card_before is None  # computed from the new card, not the missed one
    assert card.due > missed.due
    fresh = service.practice.planner.review(
        None, __import__("bot.practice.review").practice.review.SelfRating.NAILED, clock.now()
    )
    assert card.card == fresh[0]


async def test_one_user_cannot_rate_for_another(
    service: PracticeService,
    clock: FakeClock,
    subscription: Subscription,
    store: SqlStore,
    destination: Destination,
) -> None:
    post = await post_day(service, clock, MONDAY, subscription)
    await reveal(service, clock, MONDAY)
    assert post.question_id is not None
    await service.rate(Invocation(destination, "U1"), post.question_id, f"post:{post.id}", "nailed")
    await service.rate(Invocation(destination, "U2"), post.question_id, f"post:{post.id}", "missed")
    [own] = await store.user_ratings(key(destination, "U1"))
    [other] = await store.user_ratings(key(destination, "U2"))
    assert (own.rating, other.rating) == ("nailed", "missed")


@pytest.mark.parametrize(
    ("question_id", "context", "choice", "problem"),
    [
        ("keras-easy", "post:1", "brilliant", "unknown rating 'brilliant'"),
        ("no-such-question", "ask:2026-11-23", "nailed", "no longer in the bank"),
        ("keras-easy", "ask:yesterday", "nailed", "not one I made"),
        ("keras-easy", "post:999", "nailed", "belongs to no question I posted"),
    ],
)
async def test_a_bad_rating_click_is_refused_and_records_nothing(
    service: PracticeService,
    store: SqlStore,
    destination: Destination,
    question_id: str,
    context: str,
    choice: str,
    problem: str,
) -> None:
    response = await service.rate(Invocation(destination, "U1"), question_id, context, choice)
    assert isinstance(response.message, Notice) and response.message.kind is NoticeKind.ERROR
    assert problem in response.message.text and "nothing was recorded" in response.message.text.lower()
    assert await store.user_ratings(key(destination, "U1")) == []


async def test_the_on_demand_answer_carries_rating_buttons_for_today(
    service: PracticeService, clock: FakeClock
) -> None:
    answer = service.answer("keras-easy")
    assert answer is not None and answer.rating is not None
    assert answer.rating.context == f"ask:{clock.now().date().isoformat()}"


async def test_review_returns_the_most_overdue_question_after_simulated_days(
    service: PracticeService, clock: FakeClock, destination: Destination
) -> None:
    invocation = Invocation(destination, "U1")
    await service.rate(invocation, "keras-easy", "ask:2026-11-23", "nailed")
    await service.rate(invocation, "tensorflow-hard", "ask:2026-11-23", "missed")
    clock.advance(timedelta(hours=1))
    [nothing] = await command(service, destination, "U1", "review")
    assert isinstance(nothing, Notice) and "next review is due within a day" in nothing.text
    clock.advance(timedelta(days=1))
    [due] = await command(service, destination, "U1", "review")
    assert isinstance(due, QuestionCard) and due.kind is CardKind.REVIEW
    assert due.question_id == "tensorflow-hard"  # missed: back after one day; nailed waits longer
    assert due.rating is not None and due.rating.context.startswith("review:")


async def test_a_review_date_reads_the_same_seconds_apart(
    service: PracticeService, clock: FakeClock, destination: Destination
) -> None:
    """Due in 1.5 days, `review` and the same `review` four seconds later say the same thing."""
    when = re.compile(r"due ((?:in|within) (?:a|\d+) days?) \(")
    await service.rate(Invocation(destination, "U1"), "keras-easy", "ask:2026-11-23", "nailed")
    card = await service.store.review_card(key(destination, "U1"), "keras-easy")
    assert card is not None
    clock.set(card.due - timedelta(days=1.5))
    [first] = await command(service, destination, "U1", "review")
    clock.advance(timedelta(seconds=4))
    [second] = await command(service, destination, "U1", "review")
    assert isinstance(first, Notice) and isinstance(second, Notice)
    said = [when.search(reply.text) for reply in (first, second)]
    assert said[0] and said[1] and said[0][1] == said[1][1], (first.text, second.text)


async def test_a_reviewed_question_moves_back_in_the_queue(
    service: PracticeService, clock: FakeClock, destination: Destination, store: SqlStore
) -> None:
    invocation = Invocation(destination, "U1")
    await service.rate(invocation, "tensorflow-hard", "ask:2026-11-23", "missed")
    clock.advance(timedelta(days=2))
    [due] = await command(service, destination, "U1", "review")
    assert isinstance(due, QuestionCard) and due.rating is not None
    await service.rate(invocation, due.question_id, due.rating.context, "nailed")
    card = await store.review_card(key(destination, "U1"), "tensorflow-hard")
    assert card is not None and card.due > clock.now() + timedelta(days=1)
    [after] = await command(service, destination, "U1", "review")
    assert isinstance(after, Notice) and "Nothing to review right now" in after.text


async def test_review_with_no_ratings_says_how_to_start(
    service: PracticeService, destination: Destination
) -> None:
    [reply_] = await command(service, destination, "U1", "review")
    assert isinstance(reply_, Notice) and "Nothing to review yet" in reply_.text


async def test_the_review_schedule_survives_a_restart(
    service_factory: Callable[..., PracticeService], clock: FakeClock, destination: Destination
) -> None:
    await service_factory().rate(Invocation(destination, "U1"), "keras-easy", "ask:2026-11-23", "missed")
    clock.advance(timedelta(days=2))
    [due] = await command(service_factory(), destination, "U1", "review")
    assert isinstance(due, QuestionCard) and due.question_id == "keras-easy"


# Streaks and stats -------------------------------------------------------------------------------------


async def test_a_streak_spans_a_weekend_and_a_paused_day_but_breaks_on_a_missed_question(
    service: PracticeService,
    clock: FakeClock,
    subscription: Subscription,
    store: SqlStore,
    destination: Destination,
) -> None:
    days = [MONDAY + timedelta(days=n) for n in (3, 4)]  # Thursday, Friday
    for day in days:
        await reply(service, await post_day(service, clock, day, subscription), "U1")
        await reveal(service, clock, day)
    # Monday paused: no post, no break.
    await store.set_paused(subscription.id, True, "paused by an admin", post_at(MONDAY + timedelta(days=7)))
    clock.set(post_at(MONDAY + timedelta(days=7)))
    await service.run_due()
    await store.set_paused(
        subscription.id, False, None, post_at(MONDAY + timedelta(days=7)) + timedelta(hours=1)
    )
    tuesday = MONDAY + timedelta(days=8)
    post = await post_day(service, clock, tuesday, subscription)
    assert post.question_id is not None
    await reveal(service, clock, tuesday)
    await service.rate(Invocation(destination, "U1"), post.question_id, f"post:{post.id}", "partly")
    [stats] = await command(service, destination, "U1", "stats")
    assert isinstance(stats, StatsCard)
    assert (stats.current_streak, stats.longest_streak) == (3, 3)
    wednesday = MONDAY + timedelta(days=9)
    await post_day(service, clock, wednesday, subscription)
    await reveal(service, clock, wednesday)  # U1 let this one go
    [stats] = await command(service, destination, "U1", "stats")
    assert isinstance(stats, StatsCard)
    assert (stats.current_streak, stats.longest_streak) == (0, 3)


async def test_todays_open_question_does_not_break_the_streak(
    service: PracticeService, clock: FakeClock, subscription: Subscription, destination: Destination
) -> None:
    await reply(service, await post_day(service, clock, MONDAY, subscription), "U1")
    await reveal(service, clock, MONDAY)
    await post_day(service, clock, MONDAY + timedelta(days=1), subscription)
    [stats] = await command(service, destination, "U1", "stats")
    assert isinstance(stats, StatsCard) and stats.current_streak == 1


async def test_stats_are_private_and_only_the_callers(
    service: PracticeService, clock: FakeClock, subscription: Subscription, destination: Destination
) -> None:
    post = await post_day(service, clock, MONDAY, subscription)
    await reply(service, post, "U1")
    await reply(service, post, "U2")
    await reveal(service, clock, MONDAY)
    assert post.question_id is not None
    await service.rate(Invocation(destination, "U2"), post.question_id, f"post:{post.id}", "missed")
    [response] = await service.handle_command(Invocation(destination, "U1"), "stats")
    assert response.private
    stats = response.message
    assert isinstance(stats, StatsCard)
    assert (stats.answered, stats.rated, stats.topics, stats.reviews_due) == (1, 0, (), 0)


async def test_stats_list_the_weakest_topic_first(
    service: PracticeService, clock: FakeClock, destination: Destination
) -> None:
    invocation = Invocation(destination, "U1")
    await service.rate(invocation, "keras-easy", "ask:2026-11-23", "nailed")
    await service.rate(invocation, "tensorflow-easy", "ask:2026-11-23", "missed")
    await service.rate(invocation, "scikit-learn-easy", "ask:2026-11-23", "partly")
    [stats] = await command(service, destination, "U1", "stats")
    assert isinstance(stats, StatsCard)
    assert [t.topic_label.split()[0] for t in stats.topics] == ["TensorFlow", "scikit-learn", "Keras"]
    assert stats.rated == 3 and stats.next_review_at is not None


# Leaderboards and summaries -----------------------------------------------------------------------------


async def test_the_leaderboard_ranks_by_participation_and_is_public(
    service: PracticeService, clock: FakeClock, subscription: Subscription, destination: Destination
) -> None:
    for offset, users in ((0, ("U1", "U2")), (1, ("U1",)), (2, ("U3",))):
        day = MONDAY + timedelta(days=offset)
        post = await post_day(service, clock, day, subscription)
        for user in users:
            await reply(service, post, user)
        await reveal(service, clock, day)
    [response] = await service.handle_command(Invocation(destination, "U9"), "leaderboard")
    assert not response.private
    board = response.message
    assert isinstance(board, LeaderboardCard)
    assert [(r.rank, r.user_id, r.questions) for r in board.rows] == [
        (1, "U1", 2),
        (2, "U2", 1),
        (2, "U3", 1),
    ]
    assert board.questions_posted == 3


async def test_the_leaderboard_leaves_out_who_opted_out_until_they_opt_in(
    service: PracticeService, clock: FakeClock, subscription: Subscription, destination: Destination
) -> None:
    post = await post_day(service, clock, MONDAY, subscription)
    await reply(service, post, "U1")
    await reply(service, post, "U2")
    await command(service, destination, "U2", "leaderboard optout")
    [board] = await command(service, destination, "U9", "leaderboard all")
    assert isinstance(board, LeaderboardCard) and [r.user_id for r in board.rows] == ["U1"]
    await command(service, destination, "U2", "leaderboard optin")
    [board] = await command(service, destination, "U9", "leaderboard all")
    assert isinstance(board, LeaderboardCard) and [r.user_id for r in board.rows] == ["U1", "U2"]


async def test_the_leaderboard_counts_only_the_period(
    service: PracticeService, clock: FakeClock, subscription: Subscription, destination: Destination
) -> None:
    await reply(service, await post_day(service, clock, MONDAY, subscription), "U1")
    clock.set(post_at(MONDAY + timedelta(days=10)))
    [week] = await command(service, destination, "U9", "leaderboard week")
    [month] = await command(service, destination, "U9", "leaderboard month")
    assert isinstance(week, LeaderboardCard) and isinstance(month, LeaderboardCard)
    assert (week.rows, [r.user_id for r in month.rows]) == ((), ["U1"])


async def test_a_weekly_summary_precedes_the_first_question_of_the_week(
    service: PracticeService,
    clock: FakeClock,
    subscribe: Subscribe,
    adapter: RecordingAdapter,
) -> None:
    subscription = await subscribe(options=SubscriptionOptions(weekly_summary=True))
    first = await post_day(service, clock, MONDAY, subscription)  # nothing last week: no summary
    await reply(service, first, "U1")
    for offset in (1, 2, 3, 4):
        await post_day(service, clock, MONDAY + timedelta(days=offset), subscription)
    assert [c for c in adapter.of("notice")] == []
    await post_day(service, clock, MONDAY + timedelta(days=7), subscription)
    notices = adapter.of("notice")
    assert len(notices) == 1
    assert "Last week: 5 questions, 1 person took part" in str(notices[0])
    kinds = [kind for kind, _ in adapter.calls]
    assert kinds[kinds.index("notice") + 1] == "question"
    assert kinds.count("question") == 6


# Holidays ---------------------------------------------------------------------------------------------


async def test_a_public_holiday_skips_the_post_and_settings_say_so(
    service: PracticeService,
    clock: FakeClock,
    destination: Destination,
    adapter: RecordingAdapter,
    store: SqlStore,
) -> None:
    clock.set(datetime(2026, 12, 21, 7, 0, tzinfo=UTC))
    admin = Invocation(destination, "U1", is_admin=True)
    [subscribed] = await service.handle_command(
        admin, "subscribe 09:00 Europe/Berlin holidays DE skip 2026-12-23"
    )
    assert isinstance(subscribed.message, ScheduleCard)
    assert subscribed.message.skips == "public holidays in DE and dates 2026-12-23"
    assert ("2026-12-25", "Christmas Day") in subscribed.message.skipped_soon
    posted = []
    for day in (23, 24, 25):
        clock.set(datetime(2026, 12, day, 8, 0, tzinfo=UTC))
        await service.run_due()
        posted.append(len(adapter.questions))
    assert posted == [0, 1, 1]  # 23rd a skipped date, 25th Christmas Day


async def test_holidays_can_be_cleared(service: PracticeService, destination: Destination) -> None:
    admin = Invocation(destination, "U1", is_admin=True)
    await service.handle_command(admin, "subscribe holidays GB skip 2026-12-24")
    [cleared] = await service.handle_command(admin, "subscribe holidays none skip none")
    assert isinstance(cleared.message, ScheduleCard) and cleared.message.skips == "none"


async def test_a_holiday_does_not_break_a_streak(
    service: PracticeService,
    clock: FakeClock,
    store: SqlStore,
    destination: Destination,
    berlin_schedule: Schedule,
) -> None:
    schedule = Schedule(
        berlin_schedule.post_time,
        berlin_schedule.zone,
        berlin_schedule.days,
        berlin_schedule.reveal,
        SkipDays(None, frozenset({MONDAY + timedelta(days=1)})),
    )
    subscription = await store.save_subscription(destination, schedule, Filters(), clock.now())
    for offset in (0, 2):
        day = MONDAY + timedelta(days=offset)
        await reply(service, await post_day(service, clock, day, subscription), "U1")
        await reveal(service, clock, day)
    [stats] = await command(service, destination, "U1", "stats")
    assert isinstance(stats, StatsCard) and stats.current_streak == 2


# Suggestions ---------------------------------------------------------------------------------------------


async def test_suggest_asks_the_adapter_for_its_form(
    service: PracticeService, destination: Destination
) -> None:
    [form] = await command(service, destination, "U1", "suggest")
    assert isinstance(form, SuggestForm) and ("keras", "Keras 3") in form.topics


async def test_a_suggestion_is_stored_for_moderators(
    service: PracticeService, store: SqlStore, destination: Destination
) -> None:
    response = await service.suggest(
        Invocation(destination, "U1"),
        "Why standardise before PCA?",
        "Variance depends on units.",
        "keras",
        "hard",
    )
    assert "Suggestion #1" in str(response.message)
    [saved] = await store.list_suggestions()
    assert (saved.user_key, saved.topic, saved.difficulty, saved.status) == (
        key(destination, "U1"),
        "keras",
        "hard",
        "new",
    )


@pytest.mark.parametrize(
    ("question", "answer", "topic", "problem"),
    [
        ("", "an answer", None, "the question is empty"),
        ("A question?", "   ", None, "the answer is empty"),
        ("A question?", "x" * 4001, None, "the answer has 4001 characters (at most 4000)"),
        ("A question?", "an answer", "astrology", "unknown topic 'astrology'"),
    ],
)
async def test_a_bad_suggestion_names_the_problem_and_stores_nothing(
    service: PracticeService,
    store: SqlStore,
    destination: Destination,
    question: str,
    answer: str,
    topic: str | None,
    problem: str,
) -> None:
    response = await service.suggest(Invocation(destination, "U1"), question, answer, topic)
    assert isinstance(response.message, Notice) and response.message.kind is NoticeKind.ERROR
    assert problem in response.message.text
    assert await store.list_suggestions() == []


# Linked accounts --------------------------------------------------------------------------------------

SLACK = Destination("slack", "C1", "T1")
DISCORD = Destination("discord", "D1", "G1")


async def link_code(service: PracticeService, destination: Destination, user: str) -> str:
    [made] = await command(service, destination, user, "link")
    assert isinstance(made, Notice)
    return made.text.split("/mlquestion link ")[1].split("`")[0]


async def test_a_linked_account_shares_the_review_schedule_across_platforms(
    service: PracticeService, clock: FakeClock
) -> None:
    await service.rate(Invocation(SLACK, "U1"), "keras-easy", "ask:2026-11-23", "missed")
    code = await link_code(service, SLACK, "U1")
    [linked] = await command(service, DISCORD, "D9", f"link {code.lower()}")
    assert isinstance(linked, Notice) and linked.text.startswith("Linked")
    clock.advance(timedelta(days=2))
    [due] = await command(service, DISCORD, "D9", "review")
    assert isinstance(due, QuestionCard) and due.question_id == "keras-easy"
    assert due.rating is not None
    await service.rate(Invocation(DISCORD, "D9"), due.question_id, due.rating.context, "nailed")
    [after] = await command(service, SLACK, "U1", "review")
    assert isinstance(after, Notice) and "Nothing to review right now" in after.text


async def test_linking_brings_the_accounts_own_cards_along(
    service: PracticeService, clock: FakeClock, store: SqlStore
) -> None:
    await service.rate(Invocation(SLACK, "U1"), "keras-easy", "ask:2026-11-23", "nailed")
    await service.rate(Invocation(DISCORD, "D9"), "tensorflow-hard", "ask:2026-11-23", "missed")
    await command(service, DISCORD, "D9", f"link {await link_code(service, SLACK, 'U1')}")
    cards = await store.review_queue("slack:T1:U1", limit=10)
    assert {c.question_id for c in cards} == {"keras-easy", "tensorflow-hard"}
    assert await store.review_queue("discord:G1:D9", limit=10) == []


async def test_a_code_works_once_and_expires(
    service: PracticeService, clock: FakeClock, store: SqlStore
) -> None:
    code = await link_code(service, SLACK, "U1")
    await command(service, DISCORD, "D9", f"link {code}")
    [again] = await command(service, DISCORD, "D8", f"link {code}")
    assert isinstance(again, Notice) and again.kind is NoticeKind.ERROR and "unknown or expired" in again.text
    late = await link_code(service, SLACK, "U2")
    clock.advance(timedelta(minutes=11))
    [expired] = await command(service, DISCORD, "D7", f"link {late}")
    assert isinstance(expired, Notice) and expired.kind is NoticeKind.ERROR
    assert await store.person_of("discord:G1:D7") == "discord:G1:D7"


async def test_unlinking_keeps_a_copy_of_the_shared_schedule(
    service: PracticeService, clock: FakeClock, store: SqlStore
) -> None:
    await service.rate(Invocation(SLACK, "U1"), "keras-easy", "ask:2026-11-23", "missed")
    await command(service, DISCORD, "D9", f"link {await link_code(service, SLACK, 'U1')}")
    [unlinked] = await command(service, DISCORD, "D9", "unlink")
    assert isinstance(unlinked, Notice) and unlinked.text.startswith("Unlinked")
    assert [c.question_id for c in await store.review_queue("discord:G1:D9")] == ["keras-easy"]
    await service.rate(Invocation(DISCORD, "D9"), "keras-easy", "ask:2026-11-24", "nailed")
    [slack_card] = await store.review_queue("slack:T1:U1")
    [discord_card] = await store.review_queue("discord:G1:D9")
    assert (slack_card.last_context, discord_card.last_context) == ("ask:2026-11-23", "ask:2026-11-24")
    [nothing] = await command(service, DISCORD, "D9", "unlink")
    assert isinstance(nothing, Notice) and "not linked" in nothing.text
