"""Replicas that add up: 1, 2 and 3 real processes of the bot's scheduler split one daily fan-out
over a shared PostgreSQL.

Each replica runs its start-up catch-up (the work a wake-up does) over the same due subscriptions,
with an adapter whose sends each take a fixed time and never limit one another (the platform is not
the bottleneck). Reported per N: throughput and its ratio to one replica, due → last post, how the
posts split, duplicates and misses (counted in the database and by the adapters), and CPU; then a
profile of where the time goes (statement timings in the replicas, samples of pg_stat_activity, CPU
of the backends). Runs alternate the order of N and repeat.

Run: python -m benchmarks.replicas [--subscriptions 20000] [--latency 0.2] [--concurrency 20]
     [--replicas 1,2,3] [--repeats 3] [--history 10]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from benchmarks.common import fill_history, record, subscribe_due_now
from benchmarks.db_profile import ActivitySampler, machine_ticks
from benchmarks.replica_process import PLATFORM, replica
from benchmarks.replicas_report import report
from bot.store import open_store
from bot.store.sql_store import normalise_url

DATABASE = "mlq_replicas_bench"
WORKSPACE = "TBENCH"


@asynccontextmanager
async def bench_database() -> AsyncIterator[str]:
    """Create the benchmark's own database (dropping a leftover one); yield its URL; drop it."""
    admin_url = normalise_url(
        os.environ.get("MLQ_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    drop = text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    async with admin.connect() as conn:
        await conn.execute(drop)
        await conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + DATABASE
    finally:
        async with admin.connect() as conn:
            await conn.execute(drop)
        await admin.dispose()


# Past days' posts, sent and revealed, as a deployment `history` days old has them: the claims and
# the reads of a fan-out work on a table that is not empty (and the planner's statistics say so).
PAST_POSTS = text(
    "INSERT INTO posts (subscription_id, local_date, scheduled_at, reveal_due_at, status, question_id, "
    "thread_ref, posted_at) "
    "SELECT s.id, current_date - d, now() - make_interval(days => d), "
    "now() - make_interval(days => d) + interval '6 hours', 'sent', 'synthetic-00001', "
    "json_build_object('destination', json_build_object('platform', s.platform, "
    "'channel_id', s.channel_id, 'workspace_id', s.workspace_id), 'message_id', 'm' || s.id, "
    "'thread_id', NULL)::text, now() - make_interval(days => d) "
    "FROM subscriptions s CROSS JOIN generate_series(1, :days) AS d ORDER BY d DESC, s.id"
)
PAST_REVEALS = text(
    "INSERT INTO reveals (post_id, status, revealed_at) SELECT id, 'sent', posted_at FROM posts"
)


@dataclass(frozen=True)
class History:
    """The last rows that were there before the runs: anything after them is a run's own."""

    post_id: int
    asked_id: int


async def prepare(url: str, count: int, days: int) -> History:
    """Migrate, subscribe `count` channels due now, and give each `days` days of history."""
    store = await open_store(url)
    try:
        await subscribe_due_now(store, count, WORKSPACE)
        scopes = [f"channel:{PLATFORM}:{WORKSPACE}:C{n:06d}" for n in range(count)]
        await fill_history(store, count * days, scopes, 1000)
        async with store.engine.begin() as conn:
            if days:
                await conn.execute(PAST_POSTS, {"days": days})
                await conn.execute(PAST_REVEALS)
            last = text(
                "SELECT (SELECT coalesce(max(id), 0) FROM posts), (SELECT coalesce(max(id), 0) FROM asked)"
            )
            post_id, asked_id = (await conn.execute(last)).one()
        return History(int(post_id), int(asked_id))
    finally:
        await store.close()


async def reset(engine: AsyncEngine, history: History) -> None:
    """Undo a run (its posts, reveals and draws); fresh statistics for the planner."""
    async with engine.connect() as conn:
        await conn.execute(text("DELETE FROM posts WHERE id > :last"), {"last": history.post_id})
        await conn.execute(text("DELETE FROM asked WHERE id > :last"), {"last": history.asked_id})
        await conn.execute(text("VACUUM ANALYZE posts, reveals, asked"))


async def run_once(
    url: str,
    engine: AsyncEngine,
    replicas: int,
    args: argparse.Namespace,
    history: History,
    seed: int,
) -> dict[str, Any]:
    """Start `replicas` processes, let them get ready, start them at once; check the outcome."""
    spawn = multiprocessing.get_context("spawn")
    go = spawn.Event()
    pipes, processes = [], []
    for index in range(replicas):
        parent, child = spawn.Pipe()
        # With --cprofile, the first replica of the largest N is profiled (the file is overwritten).
        cprofile = args.cprofile if args.cprofile and index == 0 and replicas == args.top else ""
        process = spawn.Process(
            target=replica,
            args=(url, args.latency, args.concurrency, seed * 10 + index, child, go, cprofile),
            daemon=True,
        )
        process.start()
        pipes.append(parent)
        processes.append(process)
    for pipe in pipes:
        if await asyncio.to_thread(pipe.recv) != "ready":
            raise RuntimeError("a replica failed to start")
    sampler = ActivitySampler(engine, DATABASE)
    stop = asyncio.Event()
    sampling = asyncio.create_task(sampler.run(stop))
    busy_before, total_before = machine_ticks()
    load_before = os.getloadavg()[0]
    go_at = time.time()
    go.set()
    results = [await asyncio.to_thread(pipe.recv) for pipe in pipes]
    busy_after, total_after = machine_ticks()
    load = (load_before + os.getloadavg()[0]) / 2
    stop.set()
    await sampling
    for process in processes:
        await asyncio.to_thread(process.join, 30)
    outcome = await check(engine, results, history)
    sent_at = [at for r in results for at in r["sent_at"]]
    last = max(sent_at) - go_at
    return outcome | {
        "replicas": replicas,
        "last_post_s": last,
        "first_post_s": min(sent_at) - go_at,
        "load": load,
        "throughput": len(sent_at) / last,
        "split": [len(r["keys"]) for r in results],
        "replica_cpu_s": sum(r["cpu_s"] for r in results),
        "replica_wall_s": sum(r["finished"] - r["started"] for r in results),
        "backend_cpu_s": sampler.backend_cpu(),
        "machine_busy": (busy_after - busy_before) / max(1, total_after - total_before),
        "statement_s": sum((Counter(r["statement_s"]) for r in results), Counter()),
        "statement_calls": sum((Counter(r["statement_calls"]) for r in results), Counter()),
        "activity": sampler.busy_backends(),
    }


async def check(engine: AsyncEngine, results: list[dict[str, Any]], history: History) -> dict[str, Any]:
    """Compare what the adapters were sent with what the database recorded."""
    keys = Counter(key for r in results for key in r["keys"])
    async with engine.connect() as conn:
        by_status = await conn.execute(
            text("SELECT status, count(*) AS n FROM posts WHERE id > :last GROUP BY status"),
            {"last": history.post_id},
        )
        statuses = {str(row.status): int(row.n) for row in by_status}
        sent = {
            f"mlq-post-{row.id}"
            for row in await conn.execute(
                text("SELECT id FROM posts WHERE status = 'sent' AND id > :last"), {"last": history.post_id}
            )
        }
        channels = (await conn.execute(text("SELECT count(*) FROM subscriptions"))).scalar_one()
        draws = (
            await conn.execute(
                text("SELECT count(*) FROM asked WHERE id > :last"), {"last": history.asked_id}
            )
        ).scalar_one()
    return {
        "subscriptions": channels,
        "statuses": statuses,
        "duplicates": sum(n - 1 for n in keys.values()),
        "missed": channels - len(sent & set(keys)),
        "unrecorded": len(set(keys) - sent),
        "draws": draws,
    }


async def main(args: argparse.Namespace) -> None:
    counts = [int(n) for n in args.replicas.split(",")]
    args.top = max(counts)
    runs: list[dict[str, Any]] = []
    async with bench_database() as url:
        history = await prepare(url, args.subscriptions, args.history)
        engine = create_async_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
        try:
            await reset(engine, history)
            for repeat in range(args.repeats):
                for n in counts if repeat % 2 == 0 else counts[::-1]:
                    run = await run_once(url, engine, n, args, history, repeat)
                    print(
                        f"N={n}: {run['throughput']:.0f} posts/s, last post {run['last_post_s']:.1f} s, "
                        f"split {run['split']}, duplicates {run['duplicates']}, missed {run['missed']}, "
                        f"statuses {run['statuses']}, draws {run['draws']}",
                        flush=True,
                    )
                    runs.append(run)
                    await reset(engine, history)
        finally:
            await engine.dispose()
    record("Replicas that add up", report(runs, args))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=20_000)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per send")
    parser.add_argument("--concurrency", type=int, default=20, help="sends at a time per replica")
    parser.add_argument("--replicas", default="1,2,3")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--history", type=int, default=10, help="days of past posts per channel")
    parser.add_argument(
        "--cprofile", default="", help="write a cProfile of one replica at the largest N here"
    )
    asyncio.run(main(parser.parse_args()))
