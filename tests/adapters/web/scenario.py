"""A workspace with a few weeks of history, for the dashboard's tests and its screenshots.

Workspace T1 has channel C1 (subscribed, weekday questions) where U1 (a member), U2 and U3 take
part and U4 opted out of leaderboards; channel C2 (subscribed) where only U2 takes part. Workspace
T2 has channel C9 and a suggestion of its own, which nobody signed in to T1 may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.content.bank import Filters, QuestionBank
from bot.content.questions import Question
from bot.content.rubric import Track
from bot.content.taxonomy import Difficulty, QuestionType
from bot.messages import QuestionCard
from bot.records import PostRecord, Subscription
from bot.schedule.clock import FakeClock
from bot.schedule.rules import RevealRule, Schedule
from bot.seam import Destination
from bot.service import Invocation, PracticeService

PLATFORM = "fake"
HOME = Destination(PLATFORM, "C1", "T1")
QUIET = Destination(PLATFORM, "C2", "T1")
ELSEWHERE = Destination(PLATFORM, "C9", "T2")
MEMBER, FRIEND, NEWCOMER, SHY, ADMIN = "U1", "U2", "U3", "U4", "UADMIN"
OTHER_WORKSPACE_TEXT = "A question only workspace T2 may read"
SCHEDULE = Schedule(time(9, 0), ZoneInfo("UTC"), frozenset(range(5)), RevealRule(after=timedelta(hours=6)))


TRACKS = {"keras": (Track.ML_ENGINEER,), "tensorflow": (Track.ML_ENGINEER, Track.MLOPS)}


def scenario_bank() -> QuestionBank:
    """Nine questions over three topics and difficulties, each in a role track or two."""
    return QuestionBank(
        Question(
            id=f"{topic}-{level}",
            title=f"Title of {topic}-{level}",
            topic=topic,
            difficulty=Difficulty(level),
            type=QuestionType.CONCEPT,
            status="reviewed",
            sections={
                "Question": f"Question text of {topic}-{level}?",
                "Answer": f"Answer of {topic}-{level}.",
            },
            path=f"content/questions/{topic}/{topic}-{level}.md",
            tracks=TRACKS.get(topic, (Track.DATA_SCIENTIST,)),
        )
        for topic in ("keras", "tensorflow", "scikit-learn")
        for level in ("easy", "medium", "hard")
    )


@dataclass(frozen=True, slots=True)
class Seeded:
    """What the scenario made: the posts per channel and the suggestions' ids."""

    posts: dict[str, list[PostRecord]]
    member_suggestion: int  # by U1 in C1, topic keras
    friend_suggestion: int  # by U2 in C1, no topic
    elsewhere_suggestion: int  # by someone in T2


async def post_days(
    service: PracticeService, clock: FakeClock, subscriptions: list[Subscription], days: list[date]
) -> dict[str, list[PostRecord]]:
    """Post and reveal each day's questions through the real daily cycle; the posts per channel."""
    found: dict[str, list[PostRecord]] = {s.destination.channel_id: [] for s in subscriptions}
    for day in days:
        clock.set(datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC))
        await service.run_due()
        for subscription in subscriptions:
            post = await service.store.latest_post(subscription.id)
            assert post is not None and post.local_date == day, f"no post on {day}"
            found[subscription.destination.channel_id].append(post)
        clock.set(datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC))
        await service.run_due()
    return found


async def reply(service: PracticeService, post: PostRecord, user: str) -> None:
    assert post.thread is not None
    await service.record_reply(post.thread.destination, post.thread.thread_id or post.thread.message_id, user)


async def rate(service: PracticeService, post: PostRecord, user: str, rating: str) -> None:
    assert post.thread is not None and post.question_id is not None
    invocation = Invocation(post.thread.destination, user)
    await service.rate(invocation, post.question_id, f"post:{post.id}", rating)


async def keep_reviewing(service: PracticeService, clock: FakeClock, today: date, days: int) -> None:
    """U1 does up to three reviews (rated mostly Nailed it) each evening of the last `days` days."""
    choices = ("nailed", "partly", "nailed", "missed", "nailed")
    for back in range(days, 0, -1):
        clock.set(datetime.combine(today - timedelta(days=back), time(18, 0), UTC))
        for turn in range(3):
            card = (await service.practice.review(HOME, MEMBER)).message
            if not isinstance(card, QuestionCard) or card.rating is None:
                break
            choice = choices[(back + turn) % len(choices)]
            await service.rate(Invocation(HOME, MEMBER), card.question_id, card.rating.context, choice)


def weekdays(start: date, count: int) -> list[date]:
    days: list[date] = []
    day = start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


async def seed(service: PracticeService, clock: FakeClock, today: date, weeks: int = 3) -> Seeded:
    """Build the scenario's history over the `weeks` weeks before `today`, then set the clock to
    09:30 UTC on `today` (a Monday in the tests: the day after a full week)."""
    store = service.store
    start = today - timedelta(weeks=weeks)
    clock.set(datetime.combine(start, datetime.min.time(), UTC))  # subscribed before the first post
    home = await store.save_subscription(HOME, SCHEDULE, Filters(), clock.now())
    quiet = await store.save_subscription(QUIET, SCHEDULE, Filters(), clock.now())
    elsewhere = await store.save_subscription(ELSEWHERE, SCHEDULE, Filters(), clock.now())
    posts = await post_days(service, clock, [home, quiet, elsewhere], weekdays(start, weeks * 5))
    home_posts, quiet_posts, elsewhere_posts = posts["C1"][:], posts["C2"][-3:], posts["C9"][-2:]
    ratings = ("nailed", "partly", "missed")
    for index, post in enumerate(home_posts):
        clock.set(datetime.combine(post.local_date, datetime.min.time(), UTC) + timedelta(hours=16))
        if index % 5 != 2:  # U1 misses the Wednesday questions
            await reply(service, post, MEMBER)
            await rate(service, post, MEMBER, ratings[index % 3])
        await reply(service, post, FRIEND)
        await rate(service, post, FRIEND, ratings[(index + 1) % 3])
        if index % 2:
            await reply(service, post, NEWCOMER)
        await reply(service, post, SHY)
    for post in quiet_posts:
        await reply(service, post, FRIEND)
    for post in elsewhere_posts:
        await reply(service, post, "U9")
    await service.practice.set_optout(HOME, SHY, True)
    await keep_reviewing(service, clock, today, days=10)
    now = clock.now()
    member = await store.add_suggestion(
        f"{PLATFORM}:T1:{MEMBER}",
        HOME.key,
        "keras",
        "medium",
        "Why does Keras' fit() shuffle the training data by default?",
        "Shuffling each epoch stops the model learning the order of the batches.",
        now,
    )
    friend = await store.add_suggestion(
        f"{PLATFORM}:T1:{FRIEND}",
        HOME.key,
        None,
        None,
        "What is early stopping?",
        "Stop when validation loss rises.",
        now,
    )
    other = await store.add_suggestion(
        f"{PLATFORM}:T2:U9", ELSEWHERE.key, "keras", None, OTHER_WORKSPACE_TEXT, "Its secret answer.", now
    )
    clock.set(datetime.combine(today, datetime.min.time(), UTC) + timedelta(hours=9, minutes=30))
    return Seeded(posts, member, friend, other)
