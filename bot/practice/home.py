"""A person's home: what they see when they open the app (Slack's App Home), in one summary.

Their streaks and the next daily question in their channels, reviews due, mastery by topic, recent
mock interviews, and for admins every subscription of the workspace with its next post. Plain
dataclasses any view can draw; each list is ordered so that a view which must cut it keeps the
most useful rows first.

"Your channels" are the workspace's subscribed channels where the person has taken part (replied in
a question's thread or rated under its reveal), read from the store. We chose this over asking the
platform which channels the person belongs to (Slack's `users.conversations`): it costs no platform
call (paged and rate-limited: Tier 3) each time someone opens their home, it works on every
platform, and it is the rule the web dashboard already uses. The price: a channel where someone has
never answered shows up after their first reply or rating there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.content.bank import QuestionBank
from bot.content.rubric import TRACK_LABELS, Track
from bot.practice.flows import user_key
from bot.practice.mock import IDLE_LIMIT
from bot.practice.progress import Mastery, Progress
from bot.practice.review import SelfRating
from bot.practice.streaks import streak
from bot.records import MockSession, RatingRecord, Subscription
from bot.schedule.clock import Clock
from bot.schedule.rules import format_days, next_slots
from bot.seam import Destination
from bot.store import Store

# Streaks cost a query per channel: they are computed for this many channels (the soonest next post
# first) and the rest are only counted, so a person in thousands of channels opens their home fast.
CHANNELS_SHOWN = 25
MOCKS_SHOWN = 5
_TRACKS = frozenset(t.value for t in Track)
_SCORE = {SelfRating.NAILED.value: 1.0, SelfRating.PARTLY.value: 0.5, SelfRating.MISSED.value: 0.0}


@dataclass(frozen=True, slots=True)
class ChannelHome:
    """One of the person's channels: their streak there and when its next daily question comes."""

    destination: Destination
    next_post_at: datetime | None  # None while the subscription is paused
    current_streak: int
    longest_streak: int


@dataclass(frozen=True, slots=True)
class MockRun:
    """One mock interview: when, which track, how far it got and how it went."""

    started_at: datetime
    track: str | None  # the track's label
    questions: int
    rated: int
    score: float | None  # nailed 1, partly ½, missed 0 over the rated questions; None before any
    status: str  # "finished", "stopped", "expired" or "in progress"


@dataclass(frozen=True, slots=True)
class SubscriptionHome:
    """A channel's daily question, for admins: its schedule and next post."""

    destination: Destination
    schedule: str  # "09:00 Europe/Berlin, mon-fri"
    next_post_at: datetime | None  # None while paused
    paused_reason: str | None


@dataclass(frozen=True, slots=True)
class HomeSummary:
    user_id: str
    now: datetime
    reviews_due: int
    next_review_at: datetime | None  # the soonest due card (in the past when reviews are due)
    mastery: tuple[Mastery, ...]  # by topic, weakest first
    channels: tuple[ChannelHome, ...]  # soonest next post first, paused last; at most CHANNELS_SHOWN
    more_channels: int  # the person's channels beyond those
    mocks: tuple[MockRun, ...]  # newest first
    subscriptions: tuple[SubscriptionHome, ...] | None  # admins only: every channel, soonest first
    dashboard_url: str | None  # the web dashboard, when it is served

    @property
    def best_streak(self) -> ChannelHome | None:
        """The channel where the person's current streak is longest (None without channels)."""
        return max(self.channels, key=lambda c: (c.current_streak, c.longest_streak), default=None)


class Home:
    """Builds home summaries from the store; holds no state beyond its collaborators."""

    def __init__(
        self, bank: QuestionBank, store: Store, clock: Clock, dashboard_url: str | None = None
    ) -> None:
        self.bank = bank
        self.store = store
        self.clock = clock
        self.dashboard_url = dashboard_url
        self.progress = Progress(bank, store, clock)

    async def summary(self, where: Destination, user_id: str, is_admin: bool) -> HomeSummary:
        """The home of `user_id` in `where`'s platform and workspace (`is_admin`: decided by the
        adapter from platform roles, as for admin commands)."""
        now = self.clock.now()
        key = user_key(where, user_id)
        taken_part = await self.store.channels_taken_part(key, where.platform, where.workspace_id)
        # Members read only their channels' subscriptions; admins see every one anyway.
        subscribed = await self.store.workspace_subscriptions(
            where.platform, where.workspace_id, None if is_admin else taken_part
        )
        # Each next post once: an admin's list and their own channels share them.
        upcoming = {s.id: _next_post(s, now) for s in subscribed}
        soonest_first = sorted(subscribed, key=lambda s: _soonest_first(s, upcoming[s.id], now))
        mine = [s for s in soonest_first if s.destination.channel_id in taken_part]
        ratings = await self.store.user_ratings(key)
        person = await self.store.person_of(key)
        queue = await self.store.review_queue(person, limit=1)
        return HomeSummary(
            user_id=user_id,
            now=now,
            reviews_due=await self.store.count_due(person, now),
            next_review_at=queue[0].due if queue else None,
            mastery=self.progress.by_topic(ratings),
            channels=await self._channels(mine[:CHANNELS_SHOWN], upcoming, key, _rated_posts(ratings)),
            more_channels=max(0, len(mine) - CHANNELS_SHOWN),
            mocks=tuple(_mock_run(m, now) for m in await self.store.recent_mocks(key, MOCKS_SHOWN)),
            subscriptions=_subscriptions(soonest_first, upcoming) if is_admin else None,
            dashboard_url=self.dashboard_url,
        )

    async def _channels(
        self,
        subscriptions: list[Subscription],
        upcoming: dict[int, datetime | None],
        key: str,
        rated: set[int],
    ) -> tuple[ChannelHome, ...]:
        replied = await self.store.replied_threads(key) if subscriptions else set()
        found = []
        for subscription in subscriptions:
            posts = await self.store.destination_posts(subscription.destination)
            took = {
                p.id
                for p in posts
                if p.id in rated or (p.thread is not None and p.thread.reply_key in replied)
            }
            run = streak(posts, took)
            found.append(
                ChannelHome(subscription.destination, upcoming[subscription.id], run.current, run.longest)
            )
        return tuple(found)


def _rated_posts(ratings: list[RatingRecord]) -> set[int]:
    return {r.post_id for r in ratings if r.post_id is not None}


def _next_post(subscription: Subscription, now: datetime) -> datetime | None:
    if subscription.paused:
        return None
    upcoming = next_slots(subscription.schedule, now, 1)
    return upcoming[0].post_at if upcoming else None


def _soonest_first(
    subscription: Subscription, upcoming: datetime | None, now: datetime
) -> tuple[bool, datetime, str]:
    return upcoming is None, upcoming or now, subscription.destination.channel_id


def _subscriptions(
    soonest_first: list[Subscription], upcoming: dict[int, datetime | None]
) -> tuple[SubscriptionHome, ...]:
    rows = []
    for subscription in soonest_first:
        schedule = subscription.schedule
        rows.append(
            SubscriptionHome(
                subscription.destination,
                f"{schedule.post_time:%H:%M} {schedule.zone.key}, {format_days(schedule.days)}",
                upcoming[subscription.id],
                (subscription.paused_reason or "paused") if subscription.paused else None,
            )
        )
    return tuple(rows)


def _mock_run(session: MockSession, now: datetime) -> MockRun:
    rated = [_SCORE[r] for r in session.ratings if r in _SCORE]
    status = session.ended or ("expired" if now - session.updated_at > IDLE_LIMIT else "in progress")
    track = TRACK_LABELS[Track(session.track)] if session.track in _TRACKS else None
    return MockRun(
        started_at=session.started_at,
        track=track,
        questions=len(session.question_ids),
        rated=len(rated),
        score=sum(rated) / len(rated) if rated else None,
        status=status,
    )
