"""The store as the core needs it: explicit operations, each one transaction."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, Protocol

from bot.content.bank import Filters
from bot.records import DEFAULT_OPTIONS, PostClaim, PostRecord, Subscription, SubscriptionOptions
from bot.schedule.rules import Schedule
from bot.seam import Destination, ThreadRef
from bot.store.home_protocol import HomeStore
from bot.store.practice_protocol import PracticeStore
from bot.store.web_protocol import WebStore

# Chooses from a scope's current cycle and the ids asked in it (oldest first); returns the question
# id to record and the cycle to record it in.
Chooser = Callable[[int, list[str]], tuple[str, int]]


@dataclass(frozen=True, slots=True)
class PostRequest:
    """One daily post to claim: the subscription's slot on a local date."""

    subscription_id: int
    local_date: date
    scheduled_at: datetime
    reveal_due_at: datetime


@dataclass(frozen=True, slots=True)
class Draw:
    """A question chosen for a claimed post: recorded in the scope's rotation and on the post."""

    post_id: int
    scope: str
    question_id: str
    cycle: int


@dataclass(frozen=True, slots=True)
class SentPost:
    """A post the platform accepted, to be recorded as sent."""

    post_id: int
    thread: ThreadRef
    posted_at: datetime


class Store(PracticeStore, WebStore, HomeStore, Protocol):
    async def close(self) -> None: ...

    async def ping(self) -> bool:
        """Return True if the database answers a trivial query."""
        ...

    # Subscriptions
    async def save_subscription(
        self,
        destination: Destination,
        schedule: Schedule,
        filters: Filters,
        now: datetime,
        options: SubscriptionOptions = DEFAULT_OPTIONS,
    ) -> Subscription:
        """Create the channel's subscription, or replace its schedule, filters and options (kept
        paused state)."""
        ...

    async def get_subscription(self, destination: Destination) -> Subscription | None: ...

    async def get_subscription_by_id(self, subscription_id: int) -> Subscription | None: ...

    async def subscriptions_by_ids(self, subscription_ids: Collection[int]) -> dict[int, Subscription]:
        """Return the subscriptions (paused ones too) with these ids, by id; missing ids are absent."""
        ...

    async def list_subscriptions(self, include_paused: bool = False) -> list[Subscription]: ...

    async def set_paused(
        self, subscription_id: int, paused: bool, reason: str | None, now: datetime
    ) -> None: ...

    async def pause_workspace(self, platform: str, workspace_id: str, reason: str, now: datetime) -> int:
        """Pause every running subscription of one workspace (a Slack team that uninstalled the
        app); return how many were paused. Already paused ones keep their own reason."""
        ...

    async def delete_subscription(self, subscription_id: int) -> None: ...

    # Rotation history
    async def rotation(self, scope: str) -> tuple[int, list[str]]:
        """Return the scope's current cycle number and the question ids asked in it, oldest first."""
        ...

    async def record_asked(self, scope: str, question_id: str, cycle: int, now: datetime) -> None: ...

    async def rotations(self, scopes: Collection[str]) -> dict[str, tuple[int, list[str]]]:
        """`rotation` of many scopes in one query; a scope with no history is (1, []).

        The id asked last is always last in its list; the order of the others may differ from
        `rotation` on databases that cannot order an aggregate (SQLite before 3.44).
        """
        ...

    async def draw(self, scope: str, now: datetime, choose: Chooser, record_later: bool = False) -> None:
        """Read the scope's rotation, let `choose` pick, and record the pick, in one transaction.

        `record_later`: return as soon as the pick is made (and remembered by this store) and
        write it in the background; `settle()` waits for such writes.
        """
        ...

    async def settle(self) -> None:
        """Wait until every pick made with `record_later` is written."""
        ...

    # Daily posts: claimed under a unique (subscription, local date) key before anything is sent
    async def claim_post(
        self,
        subscription_id: int,
        local_date: date,
        scheduled_at: datetime,
        reveal_due_at: datetime,
        now: datetime,
        lease: timedelta,
        owner: str,
    ) -> PostClaim | None:
        """Claim the post; None if another claim holds it or it was already sent or skipped.

        A claim whose lease ran out, or whose send failed, is taken over (`taken_over=True`).
        """
        ...

    async def claim_posts(
        self, requests: Sequence[PostRequest], now: datetime, lease: timedelta, owner: str
    ) -> list[PostClaim]:
        """`claim_post` for many posts in one transaction; returns the claims granted (any order).

        Per post the same rules: a new row is claimed, a failed or expired claim is taken over
        (`taken_over=True`), a live claim or a sent or skipped post is left alone.
        """
        ...

    async def set_post_question(self, post_id: int, question_id: str) -> None: ...

    async def record_draws(self, draws: Sequence[Draw], now: datetime) -> None:
        """Record each draw in its scope's rotation and set it as its post's question, in one transaction."""
        ...

    async def mark_post_sent(self, post_id: int, thread: ThreadRef, posted_at: datetime) -> PostRecord:
        """Record the send and return the post as it now stands (its reveal not yet sent)."""
        ...

    async def mark_posts_sent(self, sent: Sequence[SentPost]) -> list[PostRecord]:
        """`mark_post_sent` for many posts in one transaction; the posts in the same order."""
        ...

    async def mark_posts_sending(self, post_ids: Sequence[int], at: datetime) -> None:
        """Record that sends of these claimed posts start now (in `posted_at` until the send is
        recorded): a takeover of one of them (`attempted=True`) looks for what it delivered first,
        and a takeover of a claim whose send never started does not."""
        ...

    async def release_posts(self, post_ids: Sequence[int], owner: str, reason: str) -> None:
        """Give up claims `owner` still holds without sending (marked failed, so claimed again as
        retries); a claim someone else has taken over is left alone."""
        ...

    async def mark_post_failed(self, post_id: int, error: str) -> None:
        """Record a failed send; the post may be claimed again inside the grace window."""
        ...

    async def mark_post_skipped(self, post_id: int, reason: str) -> None:
        """Record a claimed post that will not be sent (never retried)."""
        ...

    async def record_skipped(
        self,
        subscription_id: int,
        local_date: date,
        scheduled_at: datetime,
        reveal_due_at: datetime,
        reason: str,
    ) -> bool:
        """Record a post that will not be sent; False if the date already has a post row."""
        ...

    # Shared posts: keyed by the adapter's click, so a double click posts once
    async def claim_shared_post(
        self,
        share_key: str,
        question_id: str,
        shared_by: str,
        now: datetime,
        reveal_due_at: datetime,
        lease: timedelta,
        owner: str,
    ) -> int | None:
        """Claim a shared post and return its id; None if the key was already used."""
        ...

    async def release_shared_post(self, post_id: int) -> None:
        """Forget a shared post whose send failed, so the same click can be tried again."""
        ...

    async def post_keys(self, dates: Collection[date]) -> set[tuple[int, date]]:
        """Return (subscription id, local date) of posts sent or skipped on any of these local dates."""
        ...

    async def get_post(self, post_id: int) -> PostRecord | None:
        """Return a post; None for an unknown id, including one out of the column's range (an id
        taken from a payload may be any number)."""
        ...

    async def latest_post(self, subscription_id: int) -> PostRecord | None: ...

    async def posts_awaiting_reveal(self, due_by: datetime | None = None) -> list[PostRecord]:
        """Return sent posts whose reveal has not been sent (only those due by `due_by` if given),
        soonest due first."""
        ...

    async def reveal_times(self, after: datetime) -> list[datetime]:
        """Return the distinct instants after `after` at which unsent reveals of sent posts fall due."""
        ...

    # Reveals: claimed under a unique post key
    async def claim_reveals(
        self, post_ids: Sequence[int], now: datetime, lease: timedelta, owner: str
    ) -> dict[int, Literal["new", "retry"]]:
        """Claim several posts' reveals in one transaction: by post id, "new" for a first attempt,
        "retry" when taking over a failed or expired claim (an earlier attempt may have reached the
        platform); posts whose reveal is held or sent are absent."""
        ...

    async def claim_reveal(
        self, post_id: int, now: datetime, lease: timedelta, owner: str
    ) -> Literal["new", "retry"] | None:
        """`claim_reveals` of one post: None if held or sent."""
        ...

    async def release_reveal(self, post_id: int) -> None:
        """Mark an unsent reveal claim failed so the reveal is tried again (as a retry)."""
        ...

    async def give_up_reveals(self, post_ids: Sequence[int], owner: str) -> None:
        """Drop this owner's reveal claims whose send never started: claimed again as new."""
        ...

    async def mark_reveal_sent(self, post_id: int, revealed_at: datetime) -> None: ...

    async def mark_reveals_sent(self, sent: Sequence[tuple[int, datetime]]) -> None:
        """Record several reveals (post id, when) as sent, in one transaction."""
        ...
