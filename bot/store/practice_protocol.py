"""The store operations behind practice: participation, ratings, review cards, opt-outs, suggestions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from bot.records import MockSession, Participant, PostRecord, RatingRecord, ReviewCardRecord, Suggestion
from bot.seam import Destination


class PracticeStore(Protocol):
    # Participation: who replied in a question's thread (never what they wrote)
    async def record_reply(self, thread_key: str, user_key: str, user_id: str, at: datetime) -> None: ...

    async def thread_repliers(self, thread_key: str, before: datetime | None = None) -> list[str]:
        """Return the user ids who replied in a thread (first reply before `before`), first first."""
        ...

    async def threads_repliers(self, thread_keys: Collection[str], before: datetime) -> dict[str, list[str]]:
        """`thread_repliers` of several threads at once, by thread key (every key present)."""
        ...

    async def replied_threads(self, user_key: str) -> set[str]: ...

    # Ratings and the review schedule; a rating and its card change are saved together
    async def save_rating(
        self,
        user_key: str,
        user_id: str,
        rating: RatingRecord,
        card: ReviewCardRecord,
        now: datetime,
        person_key: str | None = None,
    ) -> None:
        """Save a rating (under the user) and the review card (under their linked person, if any)."""
        ...

    async def review_card(self, user_key: str, question_id: str) -> ReviewCardRecord | None: ...

    async def review_queue(self, user_key: str, limit: int = 1) -> list[ReviewCardRecord]:
        """Return the user's cards soonest due first."""
        ...

    async def count_due(self, user_key: str, now: datetime) -> int: ...

    async def user_ratings(self, user_key: str) -> list[RatingRecord]: ...

    async def first_ratings(self) -> dict[str, Counter[str]]:
        """Per question: people's first self-ratings, counted by rating."""
        ...

    # Channels
    async def destination_posts(
        self, destination: Destination, since: datetime | None = None
    ) -> list[PostRecord]:
        """Return the channel's sent daily posts (any subscription it had), oldest first."""
        ...

    async def post_participants(self, posts: list[PostRecord]) -> list[Participant]:
        """Return who replied in or rated each of the posts (one entry per person and post)."""
        ...

    async def set_leaderboard_optout(self, user_key: str, opted_out: bool, now: datetime) -> None: ...

    async def leaderboard_optouts(self, user_keys: set[str]) -> set[str]: ...

    # Linked accounts: one review schedule for a person on several platforms
    async def person_of(self, user_key: str) -> str:
        """Return the key the user's review cards live under (their own unless linked)."""
        ...

    async def save_link_code(self, code: str, user_key: str, expires_at: datetime) -> None: ...

    async def link_with_code(self, code: str, user_key: str, now: datetime) -> str | None:
        """Use a code (once, before it expires): link `user_key` to the code maker's person, moving
        the user's review cards over (the more recently updated card wins a clash). Return the
        person key, or None for an unknown or expired code."""
        ...

    async def unlink(self, user_key: str) -> bool:
        """Give the user their own schedule back (a copy of the shared one); False if not linked."""
        ...

    # Suggestions
    async def add_suggestion(
        self,
        user_key: str,
        destination: str,
        topic: str | None,
        difficulty: str | None,
        question: str,
        answer: str,
        now: datetime,
    ) -> int: ...

    async def list_suggestions(self, status: str | None = None) -> list[Suggestion]: ...

    async def get_suggestion(self, suggestion_id: int) -> Suggestion | None: ...

    async def mark_suggestion_accepted(self, suggestion_id: int, path: str) -> None: ...

    # Mock interviews
    async def add_mock(self, session: MockSession) -> int:
        """Save a new session (its `id` is ignored) and return its id."""
        ...

    async def get_mock(self, session_id: int) -> MockSession | None: ...

    async def open_mock(self, user_key: str) -> MockSession | None:
        """The person's latest session that has not ended."""
        ...

    async def save_mock(self, session: MockSession, expected_position: int) -> bool:
        """Write progress if the session is still open at `expected_position` (False otherwise)."""
        ...

    # A person's own data: exported on request, and forgotten on request
    async def review_cards_of(self, person_key: str) -> list[ReviewCardRecord]:
        """Return every review card of a person, soonest due first."""
        ...

    async def forget_user(
        self, user_key: str, user_id: str, platform: str, workspace_id: str | None
    ) -> dict[str, int]:
        """Delete everything kept about one account in one transaction; return the count per kind."""
        ...
