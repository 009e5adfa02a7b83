"""Mock-interview queries on the SQL store (mixed into SqlStore). Every method is its own transaction."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.records import MockSession
from bot.seam import Destination
from bot.store.tables import fits_id, mock_sessions


class MockQueries:
    engine: AsyncEngine

    async def add_mock(self, session: MockSession) -> int:
        """Save a new session (its `id` is ignored) and return its id."""
        values = _values(session)
        statement = mock_sessions.insert().values(**values).returning(mock_sessions.c.id)
        async with self.engine.begin() as conn:
            return int((await conn.execute(statement)).scalar_one())

    async def get_mock(self, session_id: int) -> MockSession | None:
        if not fits_id(session_id):
            return None
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(mock_sessions).where(mock_sessions.c.id == session_id))).first()
        return _session(row) if row is not None else None

    async def open_mock(self, user_key: str) -> MockSession | None:
        """The person's latest session that has not ended (it may have expired unnoticed)."""
        query = (
            select(mock_sessions)
            .where(mock_sessions.c.user_key == user_key, mock_sessions.c.ended.is_(None))
            .order_by(mock_sessions.c.id.desc())
            .limit(1)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return _session(row) if row is not None else None

    async def save_mock(self, session: MockSession, expected_position: int) -> bool:
        """Write a session's progress if it is still open at `expected_position`; False if another
        click moved it on (or ended it) first, so a double click cannot skip a question."""
        values = _values(session)
        statement = (
            update(mock_sessions)
            .where(
                mock_sessions.c.id == session.id,
                mock_sessions.c.position == expected_position,
                mock_sessions.c.ended.is_(None),
            )
            .values(
                position=values["position"],
                suggested=values["suggested"],
                ratings=values["ratings"],
                updated_at=values["updated_at"],
                ended=values["ended"],
            )
        )
        async with self.engine.begin() as conn:
            return (await conn.execute(statement)).rowcount == 1

    async def recent_mocks(self, user_key: str, limit: int) -> list[MockSession]:
        """The person's latest sessions (ended or not), newest first."""
        query = (
            select(mock_sessions)
            .where(mock_sessions.c.user_key == user_key)
            .order_by(mock_sessions.c.id.desc())
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            return [_session(row) for row in await conn.execute(query)]


def _values(session: MockSession) -> dict[str, Any]:
    return {
        "user_key": session.user_key,
        "user_id": session.user_id,
        "destination": json.dumps(asdict(session.destination), sort_keys=True),
        "track": session.track,
        "question_ids": json.dumps(list(session.question_ids)),
        "position": session.position,
        "suggested": json.dumps(list(session.suggested)),
        "ratings": json.dumps(list(session.ratings)),
        "started_at": session.started_at,
        "updated_at": session.updated_at,
        "ended": session.ended,
    }


def _session(row: Any) -> MockSession:
    return MockSession(
        id=row.id,
        user_key=row.user_key,
        user_id=row.user_id,
        destination=Destination(**json.loads(row.destination)),
        track=row.track,
        question_ids=tuple(json.loads(row.question_ids)),
        position=row.position,
        suggested=tuple(json.loads(row.suggested)),
        ratings=tuple(json.loads(row.ratings)),
        started_at=row.started_at,
        updated_at=row.updated_at,
        ended=row.ended,
    )
