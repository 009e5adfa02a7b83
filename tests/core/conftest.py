"""Fixtures the core's tests share: the service's world, with or without C1 subscribed, and a
database file holding a suggestion for the `mlq content` commands."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.records import Subscription
from bot.schedule.clock import FakeClock
from bot.schedule.rules import Schedule
from bot.seam import Destination
from bot.service import PracticeService
from bot.store import SqlStore, open_store
from bot.store.sql_store import sqlite_url
from tests.support.core_support import CoreWorld
from tests.support.fakes import RecordingAdapter


@pytest.fixture
def world(
    service: PracticeService,
    adapter: RecordingAdapter,
    store: SqlStore,
    clock: FakeClock,
    destination: Destination,
    berlin_schedule: Schedule,
) -> CoreWorld:
    """The service with the recording adapter behind it; nothing subscribed yet."""
    return CoreWorld(service, adapter, store, clock, destination, berlin_schedule)


@pytest.fixture
def daily(world: CoreWorld, subscription: Subscription) -> CoreWorld:
    """The world with C1 subscribed to 09:00 Berlin on weekdays, revealed 6 h later, mentions on."""
    return world


SuggestionDatabase = Callable[[str, str, str], Path]


@pytest.fixture
def suggestion_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SuggestionDatabase:
    """Store a suggestion (from user key, question, answer) on keras from Slack's C1 on 24 November
    2026 in the SQLite file MLQ_SQLITE_PATH now names, tmp_path/bot.db; return tmp_path."""
    database = tmp_path / "bot.db"
    monkeypatch.setenv("MLQ_SQLITE_PATH", str(database))

    async def add(user_key: str, question: str, answer: str) -> None:
        store = await open_store(sqlite_url(database))
        made = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
        await store.add_suggestion(user_key, "slack:T1:C1", "keras", None, question, answer, made)
        await store.close()

    def suggest(user_key: str, question: str, answer: str) -> Path:
        asyncio.run(add(user_key, question, answer))
        return tmp_path

    return suggest
