"""What the store keeps, as the core sees it: subscriptions and posted questions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.content.bank import Filters
from bot.schedule.rules import Schedule
from bot.seam import Destination, ThreadRef


@dataclass(frozen=True, slots=True)
class SubscriptionOptions:
    """What a subscription adds around its questions."""

    mention_participants: bool = True  # the reveal @-mentions who answered (else names only)
    weekly_summary: bool = False  # a summary of last week before the first question of the week


DEFAULT_OPTIONS = SubscriptionOptions()


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
    options: SubscriptionOptions = DEFAULT_OPTIONS

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
    # An earlier holder started sending it (and may have reached the platform): the send must first
    # look for what that attempt delivered. A claim taken over before any send started needs no look.
    attempted: bool = False


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


# Practice ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RatingRecord:
    question_id: str
    rating: str
    context: str
    post_id: int | None
    rated_at: datetime


@dataclass(frozen=True, slots=True)
class ReviewCardRecord:
    """A person's spaced-repetition state for one question (`card` is fsrs.Card as JSON)."""

    question_id: str
    card: str
    due: datetime
    card_before: str | None
    last_context: str | None


@dataclass(frozen=True, slots=True)
class Participant:
    """Someone who took part in a post: replied in its thread or rated it (user ids, never text)."""

    user_key: str
    user_id: str
    post_id: int


@dataclass(frozen=True, slots=True)
class Suggestion:
    id: int
    user_key: str
    destination: str
    topic: str | None
    difficulty: str | None
    question: str
    answer: str
    status: str
    created_at: datetime
    accepted_path: str | None = None
    rejected_reason: str | None = None  # a moderator's reason, shown to the person who suggested it
    reviewed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MockSession:
    """A mock interview in progress (or ended): its questions in order, where the person is, and
    each question's outcome so far. Kept in the store so a restart does not lose it."""

    id: int
    user_key: str
    user_id: str
    destination: Destination  # where it was started (replies fall back there)
    track: str | None
    question_ids: tuple[str, ...]
    position: int  # index of the current question
    # Per question, in order: the suggested rating of the answer checked (None before an answer)
    # and the rating the person chose (None before they chose).
    suggested: tuple[str | None, ...]
    ratings: tuple[str | None, ...]
    started_at: datetime
    updated_at: datetime
    ended: str | None = None  # "finished", "stopped" or "expired"


# The web dashboard --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WebSession:
    """A signed-in dashboard session: who, from which channel's command, whether the platform called
    them an admin and when it said so, the form token, and when the session ends. The cookie holds a
    token whose SHA-256 is `token_hash`; the token itself is never stored."""

    token_hash: str
    destination: Destination  # where `/mlquestion dashboard` was run
    user_id: str
    user_key: str
    is_admin: bool
    admin_checked_at: datetime
    csrf_token: str
    created_at: datetime
    expires_at: datetime
