"""Opening the store: a database that cannot be reached, opened or trusted is one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store import StoreUnavailable, open_store
from bot.store.sql_store import sqlite_url


async def test_an_unreachable_postgresql_names_host_port_and_what_to_check(closed_port: int) -> None:
    """Nothing listens on the port: one line with host:port, the reason and DATABASE_URL."""
    with pytest.raises(StoreUnavailable) as raised:
        await open_store(f"postgresql://bot:hunter2secret@127.0.0.1:{closed_port}/mlq")
    message = str(raised.value)
    assert f"cannot reach PostgreSQL at 127.0.0.1:{closed_port} (connection refused)" in message
    assert "DATABASE_URL" in message and "\n" not in message and "hunter2secret" not in message


async def test_a_damaged_sqlite_file_is_refused_by_quick_check(damaged_sqlite: Path) -> None:
    """A file that opens but fails PRAGMA quick_check is refused, naming MLQ_SQLITE_PATH."""
    with pytest.raises(StoreUnavailable) as raised:
        await open_store(sqlite_url(damaged_sqlite))
    message = str(raised.value)
    assert "is damaged" in message and "MLQ_SQLITE_PATH" in message and str(damaged_sqlite) in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("notes.db", b"these are not the droids " * 100, "is damaged or not a database"),
        ("missing-folder/bot.db", None, "cannot open the SQLite file"),
    ],
)
async def test_an_sqlite_file_that_cannot_be_opened_names_mlq_sqlite_path(
    tmp_path: Path, name: str, content: bytes | None, fragment: str
) -> None:
    """Not a database, or in a folder that does not exist: say which, name MLQ_SQLITE_PATH."""
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(StoreUnavailable) as raised:
        await open_store(sqlite_url(path))
    assert fragment in str(raised.value) and "MLQ_SQLITE_PATH" in str(raised.value)
