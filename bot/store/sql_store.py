"""The store on SQLAlchemy 2 (async): SQLite by default, PostgreSQL in production.

Exactly-once rests on unique keys: a post row per (subscription, local date) and a reveal row per
post are inserted with ON CONFLICT DO NOTHING before anything is sent; whoever inserts the row
sends. A claim carries a lease so a process that died before sending can be taken over; see the
README's design section for what that means for a crash after sending.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections import OrderedDict
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    Connection,
    Row,
    delete,
    event,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.content.bank import Filters
from bot.content.rubric import Track
from bot.content.taxonomy import Difficulty
from bot.records import DEFAULT_OPTIONS, Subscription, SubscriptionOptions
from bot.schedule.rules import RevealRule, Schedule
from bot.schedule.skip_days import SkipDays
from bot.seam import Destination
from bot.store.home_sql import HomeQueries
from bot.store.mock_sql import MockQueries
from bot.store.posts_sql import PostQueries
from bot.store.practice_sql import PracticeQueries
from bot.store.reveals_sql import RevealQueries
from bot.store.rotation_sql import RotationQueries
from bot.store.tables import fits_id, posts, reveals, subscriptions
from bot.store.web_sql import WebQueries
from bot.store.yourdata_sql import YourDataQueries

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Any constant works; it only has to be the same in every process that migrates this database.
_MIGRATION_LOCK_KEY = 7_331_001


class StoreUnavailable(RuntimeError):
    """The database cannot be opened or reached; the message says where, and what to check."""


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def normalise_url(url: str) -> str:
    """Accept the usual `postgresql://` and `sqlite:///` forms and pick the async drivers."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    return url


async def open_store(
    url: str,
    migrate: bool = True,
    connect_args: dict[str, Any] | None = None,
    setting: str | None = None,
) -> SqlStore:
    """Connect to the database at url, check it, and (by default) apply pending migrations.

    Raise StoreUnavailable, naming `setting` (the variable that chose the database; by default
    DATABASE_URL or MLQ_SQLITE_PATH), when it cannot be reached or opened or SQLite finds it damaged.
    """
    url = normalise_url(url)
    parsed = make_url(url)
    variable = setting or ("MLQ_SQLITE_PATH" if parsed.get_backend_name() == "sqlite" else "DATABASE_URL")
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        # Checked with the standard library first: it opens and closes in one call, where a failed
        # aiosqlite connect leaves its worker thread to finish after the event loop may be gone.
        await asyncio.to_thread(_check_sqlite, parsed, variable)
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
    if engine.dialect.name != "sqlite":
        try:
            await store.check(variable)
        except BaseException:
            await engine.dispose()
            raise
    if migrate:
        await store.upgrade()
    return store


@asynccontextmanager
async def opened_store(url: str, setting: str | None = None) -> AsyncIterator[SqlStore]:
    """The store at url (migrated), closed when the block ends: for one-shot commands."""
    store = await open_store(url, setting=setting)
    try:
        yield store
    finally:
        await store.close()


def _check_sqlite(url: URL, variable: str) -> None:
    """Open the SQLite file and run PRAGMA quick_check; raise StoreUnavailable if either fails."""
    try:
        with contextlib.closing(sqlite3.connect(str(url.database), timeout=30)) as db:
            verdict = [str(row[0]) for row in db.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.Error as exc:
        raise StoreUnavailable(_unavailable(url, variable, exc)) from None
    if verdict != ["ok"]:
        # quick_check answers with lines such as "*** in database main ***", then the findings.
        findings = [line for row in verdict for line in row.splitlines() if not line.startswith("***")]
        finding = (findings or verdict)[0][:160]
        raise StoreUnavailable(
            f"the SQLite file {url.database} ({variable}) is damaged (PRAGMA quick_check: {finding}): "
            f"restore it from a backup, or point {variable} at a new file"
        )


def _unavailable(url: URL, variable: str, exc: BaseException) -> str:
    """Return one line saying which database failed, why, and what to check (never the password)."""
    reason = _reason(exc)
    if url.get_backend_name() == "sqlite":
        orig = getattr(exc, "orig", exc)
        if isinstance(orig, sqlite3.DatabaseError) and not isinstance(orig, sqlite3.OperationalError):
            return (
                f"the SQLite file {url.database} ({variable}) is damaged or not a database ({reason}): "
                f"restore it from a backup, or point {variable} at a new file"
            )
        return (
            f"cannot open the SQLite file {url.database} ({variable}): {reason}; check that its "
            "folder exists and that the file and folder are writable"
        )
    where = f"PostgreSQL at {url.host or 'localhost'}:{url.port or 5432}"
    if isinstance(exc, OSError | TimeoutError) or isinstance(getattr(exc, "orig", None), OSError):
        return (
            f"cannot reach {where} ({reason}): check that the server is running and accepts "
            f"TCP connections there, and the host and port in {variable}"
        )
    return f"{where} refused the connection ({reason}): check the user, password and database in {variable}"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        exc = exc.orig
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "no answer before the timeout"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers go on while one writer commits; NORMAL syncs at checkpoints, not every commit
    # (a power cut can lose the last commits, never corrupt the file).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _run_upgrade(connection: Connection) -> tuple[str | None, str | None]:
    if connection.dialect.name == "postgresql":
        # Replicas starting together must not race to create the same tables.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    before = MigrationContext.configure(connection).get_current_revision()
    command.upgrade(config, "head")
    return before, MigrationContext.configure(connection).get_current_revision()


class SqlStore(
    PostQueries,
    RevealQueries,
    RotationQueries,
    PracticeQueries,
    MockQueries,
    WebQueries,
    YourDataQueries,
    HomeQueries,
):
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

    async def check(self, variable: str = "DATABASE_URL") -> None:
        """Connect once; raise StoreUnavailable saying where and what to check if that fails."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (OSError, TimeoutError, DBAPIError) as exc:
            raise StoreUnavailable(_unavailable(self.engine.url, variable, exc)) from exc

    async def upgrade(self) -> tuple[str | None, str | None]:
        """Apply pending migrations; return the schema revision before and after (None: no schema)."""
        async with self.engine.begin() as conn:
            return await conn.run_sync(_run_upgrade)

    @property
    def location(self) -> str:
        """Where the data lives, for messages: the SQLite file, or PostgreSQL's host, port and database."""
        url = self.engine.url
        if url.get_backend_name() == "sqlite":
            return f"the SQLite file {url.database}"
        return f"PostgreSQL at {url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"

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
        if not fits_id(subscription_id):
            return None  # no row has it, and PostgreSQL would refuse the number
        query = select(subscriptions).where(subscriptions.c.id == subscription_id)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return _subscription(row) if row else None

    async def subscriptions_by_ids(self, subscription_ids: Collection[int]) -> dict[int, Subscription]:
        wanted = sorted({i for i in subscription_ids if fits_id(i)})
        if not wanted:
            return {}
        query = select(subscriptions).where(subscriptions.c.id.in_(wanted))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {row.id: _subscription(row) for row in rows}

    async def list_subscriptions(self, include_paused: bool = False) -> list[Subscription]:
        query = select(subscriptions).order_by(subscriptions.c.id)
        if not include_paused:
            query = query.where(subscriptions.c.paused.is_(False))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_subscription(row) for row in rows]

    async def workspace_subscriptions(
        self, platform: str, workspace_id: str | None, channel_ids: Collection[str] | None = None
    ) -> list[Subscription]:
        query = select(subscriptions).where(
            subscriptions.c.platform == platform, subscriptions.c.workspace_id == (workspace_id or "")
        )
        wanted = sorted(channel_ids) if channel_ids is not None else None
        rows: list[Row[Any]] = []
        async with self.engine.connect() as conn:
            if wanted is None:
                rows += (await conn.execute(query)).all()
            for start in range(0, len(wanted or ()), 500):  # within every database's parameter limit
                chunk = (wanted or [])[start : start + 500]
                rows += (await conn.execute(query.where(subscriptions.c.channel_id.in_(chunk)))).all()
        return sorted((_subscription(row) for row in rows), key=lambda s: s.destination.channel_id)

    async def set_paused(self, subscription_id: int, paused: bool, reason: str | None, now: datetime) -> None:
        statement = (
            update(subscriptions)
            .where(subscriptions.c.id == subscription_id)
            .values(paused=paused, paused_reason=reason if paused else None, updated_at=now)
        )
        async with self.engine.begin() as conn:
            await conn.execute(statement)

    async def pause_workspace(self, platform: str, workspace_id: str, reason: str, now: datetime) -> int:
        statement = (
            update(subscriptions)
            .where(
                subscriptions.c.platform == platform,
                subscriptions.c.workspace_id == workspace_id,
                subscriptions.c.paused.is_(False),
            )
            .values(paused=True, paused_reason=reason, updated_at=now)
        )
        async with self.engine.begin() as conn:
            result = await conn.execute(statement)
        return int(result.rowcount)

    async def delete_subscription(self, subscription_id: int) -> None:
        post_ids = select(posts.c.id).where(posts.c.subscription_id == subscription_id)
        async with self.engine.begin() as conn:
            # Explicit because SQLite enforces ON DELETE CASCADE only with a per-connection pragma.
            await conn.execute(delete(reveals).where(reveals.c.post_id.in_(post_ids)))
            await conn.execute(delete(posts).where(posts.c.subscription_id == subscription_id))
            await conn.execute(delete(subscriptions).where(subscriptions.c.id == subscription_id))


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
        "tracks": ",".join(filters.tracks),
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
        tracks=tuple(Track(t) for t in filter(None, row.tracks.split(","))),
    )
    destination = Destination(row.platform, row.channel_id, row.workspace_id or None)
    options = SubscriptionOptions(bool(row.mention_participants), bool(row.weekly_summary))
    return Subscription(
        row.id, destination, schedule, filters, bool(row.paused), row.paused_reason, row.updated_at, options
    )
