"""Selection under history: the next question for a channel with 100,000 past posts in the store.

Times `Rotation.next` (one transaction: read the scope's current cycle in one query, choose,
record) on SQLite and PostgreSQL, against the floor of one database round trip (`SELECT 1`)
measured alternately in the same run, and shows the query plans of the rotation's queries: the
draw's, and the daily fan-out's read of a chunk's channels (both must use the (scope, cycle) index).

Run: python -m benchmarks.selection [--picks 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, text

from benchmarks.common import fill_history, record, summary, synthetic_questions
from bot.content.bank import Filters, QuestionBank
from bot.schedule.selection import Rotation
from bot.store import SqlStore, open_store
from bot.store.rotation_sql import rotation_query, rotations_query
from bot.store.sql_store import sqlite_url
from bot.store.tables import asked
from tests.support.process_support import fresh_database

QUESTIONS = 1000
CHANNEL_HISTORY = 100_000
OTHER_HISTORY = 100_000
SCOPE = "channel:slack:T0TEAM:C0BENCH"


@asynccontextmanager
async def _store(kind: str) -> AsyncIterator[SqlStore]:
    if kind == "sqlite":
        store = await open_store(sqlite_url(Path(tempfile.mkdtemp(prefix="mlq-select-")) / "s.db"))
        yield store
        await store.close()
        return
    os.environ.setdefault("MLQ_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    async with fresh_database() as url:
        store = await open_store(url)
        yield store
        await store.close()


async def _plans(store: SqlStore) -> list[str]:
    """The plan of each rotation query, as the database explains it."""
    dialect = store.engine.dialect
    chunk = [SCOPE, *(f"channel:slack:T0TEAM:C{n:04d}" for n in range(9))]
    # The check a warm draw's INSERT makes: has anyone recorded a draw since?
    newer = select(asked.c.id).where(asked.c.scope == SCOPE, asked.c.cycle >= 100, asked.c.id > 200_000)
    queries = [rotation_query(SCOPE), newer.limit(1), rotations_query(chunk, dialect.name)]
    prefix = "EXPLAIN QUERY PLAN " if dialect.name == "sqlite" else "EXPLAIN "
    plans = []
    async with store.engine.connect() as conn:
        if dialect.name == "postgresql":
            await conn.execute(text("ANALYZE asked"))
        for query in queries:
            sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
            rows = (await conn.execute(text(prefix + sql))).all()
            plans.append(" / ".join(str(row[-1]) for row in rows))
    return plans


async def run(
    kind: str, picks: int
) -> tuple[dict[str, float], dict[str, float], dict[str, float], list[str]]:
    async with _store(kind) as store:
        await fill_history(store, CHANNEL_HISTORY, [SCOPE], QUESTIONS)
        await fill_history(
            store, OTHER_HISTORY, [f"channel:slack:T0TEAM:C{n:04d}" for n in range(100)], QUESTIONS
        )
        bank = QuestionBank(synthetic_questions(QUESTIONS))
        rotation = Rotation(bank, store, random.Random(5))
        now = datetime.now(UTC)
        warm, cold, floor = [], [], []
        for n in range(picks + 20):
            # Warm: this process drew for the channel before (one conditional INSERT). Cold: the
            # first draw in a process (read the current cycle, then INSERT).
            started = time.perf_counter()
            await rotation.next(SCOPE, Filters(), now)
            warm_pick = time.perf_counter() - started
            store.forget_rotations()
            started = time.perf_counter()
            await rotation.next(SCOPE, Filters(), now)
            cold_pick = time.perf_counter() - started
            started = time.perf_counter()
            await store.ping()
            round_trip = time.perf_counter() - started
            if n >= 20:
                warm.append(warm_pick)
                cold.append(cold_pick)
                floor.append(round_trip)
        plans = await _plans(store)
    return summary(warm), summary(cold), summary(floor), plans


async def main(picks: int) -> None:
    lines = [
        f"{picks} picks per store for a channel with {CHANNEL_HISTORY:,} past selections "
        f"({QUESTIONS:,}-question bank, so ~100 cycles) plus {OTHER_HISTORY:,} rows of other channels. "
        "Floor: one `SELECT 1` round trip, measured alternately. A warm pick is a channel this "
        "process drew for before (its rotation remembered, recorded by one conditional INSERT); a "
        "cold pick is the first in a process (one read of the current cycle, then the INSERT).",
        "",
        "| store | pick | p50 | p99 | round trip p50 | ratio p50 | ratio p99 |",
        "|---|---|---|---|---|---|---|",
    ]
    plan_lines = []
    for kind in ("sqlite", "postgres"):
        warm, cold, floor, plans = await run(kind, picks)
        for name, pick in (("warm", warm), ("cold", cold)):
            lines.append(
                f"| {kind} | {name} | {pick['p50'] * 1e3:.2f} ms | {pick['p99'] * 1e3:.2f} ms | "
                f"{floor['p50'] * 1e3:.2f} ms | {pick['p50'] / floor['p50']:.1f} | "
                f"{pick['p99'] / floor['p99']:.1f} |"
            )
        plan_lines += [
            f"- {kind}, a cold draw's read (current cycle and its ids): `{plans[0]}`",
            f"- {kind}, a warm draw's check for newer draws: `{plans[1]}`",
            f"- {kind}, a fan-out chunk's read (10 channels at once): `{plans[2]}`",
        ]
    record("Selection under history", [*lines, "", "Query plans:", "", *plan_lines])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--picks", type=int, default=1000)
    asyncio.run(main(parser.parse_args().picks))
