"""What the store keeps, as the core sees it: subscriptions and posted questions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.bank import Filters
from bot.schedule import Schedule
from bot.seam import Destination, ThreadRef


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    destination: Destination
    schedule: Schedule
    filters: Filters
    paused: bool = False
    paused_reason: str | None = None
    # Last created, changed or resumed: slots scheduled before this are never posted late.
    active_since: datetime | None = None

    @property
    def rotation_scope(self) -> str:
        """The rotation key: per channel, so history survives unsubscribing and resubscribing."""
        return f"channel:{self.destination.key}"


@dataclass(frozen=True, slots=True)
class PostClaim:
    """The right to send one subscription's question for one local date (held under a lease)."""

    post_id: int
    subscription_id: int
    local_date: date
    question_id: str | None
    taken_over: bool


@dataclass(frozen=True, slots=True)
class PostRecord:
    """A daily post, or (with no subscription) a question shared to a channel on demand."""

    id: int
    subscription_id: int | None
    local_date: date
    scheduled_at: datetime
    reveal_due_at: datetime
    status: str
    question_id: str | None
    thread: ThreadRef | None
    posted_at: datetime | None
    revealed_at: datetime | None
    shared_by: str | None = None
