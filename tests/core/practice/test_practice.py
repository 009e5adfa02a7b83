"""Practice that sticks, in the core: participation, self-ratings and spaced repetition, streaks,
leaderboards, holidays, weekly summaries and suggestions (adapters have their own tests)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

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
from bot.practice.review import SelfRating
from bot.records import Subscription, SubscriptionOptions
from bot.schedule.clock import FakeClock
from bot.schedule.skip_days import SkipDays
from bot.seam import Destination
from bot.service import Invocation, PracticeService
from bot.store.transfer import dumps, export_store
from tests.support.core_support import MONDAY, CoreWorld, post_at

# Participation -------------------------------------------------------------------------------------


async def test_the_reveal_names_who_replied_in_the_thread_first_reply_first(daily: CoreWorld) -> None:
    post = await daily.post_day(MONDAY)
    await daily.reply(post, "U2")
    await daily.reply(post, "U1")
    await daily.reply(post, "U2")
    await daily.reveal(MONDAY)
    [(_, answer)] = daily.adapter.answers
    assert answer.participants == ("U2", "U1")
    assert answer.mention_participants is True


async def test_replies_after_the_reveal_are_not_named_in_it(daily: CoreWorld) -> None:
    post = await daily.revealed_post(MONDAY)
    await daily.reply(post, "U9")
    [(_, answer)] = daily.adapter.answers
    assert answer.participants == ()


async def test_a_subscription_with_mentions_off_names_without_mentioning(world: CoreWorld) -> None:
    await world.subscribe(SubscriptionOptions(mention_participants=False))
    post = await world.post_day(MONDAY)
    await world.reply(post, "U1")
    await world.reveal(MONDAY)
    [(_, answer)] = world.adapter.answers
    assert answer.participants == ("U1",) and answer.mention_participants is False


async def test_no_reply_text_is_stored_anywhere(daily: CoreWorld) -> None:
    """The adapters pass who and where, never what: an export of the whole store has no reply text."""
    await daily.reply(await daily.post_day(MONDAY), "U1")
    exported = dumps(await export_store(daily.store))
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


async def test_the_reveal_carries_rating_buttons_for_its_post(daily: CoreWorld) -> None:
    post = await daily.revealed_post(MONDAY)
    [(_, answer)] = daily.adapter.answers
    assert answer.rating is not None
    assert (answer.rating.question_id, answer.rating.context) == (post.question_id, f"post:{post.id}")


async def test_a_rating_is_recorded_for_the_clicking_user(daily: CoreWorld) -> None:
    post = await daily.revealed_post(MONDAY)
    response = await daily.rate_post("U1", post, "partly")
    assert response.private and "Recorded **Partly**" in str(response.message)
    [rating] = await daily.store.user_ratings(daily.key("U1"))
    assert (rating.question_id, rating.rating, rating.post_id) == (post.question_id, "partly", post.id)


async def test_a_second_click_changes_the_rating_instead_of_reviewing_twice(daily: CoreWorld) -> None:
    post = await daily.revealed_post(MONDAY)
    assert post.question_id is not None
    await daily.rate_post("U1", post, "missed")
    missed = await daily.store.review_card(daily.key("U1"), post.question_id)
    assert missed is not None
    response = await daily.rate_post("U1", post, "nailed")
    assert "Changed your rating to **Nailed it**" in str(response.message)
    [rating] = await daily.store.user_ratings(daily.key("U1"))
    assert rating.rating == "nailed"
    card = await daily.store.review_card(daily.key("U1"), post.question_id)
    assert card is not None and card.card_before is None  # computed from the new card, not the missed one
    assert card.due > missed.due
    fresh = daily.service.practice.planner.review(None, SelfRating.NAILED, daily.clock.now())
    assert card.card == fresh[0]


async def test_one_user_cannot_rate_for_another(daily: CoreWorld) -> None:
    post = await daily.revealed_post(MONDAY)
    await daily.rate_post("U1", post, "nailed")
    await daily.rate_post("U2", post, "missed")
    [own] = await daily.store.user_ratings(daily.key("U1"))
    [other] = await daily.store.user_ratings(daily.key("U2"))
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
    world: CoreWorld, question_id: str, context: str, choice: str, problem: str
) -> None:
    response = await world.rate("U1", question_id, context, choice)
    assert isinstance(response.message, Notice) and response.message.kind is NoticeKind.ERROR
    assert problem in response.message.text and "nothing was recorded" in response.message.text.lower()
    assert await world.store.user_ratings(world.key("U1")) == []


async def test_the_on_demand_answer_carries_rating_buttons_for_today(
    service: PracticeService, clock: FakeClock
) -> None:
    answer = service.answer("keras-easy")
    assert answer is not None and answer.rating is not None
    assert answer.rating.context == f"ask:{clock.now().date().isoformat()}"


async def test_review_returns_the_most_overdue_question_after_simulated_days(world: CoreWorld) -> None:
    await world.rate("U1", "keras-easy", "ask:2026-11-23", "nailed")
    await world.rate("U1", "tensorflow-hard", "ask:2026-11-23", "missed")
    world.clock.advance(timedelta(hours=1))
    [nothing] = await world.command("U1", "review")
    assert isinstance(nothing, Notice) and "next review is due within a day" in nothing.text
    world.clock.advance(timedelta(days=1))
    [due] = await world.command("U1", "review")
    assert isinstance(due, QuestionCard) and due.kind is CardKind.REVIEW
    assert due.question_id == "tensorflow-hard"  # missed: back after one day; nailed waits longer
    assert due.rating is not None and due.rating.context.startswith("review:")


async def test_a_review_date_reads_the_same_seconds_apart(world: CoreWorld) -> None:
    """Due in 1.5 days, `review` and the same `review` four seconds later say the same thing."""
    when = re.compile(r"due ((?:in|within) (?:a|\d+) days?) \(")
    await world.rate("U1", "keras-easy", "ask:2026-11-23", "nailed")
    card = await world.store.review_card(world.key("U1"), "keras-easy")
    assert card is not None
    world.clock.set(card.due - timedelta(days=1.5))
    [first] = await world.command("U1", "review")
    world.clock.advance(timedelta(seconds=4))
    [second] = await world.command("U1", "review")
    assert isinstance(first, Notice) and isinstance(second, Notice)
    said = [when.search(reply.text) for reply in (first, second)]
    assert said[0] and said[1] and said[0][1] == said[1][1], (first.text, second.text)


async def test_a_reviewed_question_moves_back_in_the_queue(world: CoreWorld) -> None:
    await world.rate("U1", "tensorflow-hard", "ask:2026-11-23", "missed")
    world.clock.advance(timedelta(days=2))
    [due] = await world.command("U1", "review")
    assert isinstance(due, QuestionCard) and due.rating is not None
    await world.rate("U1", due.question_id, due.rating.context, "nailed")
    card = await world.store.review_card(world.key("U1"), "tensorflow-hard")
    assert card is not None and card.due > world.clock.now() + timedelta(days=1)
    [after] = await world.command("U1", "review")
    assert isinstance(after, Notice) and "Nothing to review right now" in after.text


async def test_review_with_no_ratings_says_how_to_start(world: CoreWorld) -> None:
    [reply_] = await world.command("U1", "review")
    assert isinstance(reply_, Notice) and "Nothing to review yet" in reply_.text


async def test_the_review_schedule_survives_a_restart(
    service_factory: Callable[..., PracticeService], clock: FakeClock, destination: Destination
) -> None:
    invocation = Invocation(destination, "U1")
    await service_factory().rate(invocation, "keras-easy", "ask:2026-11-23", "missed")
    clock.advance(timedelta(days=2))
    [due] = await service_factory().handle_command(invocation, "review")
    assert isinstance(due.message, QuestionCard) and due.message.question_id == "keras-easy"


# Streaks and stats -------------------------------------------------------------------------------------


async def test_a_streak_spans_a_weekend_and_a_paused_day_but_breaks_on_a_missed_question(
    daily: CoreWorld, subscription: Subscription
) -> None:
    days = [MONDAY + timedelta(days=n) for n in (3, 4)]  # Thursday, Friday
    for day in days:
        await daily.reply(await daily.post_day(day), "U1")
        await daily.reveal(day)
    # Monday paused: no post, no break.
    next_monday = post_at(MONDAY + timedelta(days=7))
    await daily.store.set_paused(subscription.id, True, "paused by an admin", next_monday)
    await daily.run_due_at(next_monday)
    await daily.store.set_paused(subscription.id, False, None, next_monday + timedelta(hours=1))
    post = await daily.revealed_post(MONDAY + timedelta(days=8))  # Tuesday
    await daily.rate_post("U1", post, "partly")
    [stats] = await daily.command("U1", "stats")
    assert isinstance(stats, StatsCard)
    assert (stats.current_streak, stats.longest_streak) == (3, 3)
    await daily.revealed_post(MONDAY + timedelta(days=9))  # Wednesday: U1 let this one go
    [stats] = await daily.command("U1", "stats")
    assert isinstance(stats, StatsCard)
    assert (stats.current_streak, stats.longest_streak) == (0, 3)


async def test_todays_open_question_does_not_break_the_streak(daily: CoreWorld) -> None:
    await daily.reply(await daily.post_day(MONDAY), "U1")
    await daily.reveal(MONDAY)
    await daily.post_day(MONDAY + timedelta(days=1))
    [stats] = await daily.command("U1", "stats")
    assert isinstance(stats, StatsCard) and stats.current_streak == 1


async def test_stats_are_private_and_only_the_callers(daily: CoreWorld) -> None:
    post = await daily.post_day(MONDAY)
    await daily.reply(post, "U1")
    await daily.reply(post, "U2")
    await daily.reveal(MONDAY)
    await daily.rate_post("U2", post, "missed")
    [response] = await daily.service.handle_command(Invocation(daily.channel, "U1"), "stats")
    assert response.private
    stats = response.message
    assert isinstance(stats, StatsCard)
    assert (stats.answered, stats.rated, stats.topics, stats.reviews_due) == (1, 0, (), 0)


async def test_stats_list_the_weakest_topic_first(world: CoreWorld) -> None:
    await world.rate("U1", "keras-easy", "ask:2026-11-23", "nailed")
    await world.rate("U1", "tensorflow-easy", "ask:2026-11-23", "missed")
    await world.rate("U1", "scikit-learn-easy", "ask:2026-11-23", "partly")
    [stats] = await world.command("U1", "stats")
    assert isinstance(stats, StatsCard)
    assert [t.topic_label.split()[0] for t in stats.topics] == ["TensorFlow", "scikit-learn", "Keras"]
    assert stats.rated == 3 and stats.next_review_at is not None


# Leaderboards and summaries -----------------------------------------------------------------------------


async def test_the_leaderboard_ranks_by_participation_and_is_public(daily: CoreWorld) -> None:
    for offset, users in ((0, ("U1", "U2")), (1, ("U1",)), (2, ("U3",))):
        day = MONDAY + timedelta(days=offset)
        post = await daily.post_day(day)
        for user in users:
            await daily.reply(post, user)
        await daily.reveal(day)
    [response] = await daily.service.handle_command(Invocation(daily.channel, "U9"), "leaderboard")
    assert not response.private
    board = response.message
    assert isinstance(board, LeaderboardCard)
    assert [(r.rank, r.user_id, r.questions) for r in board.rows] == [
        (1, "U1", 2),
        (2, "U2", 1),
        (2, "U3", 1),
    ]
    assert board.questions_posted == 3


async def test_the_leaderboard_leaves_out_who_opted_out_until_they_opt_in(daily: CoreWorld) -> None:
    post = await daily.post_day(MONDAY)
    await daily.reply(post, "U1")
    await daily.reply(post, "U2")
    await daily.command("U2", "leaderboard optout")
    [board] = await daily.command("U9", "leaderboard all")
    assert isinstance(board, LeaderboardCard) and [r.user_id for r in board.rows] == ["U1"]
    await daily.command("U2", "leaderboard optin")
    [board] = await daily.command("U9", "leaderboard all")
    assert isinstance(board, LeaderboardCard) and [r.user_id for r in board.rows] == ["U1", "U2"]


async def test_the_leaderboard_counts_only_the_period(daily: CoreWorld) -> None:
    await daily.reply(await daily.post_day(MONDAY), "U1")
    daily.clock.set(post_at(MONDAY + timedelta(days=10)))
    [week] = await daily.command("U9", "leaderboard week")
    [month] = await daily.command("U9", "leaderboard month")
    assert isinstance(week, LeaderboardCard) and isinstance(month, LeaderboardCard)
    assert (week.rows, [r.user_id for r in month.rows]) == ((), ["U1"])


async def test_a_weekly_summary_precedes_the_first_question_of_the_week(world: CoreWorld) -> None:
    await world.subscribe(SubscriptionOptions(weekly_summary=True))
    first = await world.post_day(MONDAY)  # nothing last week: no summary
    await world.reply(first, "U1")
    for offset in (1, 2, 3, 4):
        await world.post_day(MONDAY + timedelta(days=offset))
    assert [c for c in world.adapter.of("notice")] == []
    await world.post_day(MONDAY + timedelta(days=7))
    notices = world.adapter.of("notice")
    assert len(notices) == 1
    assert "Last week: 5 questions, 1 person took part" in str(notices[0])
    kinds = [kind for kind, _ in world.adapter.calls]
    assert kinds[kinds.index("notice") + 1] == "question"
    assert kinds.count("question") == 6


# Holidays ---------------------------------------------------------------------------------------------


async def test_a_public_holiday_skips_the_post_and_settings_say_so(world: CoreWorld) -> None:
    world.clock.set(datetime(2026, 12, 21, 7, 0, tzinfo=UTC))
    admin = Invocation(world.channel, "U1", is_admin=True)
    [subscribed] = await world.service.handle_command(
        admin, "subscribe 09:00 Europe/Berlin holidays DE skip 2026-12-23"
    )
    assert isinstance(subscribed.message, ScheduleCard)
    assert subscribed.message.skips == "public holidays in DE and dates 2026-12-23"
    assert ("2026-12-25", "Christmas Day") in subscribed.message.skipped_soon
    posted = []
    for day in (23, 24, 25):
        await world.run_due_at(datetime(2026, 12, day, 8, 0, tzinfo=UTC))
        posted.append(len(world.adapter.questions))
    assert posted == [0, 1, 1]  # 23rd a skipped date, 25th Christmas Day


async def test_holidays_can_be_cleared(service: PracticeService, destination: Destination) -> None:
    admin = Invocation(destination, "U1", is_admin=True)
    await service.handle_command(admin, "subscribe holidays GB skip 2026-12-24")
    [cleared] = await service.handle_command(admin, "subscribe holidays none skip none")
    assert isinstance(cleared.message, ScheduleCard) and cleared.message.skips == "none"


async def test_a_holiday_does_not_break_a_streak(world: CoreWorld) -> None:
    tuesday_off = SkipDays(None, frozenset({MONDAY + timedelta(days=1)}))
    await world.subscribe(schedule=replace(world.schedule, skip=tuesday_off))
    for offset in (0, 2):
        day = MONDAY + timedelta(days=offset)
        await world.reply(await world.post_day(day), "U1")
        await world.reveal(day)
    [stats] = await world.command("U1", "stats")
    assert isinstance(stats, StatsCard) and stats.current_streak == 2


# Suggestions ---------------------------------------------------------------------------------------------


async def test_suggest_asks_the_adapter_for_its_form(world: CoreWorld) -> None:
    [form] = await world.command("U1", "suggest")
    assert isinstance(form, SuggestForm) and ("keras", "Keras 3") in form.topics


async def test_a_suggestion_is_stored_for_moderators(world: CoreWorld) -> None:
    response = await world.service.suggest(
        Invocation(world.channel, "U1"),
        "Why standardise before PCA?",
        "Variance depends on units.",
        "keras",
        "hard",
    )
    assert "Suggestion #1" in str(response.message)
    [saved] = await world.store.list_suggestions()
    assert (saved.user_key, saved.topic, saved.difficulty, saved.status) == (
        world.key("U1"),
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
    world: CoreWorld, question: str, answer: str, topic: str | None, problem: str
) -> None:
    response = await world.service.suggest(Invocation(world.channel, "U1"), question, answer, topic)
    assert isinstance(response.message, Notice) and response.message.kind is NoticeKind.ERROR
    assert problem in response.message.text
    assert await world.store.list_suggestions() == []


# Linked accounts --------------------------------------------------------------------------------------

SLACK = Destination("slack", "C1", "T1")
DISCORD = Destination("discord", "D1", "G1")


async def link_code(world: CoreWorld, where: Destination, user: str) -> str:
    [made] = await world.command(user, "link", where)
    assert isinstance(made, Notice)
    return made.text.split("/mlquestion link ")[1].split("`")[0]


async def test_a_linked_account_shares_the_review_schedule_across_platforms(world: CoreWorld) -> None:
    await world.rate("U1", "keras-easy", "ask:2026-11-23", "missed", SLACK)
    code = await link_code(world, SLACK, "U1")
    [linked] = await world.command("D9", f"link {code.lower()}", DISCORD)
    assert isinstance(linked, Notice) and linked.text.startswith("Linked")
    world.clock.advance(timedelta(days=2))
    [due] = await world.command("D9", "review", DISCORD)
    assert isinstance(due, QuestionCard) and due.question_id == "keras-easy"
    assert due.rating is not None
    await world.rate("D9", due.question_id, due.rating.context, "nailed", DISCORD)
    [after] = await world.command("U1", "review", SLACK)
    assert isinstance(after, Notice) and "Nothing to review right now" in after.text


async def test_linking_brings_the_accounts_own_cards_along(world: CoreWorld) -> None:
    await world.rate("U1", "keras-easy", "ask:2026-11-23", "nailed", SLACK)
    await world.rate("D9", "tensorflow-hard", "ask:2026-11-23", "missed", DISCORD)
    await world.command("D9", f"link {await link_code(world, SLACK, 'U1')}", DISCORD)
    cards = await world.store.review_queue("slack:T1:U1", limit=10)
    assert {c.question_id for c in cards} == {"keras-easy", "tensorflow-hard"}
    assert await world.store.review_queue("discord:G1:D9", limit=10) == []


async def test_a_code_works_once_and_expires(world: CoreWorld) -> None:
    code = await link_code(world, SLACK, "U1")
    await world.command("D9", f"link {code}", DISCORD)
    [again] = await world.command("D8", f"link {code}", DISCORD)
    assert isinstance(again, Notice) and again.kind is NoticeKind.ERROR and "unknown or expired" in again.text
    late = await link_code(world, SLACK, "U2")
    world.clock.advance(timedelta(minutes=11))
    [expired] = await world.command("D7", f"link {late}", DISCORD)
    assert isinstance(expired, Notice) and expired.kind is NoticeKind.ERROR
    assert await world.store.person_of("discord:G1:D7") == "discord:G1:D7"


async def test_unlinking_keeps_a_copy_of_the_shared_schedule(world: CoreWorld) -> None:
    await world.rate("U1", "keras-easy", "ask:2026-11-23", "missed", SLACK)
    await world.command("D9", f"link {await link_code(world, SLACK, 'U1')}", DISCORD)
    [unlinked] = await world.command("D9", "unlink", DISCORD)
    assert isinstance(unlinked, Notice) and unlinked.text.startswith("Unlinked")
    assert [c.question_id for c in await world.store.review_queue("discord:G1:D9")] == ["keras-easy"]
    await world.rate("D9", "keras-easy", "ask:2026-11-24", "nailed", DISCORD)
    [slack_card] = await world.store.review_queue("slack:T1:U1")
    [discord_card] = await world.store.review_queue("discord:G1:D9")
    assert (slack_card.last_context, discord_card.last_context) == ("ask:2026-11-23", "ask:2026-11-24")
    [nothing] = await world.command("D9", "unlink", DISCORD)
    assert isinstance(nothing, Notice) and "not linked" in nothing.text
