"""Progress you can see: a person's and a channel's figures, computed from the store.

Platform-neutral plain dataclasses for any page or view that draws them (the web dashboard, and
the Slack App Home through `home.py`). Dates of daily questions are the channel's local dates;
everything else (ratings, review due dates) is by UTC date. Nothing here decides who may see what: callers do.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.content.bank import QuestionBank
from bot.content.rubric import TRACK_LABELS, Track
from bot.content.taxonomy import TOPICS, topic_label
from bot.messages import LeaderboardRow
from bot.practice.flows import leaderboard_rows, user_key
from bot.practice.review import SelfRating
from bot.practice.streaks import streak
from bot.records import PostRecord, RatingRecord, Suggestion
from bot.schedule.clock import Clock
from bot.seam import Destination
from bot.store import Store

WEEKS = 12  # the span of the calendar and the weekly charts
FORECAST_DAYS = 30
RECENT_QUESTIONS = 20  # answer rates are shown for the channel's latest questions
HARDEST = 10
LEADERBOARD_SIZE = 10


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """One day of a person's streak calendar."""

    day: date
    questions: int  # daily questions posted that day in the person's channels
    answered: int  # of those, how many the person replied to or rated
    practised: bool  # answered one, or rated any question that day (private practice counts)
    future: bool = False


@dataclass(frozen=True, slots=True)
class ChannelStreak:
    destination: Destination
    current: int
    longest: int
    questions: int  # daily questions posted there, all time
    answered: int  # of those, the ones the person took part in


@dataclass(frozen=True, slots=True)
class WeekRatings:
    week: date  # its Monday
    nailed: int
    partly: int
    missed: int

    @property
    def total(self) -> int:
        return self.nailed + self.partly + self.missed


@dataclass(frozen=True, slots=True)
class Mastery:
    """How a person rated themselves (latest rating per question) on a topic's or track's questions."""

    key: str
    label: str
    nailed: int
    partly: int
    missed: int
    questions: int  # in the bank

    @property
    def rated(self) -> int:
        return self.nailed + self.partly + self.missed

    @property
    def score(self) -> float:
        """Nailed counts 1, partly ½, missed 0: the share of the rated questions answered well."""
        return (self.nailed + self.partly / 2) / self.rated if self.rated else 0.0


@dataclass(frozen=True, slots=True)
class DueDay:
    day: date
    due: int  # review cards falling due that day (the first day also holds the overdue ones)


@dataclass(frozen=True, slots=True)
class PersonProgress:
    user_key: str
    today: date
    streaks: tuple[ChannelStreak, ...]
    calendar: tuple[CalendarDay, ...]  # whole weeks, Monday first, oldest first
    ratings_by_week: tuple[WeekRatings, ...]
    by_topic: tuple[Mastery, ...]  # weakest first
    by_track: tuple[Mastery, ...]
    forecast: tuple[DueDay, ...]
    due_now: int
    suggestions: tuple[Suggestion, ...]  # newest first, with a moderator's reason where rejected


@dataclass(frozen=True, slots=True)
class WeekParticipation:
    week: date  # its Monday
    questions: int
    people: int  # distinct people who took part
    answers: int  # (person, question) pairs: a reply in the thread or a rating under the reveal


@dataclass(frozen=True, slots=True)
class AnswerRate:
    """Of the people active in the channel over the period, how many took part in one question."""

    post_id: int
    day: date
    question_id: str
    title: str
    took_part: int
    active: int

    @property
    def rate(self) -> float:
        return self.took_part / self.active if self.active else 0.0


@dataclass(frozen=True, slots=True)
class HardQuestion:
    question_id: str
    title: str
    topic_label: str
    nailed: int
    partly: int
    missed: int

    @property
    def rated(self) -> int:
        return self.nailed + self.partly + self.missed

    @property
    def score(self) -> float:
        return (self.nailed + self.partly / 2) / self.rated if self.rated else 0.0


@dataclass(frozen=True, slots=True)
class ChannelProgress:
    destination: Destination
    since: date  # the Monday the period starts
    questions: int  # posted in the period
    people: int  # active in the period
    weeks: tuple[WeekParticipation, ...]
    answer_rates: tuple[AnswerRate, ...]  # latest first
    hardest: tuple[HardQuestion, ...]  # hardest first, all time
    leaderboard: tuple[LeaderboardRow, ...]  # over the period, opt-outs left out


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


class Progress:
    """Computes figures; holds no state beyond its collaborators."""

    def __init__(self, bank: QuestionBank, store: Store, clock: Clock) -> None:
        self.bank = bank
        self.store = store
        self.clock = clock

    def period_start(self) -> date:
        """The Monday WEEKS - 1 weeks before this week's: the calendar and weekly charts start there."""
        return monday(self.clock.now().date()) - timedelta(weeks=WEEKS - 1)

    async def channels_taken_part(self, channels: Iterable[Destination], key: str) -> list[Destination]:
        """The channels among `channels` where the person replied to or rated a daily question."""
        replied = await self.store.replied_threads(key)
        rated = {r.post_id for r in await self.store.user_ratings(key) if r.post_id is not None}
        found = []
        for destination in channels:
            posts = await self.store.destination_posts(destination)
            if _took_part(posts, replied, rated):
                found.append(destination)
        return found

    async def person(
        self, destination: Destination, user_id: str, channels: list[Destination]
    ) -> PersonProgress:
        """Figures of the person `user_id` on `destination`'s platform and workspace, with the
        streaks of `channels` (the channels they take part in)."""
        now = self.clock.now()
        key = user_key(destination, user_id)
        replied = await self.store.replied_threads(key)
        ratings = await self.store.user_ratings(key)
        rated_posts = {r.post_id for r in ratings if r.post_id is not None}
        streaks: list[ChannelStreak] = []
        days: dict[date, list[int]] = defaultdict(lambda: [0, 0])
        for channel in channels:
            posts = await self.store.destination_posts(channel)
            took = _took_part(posts, replied, rated_posts)
            run = streak(posts, took)
            streaks.append(ChannelStreak(channel, run.current, run.longest, len(posts), len(took)))
            for post in posts:
                days[post.local_date][0] += 1
                days[post.local_date][1] += post.id in took
        practised = {r.rated_at.date() for r in ratings} | {
            d for d, (_, answered) in days.items() if answered
        }
        start = self.period_start()
        calendar = tuple(
            CalendarDay(day, days[day][0], days[day][1], day in practised, future=day > now.date())
            for day in (start + timedelta(days=offset) for offset in range(WEEKS * 7))
        )
        person = await self.store.person_of(key)
        dues = await self.store.review_due_dates(person)
        return PersonProgress(
            user_key=key,
            today=now.date(),
            streaks=tuple(streaks),
            calendar=calendar,
            ratings_by_week=_weekly_ratings(ratings, start),
            by_topic=self.by_topic(ratings),
            by_track=self._by_track(ratings),
            forecast=_forecast(dues, now),
            due_now=sum(1 for due in dues if due <= now),
            suggestions=tuple(await self.store.user_suggestions(key)),
        )

    async def channel(self, destination: Destination) -> ChannelProgress:
        """A channel's participation over the period, answer rates, hardest questions, leaderboard."""
        start = self.period_start()
        posts = await self.store.destination_posts(destination)
        recent = [p for p in posts if p.local_date >= start]
        participants = await self.store.post_participants(recent)
        by_post: dict[int, set[str]] = defaultdict(set)
        for participant in participants:
            by_post[participant.post_id].add(participant.user_key)
        active = len({p.user_key for p in participants})
        weeks = []
        for index in range(WEEKS):
            week = start + timedelta(weeks=index)
            in_week = [p for p in recent if monday(p.local_date) == week]
            people = set().union(*(by_post[p.id] for p in in_week)) if in_week else set()
            answers = sum(len(by_post[p.id]) for p in in_week)
            weeks.append(WeekParticipation(week, len(in_week), len(people), answers))
        rates = tuple(
            AnswerRate(
                p.id,
                p.local_date,
                p.question_id or "",
                self._title(p.question_id),
                len(by_post[p.id]),
                active,
            )
            for p in reversed(recent[-RECENT_QUESTIONS:])
        )
        return ChannelProgress(
            destination=destination,
            since=start,
            questions=len(recent),
            people=active,
            weeks=tuple(weeks),
            answer_rates=rates,
            hardest=await self._hardest(posts),
            leaderboard=await leaderboard_rows(self.store, participants, LEADERBOARD_SIZE),
        )

    async def _hardest(self, posts: list[PostRecord]) -> tuple[HardQuestion, ...]:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for rating in await self.store.post_ratings([p.id for p in posts]):
            counts[rating.question_id][rating.rating] += 1
        found = []
        for question_id, count in counts.items():
            question = self.bank.get(question_id)
            if question is None:
                continue  # removed from the bank since
            found.append(
                HardQuestion(
                    question_id,
                    question.title,
                    topic_label(question.topic),
                    count[SelfRating.NAILED],
                    count[SelfRating.PARTLY],
                    count[SelfRating.MISSED],
                )
            )
        found.sort(key=lambda q: (q.score, -q.rated, q.title))
        return tuple(found[:HARDEST])

    def _title(self, question_id: str | None) -> str:
        question = self.bank.get(question_id or "")
        return question.title if question else f"(no longer in the bank: {question_id})"

    def _latest(self, ratings: list[RatingRecord]) -> dict[str, str]:
        latest: dict[str, str] = {}
        for rating in ratings:  # oldest first: the latest rating of each question wins
            if self.bank.get(rating.question_id) is not None:
                latest[rating.question_id] = rating.rating
        return latest

    def by_topic(self, ratings: list[RatingRecord]) -> tuple[Mastery, ...]:
        latest = self._latest(ratings)
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for question_id, value in latest.items():
            question = self.bank.get(question_id)
            if question is not None:
                counts[question.topic][value] += 1
        in_bank = Counter(q.topic for q in self.bank.questions)
        found = [_mastery(t.slug, t.label, counts[t.slug], in_bank[t.slug]) for t in TOPICS if counts[t.slug]]
        return tuple(sorted(found, key=lambda m: (m.score, m.label)))

    def _by_track(self, ratings: list[RatingRecord]) -> tuple[Mastery, ...]:
        latest = self._latest(ratings)
        found = []
        for track in Track:
            questions = [q for q in self.bank.questions if track in q.tracks]
            count = Counter(latest[q.id] for q in questions if q.id in latest)
            if count:
                found.append(_mastery(track.value, TRACK_LABELS[track], count, len(questions)))
        return tuple(found)


def _took_part(posts: list[PostRecord], replied: set[str], rated: set[int]) -> set[int]:
    return {p.id for p in posts if (p.thread is not None and p.thread.reply_key in replied) or p.id in rated}


def _mastery(key: str, label: str, counts: Counter[str], questions: int) -> Mastery:
    return Mastery(
        key, label, counts[SelfRating.NAILED], counts[SelfRating.PARTLY], counts[SelfRating.MISSED], questions
    )


def _weekly_ratings(ratings: list[RatingRecord], start: date) -> tuple[WeekRatings, ...]:
    counts: dict[date, Counter[str]] = defaultdict(Counter)
    for rating in ratings:
        counts[monday(rating.rated_at.date())][rating.rating] += 1
    weeks = (start + timedelta(weeks=index) for index in range(WEEKS))
    return tuple(
        WeekRatings(
            week,
            counts[week][SelfRating.NAILED],
            counts[week][SelfRating.PARTLY],
            counts[week][SelfRating.MISSED],
        )
        for week in weeks
    )


def _forecast(dues: list[datetime], now: datetime) -> tuple[DueDay, ...]:
    today = now.date()
    counts = Counter(max(due.date(), today) for due in dues)
    return tuple(
        DueDay(day, counts[day]) for day in (today + timedelta(days=i) for i in range(FORECAST_DAYS))
    )
