"""The store: migrations match the tables the queries use; claims hold across connections."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from bot.content.bank import Filters
from bot.records import Subscription
from bot.schedule.rules import Schedule
from bot.seam import Destination, ThreadRef
from bot.store import SqlStore
from bot.store.protocol import Draw, PostRequest, SentPost
from bot.store.tables import metadata

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def _differences(connection: Connection) -> list[Any]:
    """What Alembic would change to reach bot/store/tables.py, leaving out tables (and their indexes)
    the queries don't define: slack-sdk's installation tables, checked by the Slack adapter's tests."""
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return [
        d
        for d in compare_metadata(context, metadata)
        if d[0] != "remove_table" and not (d[0] == "remove_index" and d[1].table.name not in metadata.tables)
    ]


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


DAY = date(2026, 11, 23)
LATER = NOW + LEASE + timedelta(seconds=1)  # every lease taken at NOW has run out


async def _subscriptions(store: SqlStore, schedule: Schedule, count: int) -> list[Subscription]:
    return [
        await store.save_subscription(Destination("fake", f"C{n}"), schedule, Filters(), NOW)
        for n in range(count)
    ]


def _requests(subscriptions: list[Subscription]) -> list[PostRequest]:
    return [PostRequest(s.id, DAY, NOW, NOW + timedelta(hours=6)) for s in subscriptions]


async def test_a_batch_claim_grants_every_new_post_as_a_first_attempt(
    store: SqlStore, berlin_schedule: Schedule
) -> None:
    """Posts nobody has claimed are all granted, each its own row, none as a takeover."""
    subs = await _subscriptions(store, berlin_schedule, 3)
    claims = await store.claim_posts(_requests(subs), NOW, LEASE, "a")
    assert sorted(c.subscription_id for c in claims) == [s.id for s in subs]
    assert len({c.post_id for c in claims}) == 3
    assert not any(c.taken_over or c.question_id for c in claims)


async def test_a_batch_claim_leaves_a_post_held_under_a_live_lease(
    store: SqlStore, berlin_schedule: Schedule
) -> None:
    """A post another process claimed a minute ago is not granted; the rest of the batch is."""
    subs = await _subscriptions(store, berlin_schedule, 3)
    assert await store.claim_post(subs[0].id, DAY, NOW, NOW, NOW, LEASE, "a") is not None
    claims = await store.claim_posts(_requests(subs), NOW + timedelta(minutes=1), LEASE, "b")
    assert sorted(c.subscription_id for c in claims) == [s.id for s in subs[1:]]


async def test_a_batch_claim_takes_over_failed_and_expired_claims_with_their_questions(
    store: SqlStore, berlin_schedule: Schedule
) -> None:
    """A failed send and a claim whose lease ran out are granted as takeovers, question kept."""
    subs = await _subscriptions(store, berlin_schedule, 2)
    failed = await store.claim_post(subs[0].id, DAY, NOW, NOW, NOW, LEASE, "a")
    expired = await store.claim_post(subs[1].id, DAY, NOW, NOW, NOW, LEASE, "a")
    assert failed is not None and expired is not None
    await store.set_post_question(failed.post_id, "keras-easy")
    await store.set_post_question(expired.post_id, "keras-hard")
    await store.mark_post_failed(failed.post_id, "ConnectionError")
    claims = {c.subscription_id: c for c in await store.claim_posts(_requests(subs), LATER, LEASE, "b")}
    assert (claims[subs[0].id].post_id, claims[subs[0].id].question_id) == (failed.post_id, "keras-easy")
    assert (claims[subs[1].id].post_id, claims[subs[1].id].question_id) == (expired.post_id, "keras-hard")
    assert all(c.taken_over for c in claims.values())


async def test_a_batch_claim_never_grants_a_sent_or_skipped_post(
    store: SqlStore, berlin_schedule: Schedule
) -> None:
    """Sent and skipped posts stay done, however late the batch comes."""
    subs = await _subscriptions(store, berlin_schedule, 2)
    sent = await store.claim_post(subs[0].id, DAY, NOW, NOW, NOW, LEASE, "a")
    assert sent is not None
    await store.mark_post_sent(sent.post_id, ThreadRef(subs[0].destination, "m1"), NOW)
    assert await store.record_skipped(subs[1].id, DAY, NOW, NOW, "missed")
    assert await store.claim_posts(_requests(subs), NOW + timedelta(hours=1), LEASE, "b") == []


async def test_racing_batch_claims_grant_each_post_once(store: SqlStore, berlin_schedule: Schedule) -> None:
    """Five claimers at once over overlapping batches, half of them takeovers: each post goes to one."""
    subs = await _subscriptions(store, berlin_schedule, 40)
    for sub in subs[:20]:
        assert await store.claim_post(sub.id, DAY, NOW, NOW, NOW, LEASE, "crashed") is not None
    batches = [subs[0:25], subs[15:40], subs[5:30], subs[10:35], subs[0:40]]
    results = await asyncio.gather(
        *(store.claim_posts(_requests(batch), LATER, LEASE, f"p{n}") for n, batch in enumerate(batches))
    )
    granted = [claim.subscription_id for claims in results for claim in claims]
    assert sorted(granted) == [s.id for s in subs]


async def test_rotations_reads_the_current_cycle_of_many_scopes_at_once(store: SqlStore) -> None:
    """Each scope's latest cycle with its ids oldest first; a scope with no history starts at 1."""
    history = [("a", "q1", 1), ("a", "q2", 2), ("b", "q3", 1), ("a", "q4", 2), ("b", "q5", 1)]
    for scope, question_id, cycle in history:
        await store.record_asked(scope, question_id, cycle, NOW)
    expected = {"a": (2, ["q2", "q4"]), "b": (1, ["q3", "q5"]), "new": (1, [])}
    assert await store.rotations({"a", "b", "new"}) == expected
    assert {scope: await store.rotation(scope) for scope in expected} == expected


async def test_recorded_draws_set_the_questions_and_extend_the_rotation_in_order(
    store: SqlStore, berlin_schedule: Schedule
) -> None:
    """Two draws for one scope: each post gets its question and the rotation lists both, in order."""
    subs = await _subscriptions(store, berlin_schedule, 2)
    claims = sorted(await store.claim_posts(_requests(subs), NOW, LEASE, "a"), key=lambda c: c.post_id)
    draws = [Draw(claims[0].post_id, "channel:x", "q2", 1), Draw(claims[1].post_id, "channel:x", "q1", 1)]
    await store.record_draws(draws, NOW)
    posts = [await store.get_post(c.post_id) for c in claims]
    assert [p.question_id for p in posts if p is not None] == ["q2", "q1"]
    assert await store.rotation("channel:x") == (1, ["q2", "q1"])


async def test_batch_sent_marks_return_the_posts_in_the_order_given(
    store: SqlStore, berlin_schedule: Schedule
) -> None:
    """Every post is recorded sent with its own thread and time, and returned as it now stands."""
    subs = await _subscriptions(store, berlin_schedule, 3)
    claims = sorted(await store.claim_posts(_requests(subs), NOW, LEASE, "a"), key=lambda c: -c.post_id)
    marks = [
        SentPost(c.post_id, ThreadRef(Destination("fake", "C"), f"m{n}"), NOW + timedelta(seconds=n))
        for n, c in enumerate(claims)
    ]
    posts = await store.mark_posts_sent(marks)
    assert [p.id for p in posts] == [c.post_id for c in claims]
    assert [(p.status, p.thread.message_id if p.thread else None, p.posted_at) for p in posts] == [
        ("sent", f"m{n}", NOW + timedelta(seconds=n)) for n in range(3)
    ]
    assert await store.post_keys([DAY]) == {(s.id, DAY) for s in subs}


async def test_post_keys_name_only_the_dates_asked_for(store: SqlStore, berlin_schedule: Schedule) -> None:
    """Yesterday's sent post is not among today's keys: a catch-up reads only the dates it needs."""
    (sub,) = await _subscriptions(store, berlin_schedule, 1)
    for day in (DAY - timedelta(days=1), DAY):
        claim = await store.claim_post(sub.id, day, NOW, NOW, NOW, LEASE, "a")
        assert claim is not None
        await store.mark_post_sent(claim.post_id, ThreadRef(sub.destination, f"m{day}"), NOW)
    assert await store.post_keys([DAY]) == {(sub.id, DAY)}
    assert await store.post_keys([]) == set()


async def _sent_posts(store: SqlStore, schedule: Schedule, reveals: list[datetime]) -> list[int]:
    """One sent post per reveal instant given; their ids."""
    subs = await _subscriptions(store, schedule, len(reveals))
    ids = []
    for sub, reveal_at in zip(subs, reveals, strict=True):
        claim = await store.claim_post(sub.id, DAY, NOW, reveal_at, NOW, LEASE, "a")
        assert claim is not None
        await store.mark_post_sent(claim.post_id, ThreadRef(sub.destination, f"m{sub.id}"), NOW)
        ids.append(claim.post_id)
    return ids


async def test_posts_awaiting_reveal_can_be_limited_to_those_due(
    store: SqlStore, berlin_schedule: Schedule
) -> None:
    """Of reveals due at 10:00 and 14:00, at noon only the 10:00 one is due; without a limit both."""
    ten, two = NOW.replace(hour=10), NOW.replace(hour=14)
    early, late = await _sent_posts(store, berlin_schedule, [ten, two])
    assert [p.id for p in await store.posts_awaiting_reveal(due_by=NOW.replace(hour=12))] == [early]
    assert [p.id for p in await store.posts_awaiting_reveal()] == [early, late]


async def test_reveal_times_are_the_distinct_instants_still_to_come(
    store: SqlStore, berlin_schedule: Schedule
) -> None:
    """Three posts revealed at 14:00 and one at 10:00, seen at noon: one instant, 14:00."""
    ten, two = NOW.replace(hour=10), NOW.replace(hour=14)
    await _sent_posts(store, berlin_schedule, [two, ten, two, two])
    assert await store.reveal_times(after=NOW.replace(hour=12)) == [two]


async def test_released_claims_are_retried_but_a_claim_taken_over_since_is_kept(
    store: SqlStore, berlin_schedule: Schedule
) -> None:
    """A gives up both its claims; the one B took over in the meantime stays B's."""
    subs = await _subscriptions(store, berlin_schedule, 2)
    mine = await store.claim_posts(_requests(subs), NOW, LEASE, "a")
    assert len(await store.claim_posts(_requests(subs[1:]), LATER, LEASE, "b")) == 1
    await store.release_posts([c.post_id for c in mine], "a", "shutting down")
    retried = await store.claim_posts(_requests(subs), LATER, LEASE, "c")
    assert [(c.subscription_id, c.taken_over) for c in retried] == [(subs[0].id, True)]
