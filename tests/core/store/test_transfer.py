"""`mlq export` / `mlq import`: subscriptions and history move between SQLite and PostgreSQL unchanged."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main as mlq
from bot.content.bank import Filters, QuestionBank
from bot.records import MockSession
from bot.schedule.clock import FakeClock
from bot.schedule.rules import Schedule
from bot.schedule.selection import Rotation
from bot.seam import Destination
from bot.service import Invocation, PracticeService
from bot.store import SqlStore, open_store
from bot.store.sql_store import sqlite_url
from bot.store.transfer import TransferError, export_store, import_store
from tests.support.process_support import fresh_database

POST_AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


async def _fill(service: PracticeService, store: SqlStore, schedule: Schedule, clock: FakeClock) -> None:
    """A day of history: two subscriptions (one paused), a post and its reveal, a share, asks, a
    thread reply, a rating with its review card, a leaderboard opt-out, a suggestion and a mock interview."""
    first = await store.save_subscription(
        Destination("fake", "C1", "T1"), schedule, Filters(("keras",)), clock.now()
    )
    second = await store.save_subscription(Destination("fake", "C2", None), schedule, Filters(), clock.now())
    await store.set_paused(second.id, True, "paused by an admin", clock.now())
    clock.set(POST_AT)
    await service.run_due()
    await service.share(Invocation(first.destination, "U1"), "tensorflow-hard", "click-1")
    await service.handle_command(Invocation(first.destination, "U2"), "hard")
    post = await store.latest_post(first.id)
    assert post is not None and post.thread is not None and post.question_id is not None
    await service.record_reply(first.destination, post.thread.thread_id or post.thread.message_id, "U3")
    clock.advance(timedelta(hours=6))
    await service.run_due()
    await service.rate(Invocation(first.destination, "U3"), post.question_id, f"post:{post.id}", "partly")
    await service.handle_command(Invocation(first.destination, "U3"), "leaderboard optout")
    await service.suggest(Invocation(first.destination, "U3"), "Why scale features?", "Because distances.")
    [made] = await service.handle_command(Invocation(first.destination, "U3"), "link")
    code = str(made.message).split("link ")[1].split("`")[0]
    await service.handle_command(Invocation(second.destination, "U4"), f"link {code}")
    await service.handle_command(Invocation(first.destination, "U3"), "link")  # a code left unused
    await store.add_mock(
        MockSession(
            0,
            "fake:T1:U3",
            "U3",
            first.destination,
            "ml-engineer",
            ("keras-easy", "keras-hard"),
            1,
            ("partly", None),
            ("partly", None),
            clock.now(),
            clock.now(),
        )
    )


@pytest.fixture
async def sqlite_source(
    service_factory: Callable[..., PracticeService],
    bank: QuestionBank,
    berlin_schedule: Schedule,
    clock: FakeClock,
    tmp_path: Path,
) -> SqlStore:
    store = await open_store(sqlite_url(tmp_path / "source.db"))
    service = service_factory(store=store, rotation=Rotation(bank, store))
    await _fill(service, store, berlin_schedule, clock)
    return store


async def test_sqlite_to_postgresql_and_back_loses_nothing(sqlite_source: SqlStore, tmp_path: Path) -> None:
    """Export from SQLite, import into PostgreSQL, export again, import into a new SQLite: all equal."""
    original = await export_store(sqlite_source)
    assert {name: len(rows) for name, rows in original["tables"].items()} == {
        "subscriptions": 2,
        "posts": 2,
        "reveals": 2,
        "asked": 2,
        "replies": 1,
        "ratings": 1,
        "review_cards": 1,
        "leaderboard_optouts": 1,
        "suggestions": 1,
        "person_links": 1,
        "link_codes": 1,
        "mock_sessions": 1,
    }
    async with fresh_database() as url:
        postgres = await open_store(url)
        await import_store(postgres, original)
        via_postgres = await export_store(postgres)
        await postgres.close()
    back = await open_store(sqlite_url(tmp_path / "back.db"))
    await import_store(back, via_postgres)
    assert via_postgres == original
    assert await export_store(back) == original
    await back.close()
    await sqlite_source.close()


async def test_an_imported_store_keeps_working(
    sqlite_source: SqlStore, tmp_path: Path, clock: FakeClock
) -> None:
    """New rows after an import get fresh ids (sequences moved past the imported ones)."""
    data = await export_store(sqlite_source)
    async with fresh_database() as url:
        postgres = await open_store(url)
        await import_store(postgres, data)
        subscription = await postgres.get_subscription(Destination("fake", "C1", "T1"))
        assert subscription is not None and subscription.filters.topics == ("keras",)
        added = await postgres.save_subscription(
            Destination("fake", "C3", None), subscription.schedule, Filters(), clock.now()
        )
        assert added.id == 3
        await postgres.close()
    await sqlite_source.close()


async def test_importing_into_a_database_with_data_changes_nothing(sqlite_source: SqlStore) -> None:
    data = await export_store(sqlite_source)
    with pytest.raises(TransferError, match="empty database"):
        await import_store(sqlite_source, data)
    assert await export_store(sqlite_source) == data
    await sqlite_source.close()


async def test_a_file_that_is_not_an_export_is_refused(tmp_path: Path) -> None:
    store = await open_store(sqlite_url(tmp_path / "x.db"))
    with pytest.raises(TransferError, match="not an mlquestion export"):
        await import_store(store, {"format": "something-else"})
    await store.close()


EXPORT = {"format": "mlquestion-export", "version": 1}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "not an mlquestion export"),
        ({**EXPORT, "tables": "everything"}, "'tables' must map table names to lists of rows"),
        ({**EXPORT, "tables": {"recipes": []}}, "unknown tables ['recipes']"),
        ({**EXPORT, "tables": {"posts": ["a row"]}}, "posts: rows must be a list of column: value mappings"),
        ({**EXPORT, "tables": {"posts": [{"id": 1, "local_date": "someday"}]}}, "posts row 1: local_date"),
        ({**EXPORT, "tables": {"subscriptions": [{"id": 1}]}}, "the database refused a row"),
    ],
)
async def test_a_malformed_export_is_refused_and_changes_nothing(
    store: SqlStore, data: Any, message: str
) -> None:
    """JSON of the wrong shape, or rows the database refuses: a TransferError, and no row is left."""
    with pytest.raises(TransferError) as raised:
        await import_store(store, data)
    assert message in str(raised.value) and "nothing was imported" in str(raised.value).lower()
    assert all(rows == [] for rows in (await export_store(store))["tables"].values())


def test_mlq_export_and_import_move_a_database_by_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI pair: export one SQLite file, import it into another, the second export is the same."""
    monkeypatch.setenv("MLQ_SQLITE_PATH", str(tmp_path / "a.db"))
    assert mlq(["db", "upgrade"]) == 0
    assert mlq(["export", str(tmp_path / "a.json")]) == 0
    monkeypatch.setenv("MLQ_SQLITE_PATH", str(tmp_path / "b.db"))
    assert mlq(["import", str(tmp_path / "a.json")]) == 0
    assert mlq(["export", str(tmp_path / "b.json")]) == 0
    first: dict[str, Any] = json.loads((tmp_path / "a.json").read_text())
    assert first == json.loads((tmp_path / "b.json").read_text())
    assert "imported 0 subscriptions" in capsys.readouterr().out


def test_mlq_import_of_broken_json_names_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MLQ_SQLITE_PATH", str(tmp_path / "a.db"))
    (tmp_path / "bad.json").write_text('{\n "format": \n}\n')
    assert mlq(["import", str(tmp_path / "bad.json")]) == 1
    assert "bad.json:3: not valid JSON" in capsys.readouterr().err
