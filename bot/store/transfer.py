"""Export and import the whole store as JSON, to move between SQLite and PostgreSQL without loss.

Rows keep their ids (posts and reveals refer to them), dates and instants travel as ISO strings,
and an import goes into an empty, migrated database in one transaction, or not at all.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Table, func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.sql_store import SqlStore
from bot.store.tables import (
    UTCDateTime,
    asked,
    leaderboard_optouts,
    link_codes,
    mock_sessions,
    person_links,
    posts,
    ratings,
    replies,
    reveals,
    review_cards,
    subscriptions,
    suggestions,
)

FORMAT = "mlquestion-export"
VERSION = 1
# Parents before children, so foreign keys hold while importing.
TABLES: tuple[Table, ...] = (
    subscriptions,
    posts,
    reveals,
    asked,
    replies,
    ratings,
    review_cards,
    leaderboard_optouts,
    person_links,
    link_codes,
    suggestions,
    mock_sessions,
)


class TransferError(ValueError):
    """The export can't be imported; the message says why and that nothing was changed."""


async def export_store(store: SqlStore) -> dict[str, Any]:
    """Return every row of every table, JSON-ready."""
    data: dict[str, Any] = {"format": FORMAT, "version": VERSION, "tables": {}}
    async with store.engine.connect() as conn:
        for table in TABLES:
            primary = list(table.primary_key.columns)
            rows = (await conn.execute(select(table).order_by(*primary))).mappings().all()
            data["tables"][table.name] = [{key: _dump(value) for key, value in row.items()} for row in rows]
    return data


async def import_store(store: SqlStore, data: dict[str, Any]) -> dict[str, int]:
    """Insert an export into an empty store; return the rows imported per table."""
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
        found = (data.get("format"), data.get("version")) if isinstance(data, dict) else (None, None)
        raise TransferError(
            f"not an mlquestion export (format {found[0]!r}, version {found[1]!r}); nothing was imported"
        )
    tables = data.get("tables") or {}
    _check_shape(tables)
    counts: dict[str, int] = {}
    try:
        async with store.engine.begin() as conn:
            await _insert_all(conn, tables, counts)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
        raise TransferError(f"the database refused a row ({reason}); nothing was imported") from None
    return counts


def _check_shape(tables: object) -> None:
    """Refuse anything but {table name: [row mapping, …]} for the tables an export holds."""
    if not isinstance(tables, dict):
        raise TransferError("'tables' must map table names to lists of rows; nothing was imported")
    unknown = sorted(set(tables) - {table.name for table in TABLES})
    if unknown:
        raise TransferError(f"unknown tables {unknown}; nothing was imported")
    for name, rows in tables.items():
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise TransferError(
                f"{name}: rows must be a list of column: value mappings; nothing was imported"
            )


async def _insert_all(conn: AsyncConnection, tables: dict[str, Any], counts: dict[str, int]) -> None:
    """Refuse a non-empty database, insert every table's rows, move PostgreSQL's id sequences."""
    for table in TABLES:
        existing = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
        if existing:
            raise TransferError(
                f"the target database already has {existing} rows in {table.name}; import needs an "
                "empty database (run `mlq db upgrade` on a new one). Nothing was imported."
            )
    for table in TABLES:
        rows = [_load(table, index, row) for index, row in enumerate(tables.get(table.name, []), 1)]
        if rows:
            await conn.execute(insert(table), rows)
        counts[table.name] = len(rows)
    if conn.dialect.name == "postgresql":
        # Ids were inserted explicitly: move each sequence past the largest one.
        for table in (subscriptions, posts, asked, replies, ratings, suggestions):
            following = select(func.coalesce(func.max(table.c.id), 0) + 1).scalar_subquery()
            sequence = func.pg_get_serial_sequence(table.name, "id")
            await conn.execute(select(func.setval(sequence, following, False)))


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def _dump(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _load(table: Table, index: int, row: dict[str, Any]) -> dict[str, Any]:
    unknown = set(row) - set(table.columns.keys())
    if unknown:
        raise TransferError(f"{table.name}: unknown columns {sorted(unknown)}; nothing was imported")
    loaded: dict[str, Any] = {}
    for name, value in row.items():
        column_type = table.columns[name].type
        try:
            if value is not None and isinstance(column_type, UTCDateTime):
                value = datetime.fromisoformat(value)
            elif value is not None and isinstance(column_type, Date):
                value = date.fromisoformat(value)
        except (TypeError, ValueError):
            raise TransferError(
                f"{table.name} row {index}: {name} is not an ISO date or time; nothing was imported"
            ) from None
        loaded[name] = value
    return loaded
