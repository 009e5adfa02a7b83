"""Where the time of a multi-process fan-out goes in PostgreSQL: client-side statement timings,
server-side samples of pg_stat_activity, and CPU seconds read from /proc.

pg_stat_statements needs `shared_preload_libraries` (a server restart), which a shared server may not
allow; these three need nothing but the connection and a local server.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

# Statement kinds by the start of their SQL (whitespace collapsed), in the words of the store's
# methods, so a profile names the query rather than its text.
KINDS: tuple[tuple[str, str], ...] = (
    (r"^INSERT INTO posts ", "claim_posts: INSERT posts … ON CONFLICT DO NOTHING"),
    (r"^UPDATE posts SET status=[^=]*lease_until=[^=]*claimed_by=", "claim_posts: take-over UPDATE posts"),
    (r"^INSERT INTO asked ", "record_draws: INSERT asked"),
    (r"^UPDATE posts SET question_id=", "record_draws: UPDATE posts.question_id"),
    (r"^UPDATE posts SET .*thread_ref=", "mark_posts_sent: UPDATE posts"),
    (r"^SELECT posts\.id, .* FROM posts WHERE posts\.id IN", "mark_posts_sent: read back"),
    (r"string_agg", "rotations: read the chunk's cycles"),
    (r"FROM subscriptions", "list_subscriptions"),
    (r"^SELECT posts\.subscription_id, posts\.local_date FROM posts", "post_keys"),
    (r"LEFT OUTER JOIN reveals", "posts_awaiting_reveal / reveal_times"),
    (r"^COMMIT", "COMMIT"),
    (r"^BEGIN", "BEGIN (then the client's next statement)"),
    (r"^ROLLBACK", "ROLLBACK (the end of a read)"),
    (r"^;$", "pool pre-ping (;)"),
)
_COMPILED = tuple((re.compile(pattern, re.DOTALL), name) for pattern, name in KINDS)


def statement_kind(sql: str) -> str:
    """The store method a statement comes from, or its first 50 characters."""
    flat = " ".join(sql.split())
    for pattern, name in _COMPILED:
        if pattern.search(flat):
            return name
    return flat[:50] or "(idle)"


@dataclass
class StatementTimer:
    """Sums, per statement kind, the wall time a process spends waiting for its statements (lock
    waits included, and any time the event loop was busy elsewhere before it read the result)."""

    seconds: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)

    def attach(self, engine: AsyncEngine) -> None:
        sync = engine.sync_engine

        @event.listens_for(sync, "before_cursor_execute")
        def started(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            conn.info.setdefault("mlq_started", []).append(time.perf_counter())

        @event.listens_for(sync, "after_cursor_execute")
        def finished(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            begun = conn.info["mlq_started"].pop()
            kind = statement_kind(statement)
            self.seconds[kind] += time.perf_counter() - begun
            self.calls[kind] += 1


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a local process so far (None once it has gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


@dataclass
class ActivitySampler:
    """Samples pg_stat_activity of one database every `interval` seconds: what each backend is
    doing (running, waiting on a lock, on I/O, or idle) and in which statement kind; and the CPU
    seconds of those backends (read from /proc, so the server must be on this machine)."""

    engine: AsyncEngine
    database: str
    interval: float = 0.02
    samples: Counter[tuple[str, str]] = field(default_factory=Counter)
    rounds: int = 0
    _cpu_first: dict[int, float] = field(default_factory=dict)
    _cpu_last: dict[int, float] = field(default_factory=dict)

    QUERY = text(
        "SELECT pid, state, wait_event_type, wait_event, query FROM pg_stat_activity "
        "WHERE datname = :db AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
    )

    async def run(self, stop: asyncio.Event) -> None:
        async with self.engine.connect() as conn:
            while not stop.is_set():
                rows = (await conn.execute(self.QUERY, {"db": self.database})).all()
                await conn.rollback()  # each sample sees a fresh snapshot
                self.rounds += 1
                for row in rows:
                    self.samples[(self._what(row), statement_kind(row.query or ""))] += 1
                    used = cpu_seconds(row.pid)
                    if used is not None:
                        self._cpu_first.setdefault(row.pid, used)
                        self._cpu_last[row.pid] = used
                await asyncio.sleep(self.interval)

    @staticmethod
    def _what(row: Any) -> str:
        if row.state != "active":
            return "idle in transaction" if row.state and "transaction" in row.state else "idle"
        if row.wait_event_type is None:
            return "running"
        return f"waiting: {row.wait_event_type}/{row.wait_event}"

    def backend_cpu(self) -> float:
        """CPU seconds the sampled backends used between their first and last sample."""
        return sum(self._cpu_last[pid] - first for pid, first in self._cpu_first.items())

    def busy_backends(self) -> Counter[tuple[str, str]]:
        """Average number of backends in each (activity, statement kind) that was not idle."""
        return Counter(
            {key: count / max(1, self.rounds) for key, count in self.samples.items() if key[0] != "idle"}
        )
