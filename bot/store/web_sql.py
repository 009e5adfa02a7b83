"""Web dashboard queries on the SQL store (mixed into SqlStore): figures, moderation, sign-in links
and sessions. Every method is its own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.records import RatingRecord, Suggestion, WebSession
from bot.seam import Destination
from bot.store.tables import (
    fits_id,
    ratings,
    review_cards,
    subscriptions,
    suggestions,
    web_link_uses,
    web_sessions,
)


class WebQueries:
    engine: AsyncEngine
    _insert: Any

    # Figures ----------------------------------------------------------------------------------------

    async def workspace_channels(self, platform: str, workspace_id: str | None) -> list[Destination]:
        query = (
            select(subscriptions.c.channel_id)
            .where(subscriptions.c.platform == platform, subscriptions.c.workspace_id == (workspace_id or ""))
            .order_by(subscriptions.c.channel_id)
        )
        async with self.engine.connect() as conn:
            return [Destination(platform, row.channel_id, workspace_id) for row in await conn.execute(query)]

    async def review_due_dates(self, person_key: str) -> list[datetime]:
        query = (
            select(review_cards.c.due)
            .where(review_cards.c.user_key == person_key)
            .order_by(review_cards.c.due)
        )
        async with self.engine.connect() as conn:
            return [row.due for row in await conn.execute(query)]

    async def post_ratings(self, post_ids: list[int]) -> list[RatingRecord]:
        found: list[RatingRecord] = []
        async with self.engine.connect() as conn:
            for start in range(0, len(post_ids), 500):
                query = select(ratings).where(ratings.c.post_id.in_(post_ids[start : start + 500]))
                found += [
                    RatingRecord(row.question_id, row.rating, row.context, row.post_id, row.rated_at)
                    for row in await conn.execute(query.order_by(ratings.c.id))
                ]
        return found

    # Moderating suggestions -------------------------------------------------------------------------

    async def user_suggestions(self, user_key: str) -> list[Suggestion]:
        query = (
            select(suggestions).where(suggestions.c.user_key == user_key).order_by(suggestions.c.id.desc())
        )
        async with self.engine.connect() as conn:
            return [_suggestion(row) for row in await conn.execute(query)]

    async def workspace_suggestions(
        self, platform: str, workspace_id: str | None, status: str | None = None
    ) -> list[Suggestion]:
        # Suggestions keep their channel as Destination.key: "platform:workspace:channel".
        prefix = f"{platform}:{workspace_id or '-'}:"
        query = select(suggestions).where(suggestions.c.destination.startswith(prefix, autoescape=True))
        if status is not None:
            query = query.where(suggestions.c.status == status)
        async with self.engine.connect() as conn:
            return [_suggestion(row) for row in await conn.execute(query.order_by(suggestions.c.id))]

    async def update_suggestion(
        self, suggestion_id: int, question: str, answer: str, topic: str | None, difficulty: str | None
    ) -> bool:
        if not fits_id(suggestion_id):
            return False
        statement = (
            update(suggestions)
            .where(suggestions.c.id == suggestion_id, suggestions.c.status == "new")
            .values(question=question, answer=answer, topic=topic, difficulty=difficulty)
        )
        async with self.engine.begin() as conn:
            return (await conn.execute(statement)).rowcount == 1

    async def begin_accept(self, suggestion_id: int) -> bool:
        return await self._move(suggestion_id, "new", "accepting")

    async def release_accept(self, suggestion_id: int) -> None:
        await self._move(suggestion_id, "accepting", "new")

    async def finish_accept(self, suggestion_id: int, path: str, reviewer: str, now: datetime) -> None:
        statement = (
            update(suggestions)
            .where(suggestions.c.id == suggestion_id)
            .values(status="accepted", accepted_path=path, reviewed_by=reviewer, reviewed_at=now)
        )
        async with self.engine.begin() as conn:
            await conn.execute(statement)

    async def reject_suggestion(self, suggestion_id: int, reason: str, reviewer: str, now: datetime) -> bool:
        if not fits_id(suggestion_id):
            return False
        statement = (
            update(suggestions)
            .where(suggestions.c.id == suggestion_id, suggestions.c.status == "new")
            .values(status="rejected", rejected_reason=reason, reviewed_by=reviewer, reviewed_at=now)
        )
        async with self.engine.begin() as conn:
            return (await conn.execute(statement)).rowcount == 1

    async def _move(self, suggestion_id: int, before: str, after: str) -> bool:
        if not fits_id(suggestion_id):
            return False
        statement = (
            update(suggestions)
            .where(suggestions.c.id == suggestion_id, suggestions.c.status == before)
            .values(status=after)
        )
        async with self.engine.begin() as conn:
            return (await conn.execute(statement)).rowcount == 1

    # Sign-in links and sessions ---------------------------------------------------------------------

    async def signin_link_used(self, nonce: str) -> bool:
        query = select(web_link_uses.c.nonce).where(web_link_uses.c.nonce == nonce)
        async with self.engine.connect() as conn:
            return (await conn.execute(query)).first() is not None

    async def use_signin_link(
        self, nonce: str, user_key: str, now: datetime, forget_before: datetime
    ) -> bool:
        statement = self._insert(web_link_uses).values(nonce=nonce, user_key=user_key, used_at=now)
        async with self.engine.begin() as conn:
            await conn.execute(delete(web_link_uses).where(web_link_uses.c.used_at < forget_before))
            inserted = await conn.execute(statement.on_conflict_do_nothing(index_elements=["nonce"]))
            return inserted.rowcount == 1

    async def add_web_session(self, session: WebSession) -> None:
        destination = session.destination
        statement = insert(web_sessions).values(
            token_hash=session.token_hash,
            user_key=session.user_key,
            platform=destination.platform,
            workspace_id=destination.workspace_id or "",
            channel_id=destination.channel_id,
            user_id=session.user_id,
            is_admin=session.is_admin,
            admin_checked_at=session.admin_checked_at,
            csrf_token=session.csrf_token,
            created_at=session.created_at,
            expires_at=session.expires_at,
        )
        async with self.engine.begin() as conn:
            await conn.execute(delete(web_sessions).where(web_sessions.c.expires_at <= session.created_at))
            await conn.execute(statement)

    async def web_session(self, token_hash: str, now: datetime) -> WebSession | None:
        query = select(web_sessions).where(web_sessions.c.token_hash == token_hash)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        if row.expires_at <= now:
            await self.delete_web_session(token_hash)
            return None
        return WebSession(
            token_hash=row.token_hash,
            destination=Destination(row.platform, row.channel_id, row.workspace_id or None),
            user_id=row.user_id,
            user_key=row.user_key,
            is_admin=row.is_admin,
            admin_checked_at=row.admin_checked_at,
            csrf_token=row.csrf_token,
            created_at=row.created_at,
            expires_at=row.expires_at,
        )

    async def delete_web_session(self, token_hash: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == token_hash))


def _suggestion(row: Any) -> Suggestion:
    return Suggestion(
        row.id,
        row.user_key,
        row.destination,
        row.topic,
        row.difficulty,
        row.question,
        row.answer,
        row.status,
        row.created_at,
        row.accepted_path,
        row.rejected_reason,
        row.reviewed_at,
    )
