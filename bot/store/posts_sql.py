"""Post and reveal queries on the SQL store (mixed into SqlStore): claims with leases, draws, sent
marks, take-overs and hand-backs. A post row per (subscription, local date) and a reveal row per post
are inserted before anything is sent; whoever inserts the row sends."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, bindparam, delete, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.records import PostClaim, PostRecord
from bot.seam import ThreadRef
from bot.store.protocol import Draw, PostRequest, SentPost
from bot.store.tables import UTCDateTime, asked, fits_id, posts, reveals, skip_locked


class PostQueries:
    engine: AsyncEngine
    _insert: Any

    # Posts --------------------------------------------------------------------------------------

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
        statement = self._new_post(
            subscription_id,
            local_date,
            scheduled_at,
            reveal_due_at,
            status="claimed",
            lease_until=now + lease,
            claimed_by=owner,
        ).returning(posts.c.id)
        async with self.engine.begin() as conn:
            inserted = (await conn.execute(statement)).scalar()
            if inserted is not None:
                return PostClaim(inserted, subscription_id, local_date, None, taken_over=False)
            # Someone holds the key. Take it over only if they claimed and their lease ran out.
            takeover = (
                update(posts)
                .where(
                    posts.c.subscription_id == subscription_id,
                    posts.c.local_date == local_date,
                    or_(
                        and_(posts.c.status == "claimed", posts.c.lease_until < now),
                        posts.c.status == "failed",
                    ),
                )
                .values(status="claimed", lease_until=now + lease, claimed_by=owner)
                .returning(posts.c.id, posts.c.question_id, posts.c.posted_at)
            )
            row = (await conn.execute(takeover)).first()
        if row is None:
            return None
        return PostClaim(
            row.id,
            subscription_id,
            local_date,
            row.question_id,
            taken_over=True,
            attempted=row.posted_at is not None,
        )

    async def claim_posts(
        self, requests: Sequence[PostRequest], now: datetime, lease: timedelta, owner: str
    ) -> list[PostClaim]:
        # Key order everywhere: processes claiming overlapping chunks wait on each other's new rows
        # in the same order, so they cannot deadlock.
        wanted = sorted({(r.subscription_id, r.local_date): r for r in requests}.items())
        if not wanted:
            return []
        lease_until = now + lease
        new_rows = [
            {
                "subscription_id": r.subscription_id,
                "local_date": r.local_date,
                "scheduled_at": r.scheduled_at,
                "reveal_due_at": r.reveal_due_at,
                "status": "claimed",
                "lease_until": lease_until,
                "claimed_by": owner,
            }
            for _, r in wanted
        ]
        # Executed as a multi-row INSERT … ON CONFLICT DO NOTHING RETURNING (SQLAlchemy's
        # "insertmanyvalues"), compiled once: it returns the rows inserted, i.e. claimed fresh.
        statement = (
            self._insert(posts)
            .on_conflict_do_nothing(index_elements=["subscription_id", "local_date"])
            .returning(posts.c.id, posts.c.subscription_id, posts.c.local_date)
        )
        claims: list[PostClaim] = []
        async with self.engine.begin() as conn:
            for row in await conn.execute(statement, new_rows):
                claims.append(PostClaim(row.id, row.subscription_id, row.local_date, None, taken_over=False))
            inserted = {(c.subscription_id, c.local_date) for c in claims}
            held = [key for key, _ in wanted if key not in inserted]
            if held:
                # The rest exist: take over those whose claim failed or whose lease ran out.
                takeable = and_(
                    tuple_(posts.c.subscription_id, posts.c.local_date).in_(held),
                    or_(
                        and_(posts.c.status == "claimed", posts.c.lease_until < now),
                        posts.c.status == "failed",
                    ),
                )
                takeable = skip_locked(self.engine.dialect.name, posts.c.id, takeable)
                takeover = (
                    update(posts)
                    .where(takeable)
                    .values(status="claimed", lease_until=lease_until, claimed_by=owner)
                    .returning(
                        posts.c.id,
                        posts.c.subscription_id,
                        posts.c.local_date,
                        posts.c.question_id,
                        posts.c.posted_at,
                    )
                )
                for row in await conn.execute(takeover):
                    claims.append(
                        PostClaim(
                            row.id,
                            row.subscription_id,
                            row.local_date,
                            row.question_id,
                            taken_over=True,
                            attempted=row.posted_at is not None,
                        )
                    )
        return claims

    def _new_post(
        self,
        subscription_id: int,
        local_date: date,
        scheduled_at: datetime,
        reveal_due_at: datetime,
        **columns: Any,
    ) -> Any:
        """INSERT a post row unless (subscription, local date) already has one."""
        return (
            self._insert(posts)
            .values(
                subscription_id=subscription_id,
                local_date=local_date,
                scheduled_at=scheduled_at,
                reveal_due_at=reveal_due_at,
                **columns,
            )
            .on_conflict_do_nothing(index_elements=["subscription_id", "local_date"])
        )

    async def set_post_question(self, post_id: int, question_id: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(update(posts).where(posts.c.id == post_id).values(question_id=question_id))

    async def record_draws(self, draws: Sequence[Draw], now: datetime) -> None:
        if not draws:
            return
        asked_rows = [
            {"scope": d.scope, "question_id": d.question_id, "cycle": d.cycle, "asked_at": now} for d in draws
        ]
        questions = (
            update(posts).where(posts.c.id == bindparam("b_id")).values(question_id=bindparam("b_question"))
        )
        async with self.engine.begin() as conn:
            # In draw order: a scope drawn twice keeps its picks oldest first.
            await conn.execute(insert(asked), asked_rows)
            await conn.execute(questions, [{"b_id": d.post_id, "b_question": d.question_id} for d in draws])

    async def mark_post_sent(self, post_id: int, thread: ThreadRef, posted_at: datetime) -> PostRecord:
        statement = (
            update(posts)
            .where(posts.c.id == post_id)
            .values(status="sent", thread_ref=thread.to_json(), posted_at=posted_at, lease_until=None)
            .returning(*posts.c)
        )
        async with self.engine.begin() as conn:
            return _post((await conn.execute(statement)).one())

    async def mark_posts_sent(self, sent: Sequence[SentPost]) -> list[PostRecord]:
        if not sent:
            return []
        statement = (
            update(posts)
            .where(posts.c.id == bindparam("b_id"))
            .values(
                status="sent",
                thread_ref=bindparam("b_thread"),
                posted_at=bindparam("b_posted_at", type_=UTCDateTime),
                lease_until=None,
            )
        )
        ids = [s.post_id for s in sent]
        async with self.engine.begin() as conn:
            await conn.execute(
                statement,
                [
                    {"b_id": s.post_id, "b_thread": s.thread.to_json(), "b_posted_at": s.posted_at}
                    for s in sent
                ],
            )
            rows = (await conn.execute(select(posts).where(posts.c.id.in_(ids)))).all()
        found = {row.id: _post(row) for row in rows}
        return [found[post_id] for post_id in ids]

    async def mark_posts_sending(self, post_ids: Sequence[int], at: datetime) -> None:
        if not post_ids:
            return
        async with self.engine.begin() as conn:
            await conn.execute(
                update(posts)
                .where(
                    posts.c.id.in_(list(post_ids)), posts.c.status == "claimed", posts.c.posted_at.is_(None)
                )
                .values(posted_at=at)
            )

    async def release_posts(self, post_ids: Sequence[int], owner: str, reason: str) -> None:
        if not post_ids:
            return
        async with self.engine.begin() as conn:
            await conn.execute(
                update(posts)
                .where(
                    posts.c.id.in_(list(post_ids)), posts.c.status == "claimed", posts.c.claimed_by == owner
                )
                .values(status="failed", error=reason[:2000], lease_until=None)
            )

    async def mark_post_skipped(self, post_id: int, reason: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(posts)
                .where(posts.c.id == post_id)
                .values(status="skipped", error=reason[:2000], lease_until=None)
            )

    async def mark_post_failed(self, post_id: int, error: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(posts)
                .where(posts.c.id == post_id)
                .values(status="failed", error=error[:2000], lease_until=None)
            )

    async def record_skipped(
        self,
        subscription_id: int,
        local_date: date,
        scheduled_at: datetime,
        reveal_due_at: datetime,
        reason: str,
    ) -> bool:
        statement = self._new_post(
            subscription_id, local_date, scheduled_at, reveal_due_at, status="skipped", error=reason
        )
        async with self.engine.begin() as conn:
            result = await conn.execute(statement)
        return bool(result.rowcount)

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
        statement = (
            self._insert(posts)
            .values(
                subscription_id=None,
                local_date=now.date(),
                scheduled_at=now,
                reveal_due_at=reveal_due_at,
                status="claimed",
                question_id=question_id,
                lease_until=now + lease,
                claimed_by=owner,
                share_key=share_key[:200],
                shared_by=shared_by[:100],
            )
            .on_conflict_do_nothing(index_elements=["share_key"])
            .returning(posts.c.id)
        )
        async with self.engine.begin() as conn:
            inserted: int | None = (await conn.execute(statement)).scalar()
        return inserted

    async def release_shared_post(self, post_id: int) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(delete(posts).where(posts.c.id == post_id, posts.c.subscription_id.is_(None)))

    async def post_keys(self, dates: Collection[date]) -> set[tuple[int, date]]:
        if not dates:
            return set()
        query = select(posts.c.subscription_id, posts.c.local_date).where(
            posts.c.local_date.in_(list(dates)),
            posts.c.status.in_(("sent", "skipped")),
            posts.c.subscription_id.is_not(None),
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {(r.subscription_id, r.local_date) for r in rows}

    async def get_post(self, post_id: int) -> PostRecord | None:
        if not fits_id(post_id):
            return None  # no row has it, and PostgreSQL would refuse the number
        records = await self._posts(posts.c.id == post_id)
        return records[0] if records else None

    async def latest_post(self, subscription_id: int) -> PostRecord | None:
        records = await self._posts(
            posts.c.subscription_id == subscription_id,
            posts.c.status == "sent",
            order=posts.c.local_date.desc(),
            limit=1,
        )
        return records[0] if records else None

    async def posts_awaiting_reveal(self, due_by: datetime | None = None) -> list[PostRecord]:
        due = [posts.c.reveal_due_at <= due_by] if due_by is not None else []
        return await self._posts(*_awaiting_reveal(), *due, order=posts.c.reveal_due_at)

    async def reveal_times(self, after: datetime) -> list[datetime]:
        # Distinct instants, not posts: a day's fan-out of 20,000 posts is one instant to wake up at.
        query = (
            select(posts.c.reveal_due_at)
            .select_from(posts.outerjoin(reveals, reveals.c.post_id == posts.c.id))
            .where(*_awaiting_reveal(), posts.c.reveal_due_at > after)
            .distinct()
            .order_by(posts.c.reveal_due_at)
        )
        async with self.engine.connect() as conn:
            return list((await conn.execute(query)).scalars())

    async def _posts(self, *where: Any, order: Any = None, limit: int | None = None) -> list[PostRecord]:
        query = (
            select(posts, reveals.c.revealed_at, reveals.c.status.label("reveal_status"))
            .select_from(posts.outerjoin(reveals, reveals.c.post_id == posts.c.id))
            .where(and_(*where))
            .order_by(order if order is not None else posts.c.id)
        )
        if limit:
            query = query.limit(limit)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_post(row) for row in rows]


def _awaiting_reveal() -> tuple[Any, ...]:
    """Sent posts whose reveal is not sent (the reveals table outer-joined)."""
    return (posts.c.status == "sent", or_(reveals.c.status.is_(None), reveals.c.status != "sent"))


def _post(row: Row[Any]) -> PostRecord:
    """A post from a row of `posts`, joined with its reveal's status and time where selected."""
    reveal = row._mapping
    return PostRecord(
        id=row.id,
        subscription_id=row.subscription_id,
        local_date=row.local_date,
        scheduled_at=row.scheduled_at,
        reveal_due_at=row.reveal_due_at,
        status=row.status,
        question_id=row.question_id,
        thread=ThreadRef.from_json(row.thread_ref) if row.thread_ref else None,
        posted_at=row.posted_at,
        revealed_at=reveal.get("revealed_at") if reveal.get("reveal_status") == "sent" else None,
        shared_by=row.shared_by,
    )
