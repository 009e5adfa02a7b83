"""Progress figures in the core (bot/practice/progress.py): a person's streaks, calendar, ratings
over time, mastery, review forecast and suggestions; a channel's participation, answer rates,
hardest questions and leaderboard. Platform-neutral, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.practice.progress import WEEKS, Progress, monday
from bot.records import PostRecord
from bot.schedule.clock import FakeClock
from bot.seam import Destination
from bot.service import PracticeService
from bot.store import SqlStore
from tests.support.core_support import MONDAY, CoreWorld

DAYS = [MONDAY + timedelta(days=i) for i in range(5)]  # Monday to Friday


@pytest.fixture
async def week(daily: CoreWorld) -> list[PostRecord]:
    """A week of questions: U1 replies Mon, Tue, Thu, Fri and rates Mon (missed) and Tue (nailed);
    U2 replies every day; U3 (opted out) replies Monday."""
    posts = [await daily.revealed_post(day) for day in DAYS]
    for index, posted in enumerate(posts):
        daily.clock.set(datetime.combine(posted.local_date, datetime.min.time(), UTC) + timedelta(hours=15))
        if index != 2:
            await daily.reply(posted, "U1")
        await daily.reply(posted, "U2")
    await daily.rate_post("U1", posts[0], "missed")
    await daily.rate_post("U1", posts[1], "nailed")
    await daily.reply(posts[0], "U3")
    await daily.service.practice.set_optout(daily.channel, "U3", True)
    daily.clock.set(datetime(2026, 11, 28, 10, 0, tzinfo=UTC))  # Saturday
    return posts


@pytest.fixture
def progress(service: PracticeService) -> Progress:
    return Progress(service.bank, service.store, service.clock)


async def test_streaks_are_per_channel(
    progress: Progress, week: list[PostRecord], destination: Destination
) -> None:
    """U1 missed Wednesday: two in a row now (Thu, Fri), longest two, four of five taken part in."""
    person = await progress.person(destination, "U1", [destination])
    [channel] = person.streaks
    assert (channel.current, channel.longest, channel.answered, channel.questions) == (2, 2, 4, 5)


async def test_the_calendar_is_whole_weeks_marking_practice(
    progress: Progress, week: list[PostRecord], destination: Destination
) -> None:
    """WEEKS whole weeks from a Monday; Wednesday a question not taken part in; Sunday still to come."""
    calendar = (await progress.person(destination, "U1", [destination])).calendar
    assert len(calendar) == WEEKS * 7 and calendar[0].day.weekday() == 0
    by_day = {day.day: day for day in calendar}
    assert by_day[DAYS[0]].practised and by_day[DAYS[0]].answered == 1
    assert by_day[DAYS[2]].questions == 1 and not by_day[DAYS[2]].practised
    assert by_day[date(2026, 11, 29)].future and not by_day[date(2026, 11, 28)].future


async def test_ratings_are_counted_per_week(
    progress: Progress, week: list[PostRecord], destination: Destination
) -> None:
    """This week: one Nailed it, one Missed it; earlier weeks empty."""
    weeks = (await progress.person(destination, "U1", [destination])).ratings_by_week
    assert len(weeks) == WEEKS and weeks[-1].week == MONDAY
    assert (weeks[-1].nailed, weeks[-1].partly, weeks[-1].missed) == (1, 0, 1)
    assert sum(w.total for w in weeks[:-1]) == 0


async def test_mastery_uses_the_latest_rating_and_lists_the_weakest_first(
    progress: Progress, week: list[PostRecord], destination: Destination, service: PracticeService
) -> None:
    """A topic rated Missed it comes before one rated Nailed it; a re-rating replaces the first."""
    person = await progress.person(destination, "U1", [destination])
    scores = [m.score for m in person.by_topic]
    assert scores == sorted(scores)
    question = service.bank.get(week[0].question_id or "")
    assert question is not None
    topic = next(m for m in person.by_topic if m.key == question.topic)
    assert topic.rated >= 1 and topic.questions == 3


async def test_the_forecast_counts_each_card_once_over_thirty_days(
    progress: Progress, week: list[PostRecord], destination: Destination, clock: FakeClock
) -> None:
    """Two cards: both in the next 30 days; the first day holds today's and the overdue ones."""
    person = await progress.person(destination, "U1", [destination])
    assert len(person.forecast) == 30 and person.forecast[0].day == clock.now().date()
    assert sum(day.due for day in person.forecast) == 2
    dues = await progress.store.review_due_dates("fake:T1:U1")
    assert person.forecast[0].due == sum(1 for due in dues if due.date() <= clock.now().date())
    assert person.due_now == sum(1 for due in dues if due <= clock.now())


async def test_a_persons_suggestions_come_with_the_moderators_reason(
    progress: Progress, store: SqlStore, destination: Destination, clock: FakeClock
) -> None:
    """The You page's list: the person's own suggestions, newest first, with a rejection's reason."""
    first = await store.add_suggestion("fake:T1:U1", destination.key, None, None, "Q1?", "A1.", clock.now())
    second = await store.add_suggestion("fake:T1:U1", destination.key, None, None, "Q2?", "A2.", clock.now())
    await store.add_suggestion("fake:T1:U2", destination.key, None, None, "Not mine?", "A.", clock.now())
    await store.reject_suggestion(first, "Too broad.", "fake:T1:UA", clock.now())
    person = await progress.person(destination, "U1", [])
    assert [(s.id, s.rejected_reason) for s in person.suggestions] == [(second, None), (first, "Too broad.")]


async def test_channels_taken_part_in_are_found(
    progress: Progress, week: list[PostRecord], destination: Destination
) -> None:
    """U1 took part in the channel; U9 never did."""
    other = Destination("fake", "C2", "T1")
    assert await progress.channels_taken_part([destination, other], "fake:T1:U1") == [destination]
    assert await progress.channels_taken_part([destination, other], "fake:T1:U9") == []


async def test_a_channels_weeks_count_questions_people_and_answers(
    progress: Progress, week: list[PostRecord], destination: Destination
) -> None:
    """This week: five questions, three people, 4 + 5 + 1 answers."""
    channel = await progress.channel(destination)
    this_week = channel.weeks[-1]
    assert (this_week.week, this_week.questions, this_week.people, this_week.answers) == (MONDAY, 5, 3, 10)
    assert channel.since == monday(MONDAY) - timedelta(weeks=WEEKS - 1)


async def test_answer_rates_are_shares_of_the_active_people(
    progress: Progress, week: list[PostRecord], destination: Destination
) -> None:
    """Latest first: Friday 2 of 3 people; Monday 3 of 3."""
    rates = (await progress.channel(destination)).answer_rates
    assert [r.post_id for r in rates] == [p.id for p in reversed(week)]
    assert (rates[0].took_part, rates[0].active) == (2, 3) and rates[-1].rate == 1.0


async def test_the_hardest_question_is_the_lowest_rated(
    progress: Progress, week: list[PostRecord], destination: Destination
) -> None:
    """Monday's (Missed it) is harder than Tuesday's (Nailed it)."""
    hardest = (await progress.channel(destination)).hardest
    assert [q.question_id for q in hardest] == [week[0].question_id, week[1].question_id]
    assert hardest[0].score == 0.0 and hardest[1].score == 1.0


async def test_the_channel_leaderboard_leaves_out_opt_outs(
    progress: Progress, week: list[PostRecord], destination: Destination
) -> None:
    """U2 first (5), U1 second (4); U3 opted out."""
    board = (await progress.channel(destination)).leaderboard
    assert [(row.rank, row.user_id, row.questions) for row in board] == [(1, "U2", 5), (2, "U1", 4)]
