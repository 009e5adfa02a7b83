"""The store: migrations match the tables the queries use; claims hold across connections."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from bot.bank import Filters
from bot.schedule import Schedule
from bot.seam import Destination, ThreadRef
from bot.store import SqlStore
from bot.store.tables import metadata

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return [d for d in compare_metadata(context, metadata) if d[0] != "remove_table"]


async def test_the_migrated_schema_matches_the_table_definitions(store: SqlStore) -> None:
    """After `upgrade`, Alembic finds nothing to add or change against bot/store/tables.py."""
    async with store.engine.connect() as conn:
        assert await conn.run_sync(_differences) == []


async def test_upgrading_twice_is_harmless(store: SqlStore) -> None:
    """Start-up always upgrades; a second upgrade on a current schema does nothing."""
    await store.upgrade()
    async with store.engine.connect() as conn:
        assert await conn.run_sync(_differences) == []


async def test_a_post_claim_is_granted_once(store: SqlStore, berlin_schedule: Schedule) -> None:
    """The first claim of (subscription, date) wins; a second, live claim is refused."""
    sub = await store.save_subscription(Destination("fake", "C1"), berlin_schedule, Filters(), NOW)
    first = await store.claim_post(sub.id, date(2026, 11, 23), NOW, NOW, NOW, LEASE, "a")
    second = await store.claim_post(sub.id, date(2026, 11, 23), NOW, NOW, NOW, LEASE, "b")
    assert first is not None and not first.taken_over
    assert second is None


async def test_a_sent_post_is_never_claimed_again(store: SqlStore, berlin_schedule: Schedule) -> None:
    """Once marked sent, even an expired lease cannot be taken over."""
    sub = await store.save_subscription(Destination("fake", "C1"), berlin_schedule, Filters(), NOW)
    claim = await store.claim_post(sub.id, date(2026, 11, 23), NOW, NOW, NOW, LEASE, "a")
    assert claim is not None
    await store.mark_post_sent(claim.post_id, ThreadRef(sub.destination, "m1"), NOW)
    later = NOW + timedelta(hours=1)
    assert await store.claim_post(sub.id, date(2026, 11, 23), NOW, NOW, later, LEASE, "b") is None


async def test_times_come_back_as_aware_utc(store: SqlStore, berlin_schedule: Schedule) -> None:
    """SQLite drops time zones; the store hands back aware UTC datetimes on every database."""
    sub = await store.save_subscription(Destination("fake", "C1"), berlin_schedule, Filters(), NOW)
    claim = await store.claim_post(sub.id, date(2026, 11, 23), NOW, NOW + LEASE, NOW, LEASE, "a")
    assert claim is not None
    post = await store.get_post(claim.post_id)
    assert post is not None and post.scheduled_at == NOW and post.scheduled_at.tzinfo is not None
