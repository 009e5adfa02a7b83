"""The store as the core needs it: explicit operations, each one transaction."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal, Protocol

from bot.bank import Filters
from bot.records import PostClaim, PostRecord, Subscription
from bot.schedule import Schedule
from bot.seam import Destination, ThreadRef


class Store(Protocol):
    async def close(self) -> None: ...

    async def ping(self) -> bool:
        """Return True if the database answers a trivial query."""
        ...

    # Subscriptions
    async def save_subscription(
        self, destination: Destination, schedule: Schedule, filters: Filters, now: datetime
    ) -> Subscription:
        """Create the channel's subscription, or replace its schedule and filters (kept paused state)."""
        ...

    async def get_subscription(self, destination: Destination) -> Subscription | None: ...

    async def get_subscription_by_id(self, subscription_id: int) -> Subscription | None: ...

    async def list_subscriptions(self, include_paused: bool = False) -> list[Subscription]: ...

    async def set_paused(
        self, subscription_id: int, paused: bool, reason: str | None, now: datetime
    ) -> None: ...

    async def delete_subscription(self, subscription_id: int) -> None: ...

    # Rotation history
    async def rotation(self, scope: str) -> tuple[int, list[str]]:
        """Return the scope's current cycle number and the question ids asked in it, oldest first."""
        ...

    async def record_asked(self, scope: str, question_id: str, cycle: int, now: datetime) -> None: ...

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

    async def set_post_question(self, post_id: int, question_id: str) -> None: ...

    async def mark_post_sent(self, post_id: int, thread: ThreadRef, posted_at: datetime) -> PostRecord:
        """Record the send and return the post as it now stands (its reveal not yet sent)."""
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

    async def post_keys(self, since: date) -> set[tuple[int, date]]:
        """Return (subscription id, local date) of posts sent or skipped since a date."""
        ...

    async def get_post(self, post_id: int) -> PostRecord | None: ...

    async def latest_post(self, subscription_id: int) -> PostRecord | None: ...

    async def posts_awaiting_reveal(self) -> list[PostRecord]:
        """Return sent posts whose reveal has not been sent, soonest due first."""
        ...

    # Reveals: claimed under a unique post key
    async def claim_reveal(
        self, post_id: int, now: datetime, lease: timedelta, owner: str
    ) -> Literal["new", "retry"] | None:
        """Claim a post's reveal: "new" for a first attempt, "retry" when taking over a failed or
        expired claim (an earlier attempt may have reached the platform), None if held or sent."""
        ...

    async def release_reveal(self, post_id: int) -> None:
        """Mark an unsent reveal claim failed so the reveal is tried again (as a retry)."""
        ...

    async def mark_reveal_sent(self, post_id: int, revealed_at: datetime) -> None: ...
