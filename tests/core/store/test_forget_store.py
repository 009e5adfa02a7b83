"""Forgetting one account on SQLite and PostgreSQL: every kind of row about it goes in one call,
linked accounts keep their shared schedule, and nobody else's rows move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.records import MockSession, RatingRecord, ReviewCardRecord, WebSession
from bot.seam import Destination, ThreadRef
from bot.store import SqlStore

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOME = Destination("slack", "C1", "T1")
ME, OTHER, MY_DISCORD = "slack:T1:U1", "slack:T1:U2", "discord:G1:D1"


async def rate(store: SqlStore, key: str, question_id: str = "q1", person: str | None = None) -> None:
    user_id = key.rsplit(":", 1)[1]
    rating = RatingRecord(question_id, "missed", "ask:2026-11-23", None, NOW)
    card = ReviewCardRecord(question_id, "{}", NOW + timedelta(days=1), None, "ask:2026-11-23")
    await store.save_rating(key, user_id, rating, card, NOW, person)


async def keep_everything_about(store: SqlStore, key: str) -> None:
    """One row of every kind the store keeps about an account."""
    user_id = key.rsplit(":", 1)[1]
    await rate(store, key)
    await store.record_reply("slack:C1:1.0", key, user_id, NOW)
    await store.save_link_code("ABCD2345" if key == ME else "WXYZ6789", key, NOW + timedelta(minutes=10))
    await store.set_leaderboard_optout(key, True, NOW)
    session = MockSession(0, key, user_id, HOME, None, ("q1",), 0, (None,), (None,), NOW, NOW)
    await store.add_mock(session)
    await store.add_web_session(
        WebSession(f"{key[-1]}" * 64, HOME, user_id, key, False, NOW, "csrf", NOW, NOW + timedelta(hours=1))
    )
    await store.use_signin_link(f"nonce-{key}", key, NOW, NOW - timedelta(hours=1))
    await store.record_asked(f"user:{key}", "q1", 1, NOW)
    await store.add_suggestion(key, "slack:T1:C1", "keras", None, "Q?", "A.", NOW)


async def test_every_kind_of_row_is_deleted_and_counted(store: SqlStore) -> None:
    """One row of each kind kept about the account: each is counted once and gone after."""
    await keep_everything_about(store, ME)
    counts = await store.forget_user(ME, "U1", "slack", "T1")
    assert {kind: n for kind, n in counts.items() if n} == {
        "ratings": 1,
        "reply counts": 1,
        "review cards": 1,
        "link codes": 1,
        "leaderboard opt-outs": 1,
        "mock interviews": 1,
        "web sessions": 1,
        "sign-in links": 1,
        "on-demand question history": 1,
        "suggestions": 1,
    }
    assert await store.user_ratings(ME) == [] and await store.review_cards_of(ME) == []
    assert await store.replied_threads(ME) == set()
    assert await store.leaderboard_optouts({ME}) == set()
    assert await store.open_mock(ME) is None
    assert await store.web_session("1" * 64, NOW) is None
    assert not await store.signin_link_used(f"nonce-{ME}")
    assert (await store.rotation(f"user:{ME}"))[1] == []
    assert await store.user_suggestions(ME) == []


async def test_nobody_elses_rows_move(store: SqlStore) -> None:
    """Everything kept about another account of the same workspace is still there."""
    await keep_everything_about(store, ME)
    await keep_everything_about(store, OTHER)
    await store.forget_user(ME, "U1", "slack", "T1")
    assert len(await store.user_ratings(OTHER)) == 1 and len(await store.review_cards_of(OTHER)) == 1
    assert await store.replied_threads(OTHER) == {"slack:C1:1.0"}
    assert await store.leaderboard_optouts({OTHER}) == {OTHER}
    assert await store.open_mock(OTHER) is not None
    assert await store.web_session("2" * 64, NOW) is not None
    assert await store.user_suggestions(OTHER)


async def test_a_linked_account_keeps_the_shared_schedule_when_its_maker_is_forgotten(
    store: SqlStore,
) -> None:
    """The code's maker holds the shared cards; forgetting it hands them to the linked account."""
    await store.save_link_code("ABCD2345", ME, NOW + timedelta(minutes=10))
    person = await store.link_with_code("ABCD2345", MY_DISCORD, NOW)
    assert person == ME
    await rate(store, MY_DISCORD, "q2", person=ME)
    counts = await store.forget_user(ME, "U1", "slack", "T1")
    assert counts["account links"] == 1 and counts["review cards"] == 0
    assert await store.person_of(MY_DISCORD) == MY_DISCORD
    assert [card.question_id for card in await store.review_cards_of(MY_DISCORD)] == ["q2"]
    assert await store.review_cards_of(ME) == []


async def test_forgetting_the_linked_account_leaves_the_makers_schedule(store: SqlStore) -> None:
    """The joiner's link goes; the cards under the maker's key stay the maker's."""
    await store.save_link_code("ABCD2345", ME, NOW + timedelta(minutes=10))
    await store.link_with_code("ABCD2345", MY_DISCORD, NOW)
    await rate(store, MY_DISCORD, "q2", person=ME)
    counts = await store.forget_user(MY_DISCORD, "D1", "discord", "G1")
    assert counts["account links"] == 1 and counts["ratings"] == 1 and counts["review cards"] == 0
    assert await store.person_of(MY_DISCORD) == MY_DISCORD
    assert [card.question_id for card in await store.review_cards_of(ME)] == ["q2"]


async def test_shared_by_is_cleared_only_in_the_persons_workspace(store: SqlStore) -> None:
    """The same user id in another workspace shared a question too: that mark stays."""
    ids = []
    for n, workspace in enumerate(("T1", "T2")):
        post_id = await store.claim_shared_post(
            f"share-{n}", "q1", "U1", NOW, NOW + timedelta(hours=1), timedelta(minutes=1), "me"
        )
        assert post_id is not None
        thread = ThreadRef(Destination("slack", "C1", workspace), f"{n}.0")
        await store.mark_post_sent(post_id, thread, NOW)
        ids.append(post_id)
    counts = await store.forget_user(ME, "U1", "slack", "T1")
    assert counts["shared-question marks"] == 1
    mine, theirs = [await store.get_post(post_id) for post_id in ids]
    assert mine is not None and mine.shared_by is None
    assert theirs is not None and theirs.shared_by == "U1"


async def test_a_moderators_name_is_cleared_from_what_they_reviewed(store: SqlStore) -> None:
    """The suggestion stays (it is someone else's); who rejected it is no longer recorded."""
    suggestion = await store.add_suggestion(OTHER, "slack:T1:C1", "keras", None, "Q?", "A.", NOW)
    assert await store.reject_suggestion(suggestion, "duplicate", ME, NOW)
    counts = await store.forget_user(ME, "U1", "slack", "T1")
    assert counts["moderation marks"] == 1
    (kept,) = await store.user_suggestions(OTHER)
    assert kept.rejected_reason == "duplicate"


# A trigger that refuses to delete suggestions, so forgetting fails part-way (after the ratings,
# replies and cards were deleted in the same transaction).
_REFUSE_DELETES = {
    "sqlite": [
        "CREATE TRIGGER refuse_delete BEFORE DELETE ON suggestions BEGIN SELECT RAISE(ABORT, 'refused'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'refused'; END $$",
        "CREATE TRIGGER refuse_delete BEFORE DELETE ON suggestions "
        "FOR EACH ROW EXECUTE FUNCTION refuse_delete()",
    ],
}


async def test_a_failure_part_way_deletes_nothing(store: SqlStore) -> None:
    """The database refuses one of the deletes: the ones before it are rolled back too."""
    await keep_everything_about(store, ME)
    async with store.engine.begin() as conn:
        for statement in _REFUSE_DELETES[store.engine.dialect.name]:
            await conn.execute(text(statement))
    with pytest.raises(DBAPIError):
        await store.forget_user(ME, "U1", "slack", "T1")
    assert len(await store.user_ratings(ME)) == 1 and len(await store.review_cards_of(ME)) == 1
    assert await store.replied_threads(ME) == {"slack:C1:1.0"}
    assert await store.leaderboard_optouts({ME}) == {ME}
