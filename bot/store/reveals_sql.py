"""Reveal queries on the SQL store (mixed into SqlStore): a reveal row per post, claimed with a lease
before the answer is sent, handed back on failure, marked sent once the thread has it.

Reveals are claimed and marked sent a chunk at a time (one transaction each), as posts are."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import and_, bindparam, delete, or_, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.tables import reveals, skip_locked


class RevealQueries:
    engine: AsyncEngine
    _insert: Any

    # Reveals ------------------------------------------------------------------------------------

    async def claim_reveals(
        self, post_ids: Sequence[int], now: datetime, lease: timedelta, owner: str
    ) -> dict[int, Literal["new", "retry"]]:
        # Id order everywhere: processes claiming overlapping chunks wait on each other's new rows in
        # the same order, so they cannot deadlock.
        wanted = sorted(set(post_ids))
        if not wanted:
            return {}
        lease_until = now + lease
        claimed: dict[int, Literal["new", "retry"]] = {}
        # A multi-row INSERT … ON CONFLICT DO NOTHING RETURNING: the rows returned are claimed fresh.
        statement = (
            self._insert(reveals)
            .on_conflict_do_nothing(index_elements=["post_id"])
            .returning(reveals.c.post_id)
        )
        rows = [
            {"post_id": post_id, "status": "claimed", "lease_until": lease_until, "claimed_by": owner}
            for post_id in wanted
        ]
        async with self.engine.begin() as conn:
            for row in await conn.execute(statement, rows):
                claimed[row.post_id] = "new"
            held = [post_id for post_id in wanted if post_id not in claimed]
            if held:
                # The rest exist: take over those whose claim failed or whose lease ran out.
                takeable = and_(
                    reveals.c.post_id.in_(held),
                    or_(
                        and_(reveals.c.status == "claimed", reveals.c.lease_until < now),
                        reveals.c.status == "failed",
                    ),
                )
                takeable = skip_locked(self.engine.dialect.name, reveals.c.post_id, takeable)
                takeover = (
                    update(reveals)
                    .where(takeable)
                    .values(status="claimed", lease_until=lease_until, claimed_by=owner)
                    .returning(reveals.c.post_id)
                )
                for row in await conn.execute(takeover):
                    claimed[row.post_id] = "retry"
        return claimed

    async def claim_reveal(
        self, post_id: int, now: datetime, lease: timedelta, owner: str
    ) -> Literal["new", "retry"] | None:
        return (await self.claim_reveals([post_id], now, lease, owner)).get(post_id)

    async def release_reveal(self, post_id: int) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(reveals)
                .where(reveals.c.post_id == post_id, reveals.c.status == "claimed")
                .values(status="failed", lease_until=None)
            )

    async def give_up_reveals(self, post_ids: Sequence[int], owner: str) -> None:
        if not post_ids:
            return
        # Deleted rather than marked failed: no send started, so the next claim is a plain "new" one
        # (a retry would first look for an earlier attempt on the platform).
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(reveals).where(
                    reveals.c.post_id.in_(sorted(post_ids)),
                    reveals.c.status == "claimed",
                    reveals.c.claimed_by == owner,
                )
            )

    async def mark_reveal_sent(self, post_id: int, revealed_at: datetime) -> None:
        await self.mark_reveals_sent([(post_id, revealed_at)])

    async def mark_reveals_sent(self, sent: Sequence[tuple[int, datetime]]) -> None:
        if not sent:
            return
        statement = (
            update(reveals)
            .where(reveals.c.post_id == bindparam("sent_post_id"))
            .values(status="sent", revealed_at=bindparam("sent_at"), lease_until=None)
        )
        rows = [{"sent_post_id": post_id, "sent_at": at} for post_id, at in sorted(sent)]
        async with self.engine.begin() as conn:
            await conn.execute(statement, rows)
