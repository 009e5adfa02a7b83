"""Reveal queries on the SQL store (mixed into SqlStore): a reveal row per post, claimed with a lease
before the answer is sent, handed back on failure, marked sent once the thread has it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import and_, or_, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.tables import reveals


class RevealQueries:
    engine: AsyncEngine
    _insert: Any

    # Reveals ------------------------------------------------------------------------------------

    async def claim_reveal(
        self, post_id: int, now: datetime, lease: timedelta, owner: str
    ) -> Literal["new", "retry"] | None:
        statement = (
            self._insert(reveals)
            .values(post_id=post_id, status="claimed", lease_until=now + lease, claimed_by=owner)
            .on_conflict_do_nothing(index_elements=["post_id"])
        )
        async with self.engine.begin() as conn:
            if (await conn.execute(statement)).rowcount:
                return "new"
            takeover = (
                update(reveals)
                .where(
                    reveals.c.post_id == post_id,
                    or_(
                        and_(reveals.c.status == "claimed", reveals.c.lease_until < now),
                        reveals.c.status == "failed",
                    ),
                )
                .values(status="claimed", lease_until=now + lease, claimed_by=owner)
            )
            return "retry" if (await conn.execute(takeover)).rowcount else None

    async def release_reveal(self, post_id: int) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(reveals)
                .where(reveals.c.post_id == post_id, reveals.c.status == "claimed")
                .values(status="failed", lease_until=None)
            )

    async def mark_reveal_sent(self, post_id: int, revealed_at: datetime) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(reveals)
                .where(reveals.c.post_id == post_id)
                .values(status="sent", revealed_at=revealed_at, lease_until=None)
            )
