"""The store on SQLAlchemy 2 (async): SQLite by default, PostgreSQL in production.

Exactly-once rests on unique keys: a post row per (subscription, local date) and a reveal row per
post are inserted with ON CONFLICT DO NOTHING before anything is sent; whoever inserts the row
sends. A claim carries a lease so a process that died before sending can be taken over; see the
README's design section for what that means for a crash after sending.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Connection,
    Row,
    and_,
    bindparam,
    delete,
    event,
    insert,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.content.bank import Filters
from bot.content.taxonomy import Difficulty
from bot.records import DEFAULT_OPTIONS, PostClaim, PostRecord, Subscription, SubscriptionOptions
from bot.schedule.rules import RevealRule, Schedule
from bot.schedule.skip_days import SkipDays
from bot.seam import Destination, ThreadRef
from bot.store.practice_sql import PracticeQueries
from bot.store.protocol import Draw, PostRequest, SentPost
from bot.store.rotation_sql import RotationQueries
from bot.store.tables import UTCDateTime, asked, posts, reveals, subscriptions

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Any constant works; it only has to be the same in every process that migrates this database.
_MIGRATION_LOCK_KEY = 7_331_001


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def normalise_url(url: str) -> str:
    """Accept the usual `postgresql://` and `sqlite:///` forms and pick the async drivers."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    return url


async def open_store(url: str, migrate: bool = True, connect_args: dict[str, Any] | None = None) -> SqlStore:
    """Connect to the database at url and (by default) apply pending migrations."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        # SQLite serialises writers; wait for a lock instead of failing at once.
        # One connection: SQLite lets one writer in at a time, and connections of the same process
        # competing for its lock back off in sleeps of up to 100 ms; queueing on the pool is cheaper.
        engine = create_async_engine(
            url, pool_size=1, max_overflow=0, connect_args={"timeout": 30, **(connect_args or {})}
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        engine = create_async_engine(url, pool_pre_ping=True, connect_args=connect_args or {})
    store = SqlStore(engine)
    if migrate:
        await store.upgrade()
    return store


@asynccontextmanager
async def opened_store(url: str) -> AsyncIterator[SqlStore]:
    """The store at url (migrated), closed when the block ends: for one-shot commands."""
    store = await open_store(url)
    try:
        yield store
    finally:
        await store.close()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers go on while one writer commits; NORMAL syncs at checkpoints, not every commit
    # (a power cut can lose the last commits, never corrupt the file).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _run_upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Replicas starting together must not race to create the same tables.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


class SqlStore(RotationQueries, PracticeQueries):
    """The Store protocol on one SQLAlchemy async engine; every method is its own transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        # Rotations this store read or wrote: scope -> (cycle, ids asked in it, highest row id).
        # Only a hint: a draw from it is recorded only if the database has nothing newer (the
        # history is append-only, so "nothing newer" means "still current").
        self._rotations: OrderedDict[str, tuple[int, list[str], int]] = OrderedDict()
        self._pending: set[asyncio.Task[None]] = set()
        self._recording: dict[str, asyncio.Task[None]] = {}

    async def upgrade(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(_run_upgrade)

    async def ping(self) -> bool:
        async with self.engine.connect() as conn:
            return (await conn.execute(text("SELECT 1"))).scalar() == 1

    async def close(self) -> None:
        await self.settle()
        await self.engine.dispose()

    # Subscriptions ------------------------------------------------------------------------------

    async def save_subscription(
        self,
        destination: Destination,
        schedule: Schedule,
        filters: Filters,
        now: datetime,
        options: SubscriptionOptions = DEFAULT_OPTIONS,
    ) -> Subscription:
        values = _subscription_values(schedule, filters, options) | {"updated_at": now}
        key = _destination_values(destination)
        statement = (
            self._insert(subscriptions)
            .values(**key, **values, created_at=now, paused=False)
            .on_conflict_do_update(index_elements=list(key), set_=values)
        )
        async with self.engine.begin() as conn:
            await conn.execute(statement)
        found = await self.get_subscription(destination)
        if found is None:
            raise RuntimeError(f"subscription for {destination.key} vanished after saving")
        return found

    async def get_subscription(self, destination: Destination) -> Subscription | None:
        key = _destination_values(destination)
        query = select(subscriptions).where(*(subscriptions.c[name] == value for name, value in key.items()))
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return _subscription(row) if row else None

    async def get_subscription_by_id(self, subscription_id: int) -> Subscription | None:
        query = select(subscriptions).where(subscriptions.c.id == subscription_id)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return _subscription(row) if row else None

    async def list_subscriptions(self, include_paused: bool = False) -> list[Subscription]:
        query = select(subscriptions).order_by(subscriptions.c.id)
        if not include_paused:
            query = query.where(subscriptions.c.paused.is_(False))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_subscription(row) for row in rows]

    async def set_paused(self, subscription_id: int, paused: bool, reason: str | None, now: datetime) -> None:
        statement = (
            update(subscriptions)
            .where(subscriptions.c.id == subscription_id)
            .values(paused=paused, paused_reason=reason if paused else None, updated_at=now)
        )
        async with self.engine.begin() as conn:
            await conn.execute(statement)

    async def delete_subscription(self, subscription_id: int) -> None:
        post_ids = select(posts.c.id).where(posts.c.subscription_id == subscription_id)
        async with self.engine.begin() as conn:
            # Explicit because SQLite enforces ON DELETE CASCADE only with a per-connection pragma.
            await conn.execute(delete(reveals).where(reveals.c.post_id.in_(post_ids)))
            await conn.execute(delete(posts).where(posts.c.subscription_id == subscription_id))
            await conn.execute(delete(subscriptions).where(subscriptions.c.id == subscription_id))

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
                .returning(posts.c.id, posts.c.question_id)
            )
            row = (await conn.execute(takeover)).first()
        if row is None:
            return None
        return PostClaim(row.id, subscription_id, local_date, row.question_id, taken_over=True)

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
                if self.engine.dialect.name == "postgresql":
                    # Lock in id order and skip rows another process is taking over right now
                    # (it will send them): no waiting, so no deadlock between replicas.
                    locked = (
                        select(posts.c.id)
                        .where(takeable)
                        .order_by(posts.c.id)
                        .with_for_update(skip_locked=True)
                    )
                    takeable = and_(posts.c.id.in_(locked.scalar_subquery()), takeable)
                takeover = (
                    update(posts)
                    .where(takeable)
                    .values(status="claimed", lease_until=lease_until, claimed_by=owner)
                    .returning(posts.c.id, posts.c.subscription_id, posts.c.local_date, posts.c.question_id)
                )
                for row in await conn.execute(takeover):
                    claims.append(
                        PostClaim(
                            row.id, row.subscription_id, row.local_date, row.question_id, taken_over=True
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

    async def post_keys(self, since: date) -> set[tuple[int, date]]:
        query = select(posts.c.subscription_id, posts.c.local_date).where(
            posts.c.local_date >= since,
            posts.c.status.in_(("sent", "skipped")),
            posts.c.subscription_id.is_not(None),
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {(r.subscription_id, r.local_date) for r in rows}

    async def get_post(self, post_id: int) -> PostRecord | None:
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

    async def posts_awaiting_reveal(self) -> list[PostRecord]:
        return await self._posts(
            posts.c.status == "sent",
            or_(reveals.c.status.is_(None), reveals.c.status != "sent"),
            order=posts.c.reveal_due_at,
        )

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


def _destination_values(destination: Destination) -> dict[str, str]:
    return {
        "platform": destination.platform,
        "workspace_id": destination.workspace_id or "",
        "channel_id": destination.channel_id,
    }


def _subscription_values(
    schedule: Schedule, filters: Filters, options: SubscriptionOptions
) -> dict[str, Any]:
    after = schedule.reveal.after
    return {
        "post_time": schedule.post_time.strftime("%H:%M"),
        "timezone": schedule.zone.key,
        "days": ",".join(str(d) for d in sorted(schedule.days)),
        "reveal_after_seconds": int(after.total_seconds()) if after is not None else None,
        "reveal_at": schedule.reveal.at.strftime("%H:%M") if schedule.reveal.at else None,
        "topics": ",".join(filters.topics),
        "difficulties": ",".join(filters.difficulties),
        "holiday_country": schedule.skip.country,
        "skip_dates": ",".join(d.isoformat() for d in sorted(schedule.skip.dates)),
        "mention_participants": options.mention_participants,
        "weekly_summary": options.weekly_summary,
    }


def _subscription(row: Row[Any]) -> Subscription:
    reveal = (
        RevealRule(after=None, at=time.fromisoformat(row.reveal_at))
        if row.reveal_at
        else RevealRule(after=timedelta(seconds=row.reveal_after_seconds), at=None)
    )
    schedule = Schedule(
        post_time=time.fromisoformat(row.post_time),
        zone=ZoneInfo(row.timezone),
        days=frozenset(int(d) for d in row.days.split(",")),
        reveal=reveal,
        skip=SkipDays(
            row.holiday_country,
            frozenset(date.fromisoformat(d) for d in filter(None, row.skip_dates.split(","))),
        ),
    )
    filters = Filters(
        topics=tuple(filter(None, row.topics.split(","))),
        difficulties=tuple(Difficulty(d) for d in filter(None, row.difficulties.split(","))),
    )
    destination = Destination(row.platform, row.channel_id, row.workspace_id or None)
    options = SubscriptionOptions(bool(row.mention_participants), bool(row.weekly_summary))
    return Subscription(
        row.id, destination, schedule, filters, bool(row.paused), row.paused_reason, row.updated_at, options
    )


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
