"""Rotation queries on the SQL store (mixed into SqlStore): what each scope was asked in its current
cycle, on-demand draws recorded on condition, and the fan-out's batched reads."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Collection
from datetime import datetime
from sys import intern
from typing import Any

from sqlalchemy import Integer, Select, String, and_, bindparam, exists, func, insert, null, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.store.protocol import Chooser
from bot.store.tables import UTCDateTime, asked

log = logging.getLogger(__name__)

# Built once: the draw is on the path of every on-demand command.
_CURRENT_CYCLE = select(func.max(asked.c.cycle)).where(asked.c.scope == bindparam("scope_")).scalar_subquery()
_ROTATION = (
    select(asked.c.cycle, asked.c.question_id, asked.c.id)
    .where(asked.c.scope == bindparam("scope"), asked.c.cycle == _CURRENT_CYCLE)
    .order_by(asked.c.id)
)
_ASK = insert(asked).returning(asked.c.id)
# Records a draw only if the scope has no row newer than the state it was drawn from.
_ASK_IF_CURRENT = (
    insert(asked)
    .from_select(
        ["scope", "question_id", "cycle", "asked_at"],
        select(
            bindparam("scope", type_=String),
            bindparam("question_id", type_=String),
            bindparam("cycle", type_=Integer),
            bindparam("asked_at", type_=UTCDateTime),
        ).where(
            ~exists().where(
                asked.c.scope == bindparam("scope_"),
                asked.c.cycle >= bindparam("seen_cycle"),
                asked.c.id > bindparam("seen_id"),
            )
        ),
    )
    .returning(asked.c.id)
)
# Scopes whose rotation a store remembers between draws (a few kB each).
REMEMBERED_SCOPES = 256


def rotation_query(scope: str) -> Select[tuple[int, str, int]]:
    """The scope's current cycle and the ids asked in it, oldest first: one query on the index."""
    return _ROTATION.params(scope=scope, scope_=scope)


def rotations_query(scopes: Collection[str], dialect: str) -> Select[Any]:
    """`rotation_query` for many scopes in one row each: (scope, cycle, ids, last).

    `ids` are the ids asked in the scope's current cycle joined by commas (question ids never hold
    one), so a chunk of channels with long histories costs one short row per channel rather than
    a row per past question. PostgreSQL joins them oldest first; SQLite (before 3.44) cannot order
    an aggregate, so it also returns the id asked last (`last`, from the row with the highest id).
    """
    names = list(scopes)
    current = (
        select(asked.c.scope, func.max(asked.c.cycle).label("cycle"))
        .where(asked.c.scope.in_(names))
        .group_by(asked.c.scope)
        .subquery()
    )
    in_current = and_(asked.c.scope == current.c.scope, asked.c.cycle == current.c.cycle)
    if dialect == "postgresql":
        ids = func.string_agg(asked.c.question_id, ",").aggregate_order_by(asked.c.id)
        return (
            select(asked.c.scope, asked.c.cycle, ids.label("ids"), null().label("last"))
            .join(current, in_current)
            .where(asked.c.scope.in_(names))  # lets the planner use the index on both sides
            .group_by(asked.c.scope, asked.c.cycle)
        )
    rows = (
        select(asked.c.scope, asked.c.cycle, asked.c.question_id, asked.c.id)
        .join(current, in_current)
        .where(asked.c.scope.in_(names))
        .order_by(asked.c.scope, asked.c.id)
        .subquery()
    )
    # With exactly one max(), SQLite takes the bare question_id from the row holding the maximum.
    return select(
        rows.c.scope,
        rows.c.cycle,
        func.group_concat(rows.c.question_id, ",").label("ids"),
        func.max(rows.c.id),
        rows.c.question_id.label("last"),
    ).group_by(rows.c.scope, rows.c.cycle)


def _asked_after(cycle: int, ids: list[str], question_id: str, chosen: int) -> list[str]:
    """The ids asked in the current cycle once `question_id` is picked for cycle `chosen`."""
    return [intern(question_id)] if chosen != cycle else [*ids, intern(question_id)]


async def _rotation(conn: AsyncConnection, scope: str) -> tuple[int, list[str], int]:
    """The scope's current cycle, the ids asked in it (oldest first) and the highest row id."""
    rows = (await conn.execute(_ROTATION, {"scope": scope, "scope_": scope})).all()
    if not rows:
        return 1, [], 0
    return int(rows[0].cycle), [intern(row.question_id) for row in rows], int(rows[-1].id)


class RotationQueries:
    engine: AsyncEngine
    # Rotations this store read or wrote: scope -> (cycle, ids asked in it, highest row id).
    _rotations: OrderedDict[str, tuple[int, list[str], int]]
    # Picks made with `record_later` still being written: all of them, and the last per scope.
    _pending: set[asyncio.Task[None]]
    _recording: dict[str, asyncio.Task[None]]

    def forget_rotations(self) -> None:
        """Drop the remembered rotations: the next draw of every scope reads it first."""
        self._rotations.clear()

    async def rotation(self, scope: str) -> tuple[int, list[str]]:
        async with self.engine.connect() as conn:
            cycle, ids, _ = await _rotation(conn, scope)
        return cycle, ids

    async def rotations(self, scopes: Collection[str]) -> dict[str, tuple[int, list[str]]]:
        found: dict[str, tuple[int, list[str]]] = {scope: (1, []) for scope in scopes}
        if not found:
            return found
        async with self.engine.connect() as conn:
            rows = (await conn.execute(rotations_query(found, self.engine.dialect.name))).all()
        for row in rows:
            ids = row.ids.split(",")
            if row.last is not None and ids[-1] != row.last:
                ids.remove(row.last)
                ids.append(row.last)
            found[row.scope] = int(row.cycle), ids
        return found

    async def draw(self, scope: str, now: datetime, choose: Chooser, record_later: bool = False) -> None:
        if record_later:
            await self._draw_now_record_later(scope, now, choose)
            return
        # A scope drawn from before (by this store) is drawn from what it remembers, and recorded
        # on condition that no other process has drawn for it since: one statement. Otherwise (or
        # if the condition fails) it is read, drawn and recorded: two statements.
        known = self._rotations.pop(scope, None)  # forgotten if anything below fails
        async with self.engine.begin() as conn:
            row_id = None
            if known is not None:
                cycle, ids, seen = known
                question_id, chosen = choose(cycle, ids)
                values = {"scope": scope, "question_id": question_id, "cycle": chosen, "asked_at": now}
                condition = {"scope_": scope, "seen_cycle": cycle, "seen_id": seen}
                row_id = (await conn.execute(_ASK_IF_CURRENT, values | condition)).scalar()
            if row_id is None:
                cycle, ids, _ = await _rotation(conn, scope)
                question_id, chosen = choose(cycle, ids)
                values = {"scope": scope, "question_id": question_id, "cycle": chosen, "asked_at": now}
                row_id = (await conn.execute(_ASK, values)).scalar_one()
        self._remember(scope, (chosen, _asked_after(cycle, ids, question_id, chosen), row_id))

    async def _draw_now_record_later(self, scope: str, now: datetime, choose: Chooser) -> None:
        # Picked from what this store remembers (or one read) and remembered at once, so the next
        # draw here sees it; written in the background, one scope's writes in order, each on the
        # same condition as above. If another process drew meanwhile, the pick is written anyway
        # and the scope read afresh next time.
        known = self._rotations.pop(scope, None)
        previous = self._recording.get(scope)
        if known is None:
            if previous is not None:
                await asyncio.wait([previous])  # read after this store's own last pick is written
            async with self.engine.connect() as conn:
                known = await _rotation(conn, scope)
        cycle, ids, seen = known
        question_id, chosen = choose(cycle, ids)
        self._remember(scope, (chosen, _asked_after(cycle, ids, question_id, chosen), seen))
        task = asyncio.create_task(self._write_pick(scope, question_id, chosen, now, cycle, previous))
        self._recording[scope] = task
        self._pending.add(task)
        task.add_done_callback(lambda done: self._written(scope, done))

    async def _write_pick(
        self,
        scope: str,
        question_id: str,
        chosen: int,
        now: datetime,
        seen_cycle: int,
        previous: asyncio.Task[None] | None,
    ) -> None:
        if previous is not None:
            await asyncio.wait([previous])  # its failure is its own (logged there)
        values = {"scope": scope, "question_id": question_id, "cycle": chosen, "asked_at": now}
        try:
            known = self._rotations.get(scope)
            async with self.engine.begin() as conn:
                row_id = None
                if known is not None:
                    condition = {"scope_": scope, "seen_cycle": seen_cycle, "seen_id": known[2]}
                    row_id = (await conn.execute(_ASK_IF_CURRENT, values | condition)).scalar()
                if row_id is None:
                    await conn.execute(_ASK, values)
                    self._rotations.pop(scope, None)
                elif (current := self._rotations.get(scope)) is not None:
                    self._rotations[scope] = current[0], current[1], row_id
        except Exception:
            self._rotations.pop(scope, None)
            log.exception("could not write the on-demand pick %s of %s", question_id, scope)

    def _written(self, scope: str, task: asyncio.Task[None]) -> None:
        self._pending.discard(task)
        if self._recording.get(scope) is task:
            del self._recording[scope]

    def _remember(self, scope: str, state: tuple[int, list[str], int]) -> None:
        self._rotations[scope] = state
        if len(self._rotations) > REMEMBERED_SCOPES:
            self._rotations.popitem(last=False)

    async def settle(self) -> None:
        while self._pending:
            await asyncio.wait(list(self._pending))

    async def record_asked(self, scope: str, question_id: str, cycle: int, now: datetime) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(asked).values(scope=scope, question_id=question_id, cycle=cycle, asked_at=now)
            )
