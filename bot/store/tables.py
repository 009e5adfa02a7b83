"""Table definitions used by the queries. The schema itself is created by Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
    select,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always reads them back aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Integer columns are PostgreSQL's 32-bit `integer`: an id that came from a payload (a button's
# context, a command argument) is checked against this range before it reaches a query, where
# asyncpg would raise on the overflow (SQLite would not).
INTEGER_MAX = 2_147_483_647


def fits_id(value: int) -> bool:
    """Whether a number can be a row id of an Integer column (1 … 2,147,483,647)."""
    return 1 <= value <= INTEGER_MAX


metadata = MetaData()

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(20), nullable=False),
    Column("workspace_id", String(64), nullable=False, server_default=""),
    Column("channel_id", String(64), nullable=False),
    Column("post_time", String(5), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("days", String(20), nullable=False),
    Column("reveal_after_seconds", Integer, nullable=True),
    Column("reveal_at", String(5), nullable=True),
    Column("topics", Text, nullable=False, server_default=""),
    Column("difficulties", Text, nullable=False, server_default=""),
    Column("tracks", Text, nullable=False, server_default=""),
    Column("paused", Boolean, nullable=False, server_default="0"),
    Column("paused_reason", Text, nullable=True),
    Column("holiday_country", String(10), nullable=True),
    Column("skip_dates", Text, nullable=False, server_default=""),
    Column("mention_participants", Boolean, nullable=False, server_default="1"),
    Column("weekly_summary", Boolean, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("platform", "workspace_id", "channel_id", name="uq_subscription_channel"),
)

posts = Table(
    "posts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "subscription_id",
        Integer,
        ForeignKey("subscriptions.id", ondelete="CASCADE"),
        nullable=True,  # NULL for a question shared on demand
    ),
    Column("local_date", Date, nullable=False),
    Column("scheduled_at", UTCDateTime, nullable=False),
    Column("reveal_due_at", UTCDateTime, nullable=False),
    Column("status", String(12), nullable=False),
    Column("question_id", String(100), nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("claimed_by", String(100), nullable=True),
    Column("thread_ref", Text, nullable=True),
    Column("posted_at", UTCDateTime, nullable=True),
    Column("error", Text, nullable=True),
    Column("share_key", String(200), nullable=True),
    Column("shared_by", String(100), nullable=True),
    UniqueConstraint("subscription_id", "local_date", name="uq_post_subscription_date"),
    UniqueConstraint("share_key", name="uq_post_share_key"),
    Index("ix_posts_status_reveal_due", "status", "reveal_due_at"),
)

reveals = Table(
    "reveals",
    metadata,
    Column("post_id", Integer, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("status", String(12), nullable=False),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("claimed_by", String(100), nullable=True),
    Column("revealed_at", UTCDateTime, nullable=True),
)

asked = Table(
    "asked",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(200), nullable=False),
    Column("question_id", String(100), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("asked_at", UTCDateTime, nullable=False),
    Index("ix_asked_scope_cycle", "scope", "cycle"),
)

# Practice: who took part in a question's thread (never what they wrote), self-ratings, the
# spaced-repetition card per person and question, leaderboard opt-outs and question suggestions.
# A person is a `user_key` (platform:workspace:user), so every table works the same on each platform.

replies = Table(
    "replies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # platform:channel:root message (the question's thread), see bot.seam.ThreadRef.reply_key
    Column("thread_key", String(200), nullable=False),
    Column("user_key", String(200), nullable=False),
    Column("user_id", String(100), nullable=False),
    Column("first_at", UTCDateTime, nullable=False),
    Column("last_at", UTCDateTime, nullable=False),
    Column("count", Integer, nullable=False, server_default="1"),
    UniqueConstraint("thread_key", "user_key", name="uq_reply_thread_user"),
    Index("ix_replies_user", "user_key"),
)

ratings = Table(
    "ratings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_key", String(200), nullable=False),
    Column("user_id", String(100), nullable=False),
    Column("question_id", String(100), nullable=False),
    # Where the buttons were: "post:<id>" under a reveal, "ask:<date>" or "review:<date>" privately.
    Column("context", String(100), nullable=False),
    Column("post_id", Integer, ForeignKey("posts.id", ondelete="SET NULL"), nullable=True),
    Column("rating", String(10), nullable=False),
    Column("rated_at", UTCDateTime, nullable=False),
    UniqueConstraint("user_key", "question_id", "context", name="uq_rating_user_question_context"),
    Index("ix_ratings_post", "post_id"),
)

review_cards = Table(
    "review_cards",
    metadata,
    Column("user_key", String(200), primary_key=True),
    Column("question_id", String(100), primary_key=True),
    Column("card", Text, nullable=False),  # fsrs.Card as JSON
    Column("due", UTCDateTime, nullable=False),
    # The card before its latest rating, and that rating's context: a second click in the same
    # context replaces the rating instead of reviewing twice.
    Column("card_before", Text, nullable=True),
    Column("last_context", String(100), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_review_cards_user_due", "user_key", "due"),
)

leaderboard_optouts = Table(
    "leaderboard_optouts",
    metadata,
    Column("user_key", String(200), primary_key=True),
    Column("opted_out_at", UTCDateTime, nullable=False),
)

# Linking one person's accounts on several platforms: their review cards live under `person_key`.
person_links = Table(
    "person_links",
    metadata,
    Column("user_key", String(200), primary_key=True),
    Column("person_key", String(200), nullable=False),
    Column("linked_at", UTCDateTime, nullable=False),
)

link_codes = Table(
    "link_codes",
    metadata,
    Column("code", String(20), primary_key=True),
    Column("user_key", String(200), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

suggestions = Table(
    "suggestions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_key", String(200), nullable=False),
    Column("destination", String(200), nullable=False),
    Column("topic", String(40), nullable=True),
    Column("difficulty", String(10), nullable=True),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("status", String(10), nullable=False, server_default="new"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("accepted_path", Text, nullable=True),
    # Moderation from the web dashboard: why a suggestion was rejected (shown to its author), when
    # and by whom it was accepted or rejected.
    Column("rejected_reason", Text, nullable=True),
    Column("reviewed_at", UTCDateTime, nullable=True),
    Column("reviewed_by", String(200), nullable=True),
)

# Mock interviews: one row per session, its questions and outcomes as JSON lists (never answer text).
mock_sessions = Table(
    "mock_sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_key", String(200), nullable=False),
    Column("user_id", String(100), nullable=False),
    Column("destination", Text, nullable=False),  # Destination as JSON
    Column("track", String(40), nullable=True),
    Column("question_ids", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("suggested", Text, nullable=False),
    Column("ratings", Text, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("ended", String(10), nullable=True),
    Index("ix_mock_sessions_user", "user_key", "ended"),
)

# The web dashboard: sessions (the cookie's token is never stored, only its SHA-256) and the nonces
# of sign-in links already used, so a link works once.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_key", String(200), nullable=False),
    Column("platform", String(20), nullable=False),
    Column("workspace_id", String(64), nullable=False, server_default=""),
    Column("channel_id", String(64), nullable=False),
    Column("user_id", String(100), nullable=False),
    Column("is_admin", Boolean, nullable=False),
    # When the platform last said whether this person is an admin (the sign-in link's command).
    Column("admin_checked_at", UTCDateTime, nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_web_sessions_user", "user_key"),
    Index("ix_web_sessions_expires", "expires_at"),
)

web_link_uses = Table(
    "web_link_uses",
    metadata,
    Column("nonce", String(64), primary_key=True),
    Column("user_key", String(200), nullable=False),
    Column("used_at", UTCDateTime, nullable=False),
    Index("ix_web_link_uses_used", "used_at"),
)


def skip_locked(dialect: str, key: Any, takeable: Any) -> Any:
    """`takeable`, on PostgreSQL narrowed to the rows it can lock now, in `key` order, skipping rows
    another process is taking over right now (it will send them): no waiting, so no deadlock
    between replicas. SQLite serialises writers, so there it is `takeable` as it is."""
    if dialect != "postgresql":
        return takeable
    locked = select(key).where(takeable).order_by(key).with_for_update(skip_locked=True)
    return and_(key.in_(locked.scalar_subquery()), takeable)
