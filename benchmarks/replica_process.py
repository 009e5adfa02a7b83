"""One replica of the replicas benchmark: a real OS process running the bot's scheduler over a
shared PostgreSQL, with a platform adapter whose every send takes a fixed time.

The adapter stands for a platform that is not the bottleneck: no rate limit, any number of sends at
once, each answered after `latency`. So one replica's throughput is bounded by its own send
concurrency and its own work (Python and the database), which is what replicas should add up.
"""

from __future__ import annotations

import asyncio
import cProfile
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.common import synthetic_questions
from benchmarks.db_profile import StatementTimer
from bot.content.bank import QuestionBank
from bot.messages import AnswerCard, Notice, QuestionCard
from bot.schedule.clock import SystemClock
from bot.schedule.scheduler import PracticeScheduler
from bot.schedule.selection import Rotation
from bot.seam import Delivery, Destination, ThreadRef
from bot.service import PracticeService, ServiceConfig
from bot.store import open_store

PLATFORM = "slack"  # the subscriptions' platform; nothing Slack-specific is used


@dataclass
class FixedLatencyAdapter:
    """A platform that answers every send after `latency` seconds, with no limit on concurrency;
    records each question's delivery key and the wall-clock time it was accepted."""

    latency: float
    platform: str = PLATFORM
    sole_handler: bool = False
    keys: list[str] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)

    def limit_key(self, destination: Destination) -> str:
        # One budget: each replica keeps `send_concurrency` sends in flight, as when it was measured.
        return self.platform

    async def post_question(
        self, destination: Destination, card: QuestionCard, delivery: Delivery | None = None
    ) -> ThreadRef:
        await asyncio.sleep(self.latency)
        self.keys.append(delivery.key if delivery else "")
        self.sent_at.append(time.time())  # wall clock: compared across processes
        return ThreadRef(destination, f"m{len(self.keys)}")

    async def post_answer(
        self, thread: ThreadRef, card: AnswerCard, delivery: Delivery | None = None
    ) -> None:
        await asyncio.sleep(self.latency)

    async def mark_revealed(self, thread: ThreadRef, card: QuestionCard) -> None:
        await asyncio.sleep(self.latency)

    async def post_notice(
        self, destination: Destination, notice: Notice, thread: ThreadRef | None = None
    ) -> None:
        await asyncio.sleep(self.latency)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def connected(self) -> bool:
        return True


def replica(
    url: str, latency: float, concurrency: int, seed: int, pipe: Connection, go: Event, cprofile: str = ""
) -> None:
    """Process entry point: get ready, tell the parent, wait for `go`, run the scheduler's start-up
    catch-up (what a wake-up runs), and send back what was sent, when, and where the time went.
    With `cprofile`, the whole process's Python time is profiled into that file (pstats format)."""
    profiler = cProfile.Profile() if cprofile else None
    if profiler:
        profiler.enable()
    result = asyncio.run(_replica(url, latency, concurrency, seed, pipe, go))
    if profiler:
        profiler.disable()
        profiler.dump_stats(cprofile)
    pipe.send(result)


async def _replica(
    url: str, latency: float, concurrency: int, seed: int, pipe: Connection, go: Event
) -> dict[str, Any]:
    store = await open_store(url, migrate=False)
    timer = StatementTimer()
    timer.attach(store.engine)
    bank = QuestionBank(synthetic_questions(1000))
    config = ServiceConfig(ZoneInfo("UTC"), send_concurrency=concurrency)
    service = PracticeService(
        bank, store, SystemClock(), {}, config, Rotation(bank, store, random.Random(seed))
    )
    adapter = FixedLatencyAdapter(latency)
    service.register_adapter(adapter)
    # No periodic reconcile inside a run: the start-up catch-up is the fan-out measured.
    scheduler = PracticeScheduler(service, reconcile_every=timedelta(hours=1))
    pipe.send("ready")
    await asyncio.to_thread(go.wait)
    started, cpu_started = time.time(), time.process_time()
    await scheduler.start()
    finished, cpu_used = time.time(), time.process_time() - cpu_started
    await scheduler.stop()
    await store.close()
    return {
        "owner": service.owner,
        "keys": adapter.keys,
        "sent_at": adapter.sent_at,
        "started": started,
        "finished": finished,
        "cpu_s": cpu_used,
        "statement_s": dict(timer.seconds),
        "statement_calls": dict(timer.calls),
    }
