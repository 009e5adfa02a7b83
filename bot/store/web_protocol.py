"""The store operations behind the web dashboard: figures it reads, moderation, sign-in and sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.records import RatingRecord, Suggestion, WebSession
from bot.seam import Destination


class WebStore(Protocol):
    # Figures
    async def workspace_channels(self, platform: str, workspace_id: str | None) -> list[Destination]:
        """Return the channels of a workspace that have a daily-question subscription (paused too)."""
        ...

    async def review_due_dates(self, person_key: str) -> list[datetime]:
        """Return when each of the person's review cards is due, soonest first."""
        ...

    async def post_ratings(self, post_ids: list[int]) -> list[RatingRecord]:
        """Return the ratings given under the reveals of these posts."""
        ...

    # Moderating suggestions
    async def user_suggestions(self, user_key: str) -> list[Suggestion]:
        """Return the person's own suggestions, newest first."""
        ...

    async def workspace_suggestions(
        self, platform: str, workspace_id: str | None, status: str | None = None
    ) -> list[Suggestion]:
        """Return the suggestions made in a workspace's channels, oldest first."""
        ...

    async def update_suggestion(
        self, suggestion_id: int, question: str, answer: str, topic: str | None, difficulty: str | None
    ) -> bool:
        """Replace a new suggestion's text and labels; False if it is no longer new."""
        ...

    async def begin_accept(self, suggestion_id: int) -> bool:
        """Mark a new suggestion as being accepted (so two moderators cannot both write it)."""
        ...

    async def release_accept(self, suggestion_id: int) -> None:
        """Put a suggestion whose draft could not be written back to new."""
        ...

    async def finish_accept(self, suggestion_id: int, path: str, reviewer: str, now: datetime) -> None: ...

    async def reject_suggestion(self, suggestion_id: int, reason: str, reviewer: str, now: datetime) -> bool:
        """Reject a new suggestion with a reason its author sees; False if it is no longer new."""
        ...

    # Sign-in links and sessions
    async def signin_link_used(self, nonce: str) -> bool: ...

    async def use_signin_link(
        self, nonce: str, user_key: str, now: datetime, forget_before: datetime
    ) -> bool:
        """Record a link's use; False if it was used before. Uses older than `forget_before` (links
        that have expired anyway) are deleted."""
        ...

    async def add_web_session(self, session: WebSession) -> None: ...

    async def web_session(self, token_hash: str, now: datetime) -> WebSession | None:
        """Return the session if it exists and has not expired (expired ones are deleted)."""
        ...

    async def delete_web_session(self, token_hash: str) -> None: ...
