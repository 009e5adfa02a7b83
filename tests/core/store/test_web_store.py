"""The store behind the web dashboard, on SQLite and PostgreSQL: sessions, used sign-in links,
moderating suggestions, and the reads the figures need."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.content.bank import Filters
from bot.records import WebSession
from bot.schedule.rules import Schedule
from bot.seam import Destination
from bot.store import SqlStore

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOME = Destination("slack", "C1", "T1")


def session(token_hash: str = "a" * 64, expires: timedelta = timedelta(hours=12)) -> WebSession:
    return WebSession(token_hash, HOME, "U1", "slack:T1:U1", True, NOW, "csrf", NOW, NOW + expires)


async def suggest(store: SqlStore, where: str = "slack:T1:C1", text: str = "Q?") -> int:
    return await store.add_suggestion("slack:T1:U1", where, "keras", None, text, "A.", NOW)


async def test_a_session_is_read_back_as_saved(store: SqlStore) -> None:
    """Everything a session holds survives the round trip."""
    await store.add_web_session(session())
    assert await store.web_session("a" * 64, NOW) == session()


async def test_an_expired_session_is_gone(store: SqlStore) -> None:
    """At its expiry a session reads as None and its row is deleted."""
    await store.add_web_session(session(expires=timedelta(hours=1)))
    assert await store.web_session("a" * 64, NOW + timedelta(hours=1)) is None
    assert await store.web_session("a" * 64, NOW) is None  # deleted, not just hidden


async def test_a_deleted_session_is_gone(store: SqlStore) -> None:
    """Sign-out deletes the row."""
    await store.add_web_session(session())
    await store.delete_web_session("a" * 64)
    assert await store.web_session("a" * 64, NOW) is None


async def test_a_sign_in_link_is_used_once(store: SqlStore) -> None:
    """The first use is recorded; the second is refused; `signin_link_used` says so."""
    assert not await store.signin_link_used("n1")
    assert await store.use_signin_link("n1", "slack:T1:U1", NOW, NOW - timedelta(minutes=20))
    assert not await store.use_signin_link("n1", "slack:T1:U1", NOW, NOW - timedelta(minutes=20))
    assert await store.signin_link_used("n1")


async def test_uses_of_long_expired_links_are_forgotten(store: SqlStore) -> None:
    """Recording a use deletes the uses older than `forget_before` (their links expired anyway)."""
    await store.use_signin_link("old", "k", NOW - timedelta(hours=1), NOW - timedelta(hours=2))
    await store.use_signin_link("new", "k", NOW, NOW - timedelta(minutes=20))
    assert not await store.signin_link_used("old") and await store.signin_link_used("new")


async def test_workspace_suggestions_stop_at_the_workspace(store: SqlStore) -> None:
    """T1's list has T1's suggestions only, even where another workspace's id starts the same."""
    mine = await suggest(store, "slack:T1:C1")
    await suggest(store, "slack:T10:C1")
    await suggest(store, "discord:T1:C1")
    assert [s.id for s in await store.workspace_suggestions("slack", "T1")] == [mine]


async def test_a_suggestion_is_accepted_or_rejected_once(store: SqlStore) -> None:
    """`begin_accept` and `reject_suggestion` take only a new suggestion; the loser gets False."""
    number = await suggest(store)
    assert await store.begin_accept(number)
    assert not await store.reject_suggestion(number, "no", "slack:T1:UA", NOW)
    assert not await store.begin_accept(number)
    await store.finish_accept(number, "content/suggested/keras/q.md", "slack:T1:UA", NOW)
    found = await store.get_suggestion(number)
    assert found is not None and (found.status, found.accepted_path, found.reviewed_at) == (
        "accepted",
        "content/suggested/keras/q.md",
        NOW,
    )


async def test_a_rejected_suggestion_keeps_its_reason(store: SqlStore) -> None:
    """The reason comes back with the suggestion, to its author."""
    number = await suggest(store)
    assert await store.reject_suggestion(number, "Duplicate of #3.", "slack:T1:UA", NOW)
    [found] = await store.user_suggestions("slack:T1:U1")
    assert (found.status, found.rejected_reason) == ("rejected", "Duplicate of #3.")


async def test_an_accept_that_failed_puts_the_suggestion_back(store: SqlStore) -> None:
    """`release_accept` makes it new again, editable and acceptable."""
    number = await suggest(store)
    await store.begin_accept(number)
    await store.release_accept(number)
    assert await store.update_suggestion(number, "Q2?", "A2.", None, "hard")
    found = await store.get_suggestion(number)
    assert found is not None and (found.status, found.question, found.topic) == ("new", "Q2?", None)


@pytest.mark.parametrize("number", [0, 2**31, 10**12])
async def test_ids_out_of_range_change_nothing(store: SqlStore, number: int) -> None:
    """An id no row can have (PostgreSQL would refuse the number) is simply not found."""
    assert not await store.update_suggestion(number, "q", "a", None, None)
    assert not await store.begin_accept(number)
    assert not await store.reject_suggestion(number, "r", "k", NOW)


async def test_workspace_channels_are_its_subscriptions(store: SqlStore, berlin_schedule: Schedule) -> None:
    """Every subscribed channel of the workspace, paused or not; none of another workspace."""
    for where in (HOME, Destination("slack", "C2", "T1"), Destination("slack", "C3", "T2")):
        await store.save_subscription(where, berlin_schedule, Filters(), NOW)
    paused = await store.get_subscription(Destination("slack", "C2", "T1"))
    assert paused is not None
    await store.set_paused(paused.id, True, "test", NOW)
    channels = await store.workspace_channels("slack", "T1")
    assert channels == [HOME, Destination("slack", "C2", "T1")]
