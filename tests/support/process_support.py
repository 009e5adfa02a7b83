"""Real `mlq run` processes against a fresh PostgreSQL database and the fake Slack Web API.

Used by the multi-replica and kill tests: the database is created per test and dropped after; the
processes run the Slack adapter in HTTP mode on their own ports; the fake records every message
with its delivery key (message metadata), so duplicates and gaps can be counted exactly.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.content.bank import Filters
from bot.schedule.rules import RevealRule, Schedule
from bot.seam import Destination
from bot.store import open_store
from tests.conftest import postgres_url
from tests.support.log_scan import SCAN
from tests.support.paths import ROOT
from tests.support.slack_support import BOT_TOKEN, SIGNING_SECRET, TEAM, FakeSlack


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """Create an empty PostgreSQL database for one test; yield its URL; drop it afterwards."""
    admin_url = postgres_url()
    name = f"mlq_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def subscribe_due_now(url: str, count: int, reveal_after: timedelta) -> list[str]:
    """Subscribe `count` Slack channels to a daily question due this very minute (UTC)."""
    now = datetime.now(UTC)
    schedule = Schedule(
        now.time().replace(second=0, microsecond=0),
        ZoneInfo("UTC"),
        frozenset(range(7)),
        RevealRule(after=reveal_after),
    )
    store = await open_store(url)
    channels = [f"C{index:05d}" for index in range(count)]
    try:
        for channel in channels:
            # Subscribed a while ago, so this minute's slot counts as due.
            await store.save_subscription(
                Destination("slack", channel, TEAM), schedule, Filters(), now - timedelta(hours=1)
            )
    finally:
        await store.close()
    return channels


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGKILL)

    async def terminate(self, timeout: float = 20) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), timeout)

    def log(self) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        SCAN.scan(text, f"mlq process log {self.log_path.name}")
        return text


STARTED: list[BotProcess] = []


@pytest.fixture(autouse=True)
def no_bot_outlives_its_test() -> Iterator[None]:
    """Kill any `mlq` process a test started and left running (e.g. after a failed assertion)."""
    yield
    while STARTED:
        STARTED.pop().kill()


async def start_bot(url: str, fake: FakeSlack, log_dir: Path, **env: str) -> BotProcess:
    """Start `mlq run` with Slack in HTTP mode on a free port; its output goes to a log file."""
    log_path = log_dir / f"mlq-{uuid.uuid4().hex[:6]}.log"
    variables = {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "MLQ_SLACK_HOST": "127.0.0.1",
        "MLQ_SLACK_PORT": str(free_port()),
        "MLQ_RECONCILE_SECONDS": "5",
        "MLQ_LOG_LEVEL": "INFO",
        **env,
    }
    with log_path.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT, env=variables, stdout=sink, stderr=sink
        )
    bot = BotProcess(process, log_path)
    STARTED.append(bot)
    return bot


def delivered_keys(fake: FakeSlack) -> Counter[str]:
    """How many times each delivery key reached the platform (every message, every channel)."""
    keys: Counter[str] = Counter()
    for messages in fake.messages.values():
        for message in messages:
            metadata: dict[str, Any] = message.get("metadata") or {}
            key = (metadata.get("event_payload") or {}).get("key")
            if key:
                keys[str(key)] += 1
    return keys


def channels_with(fake: FakeSlack, kind: str) -> Counter[str]:
    """Per channel, how many questions (kind "post") or answer parts (kind "reveal") arrived."""
    counts: Counter[str] = Counter()
    for channel, messages in fake.messages.items():
        for message in messages:
            key = str(((message.get("metadata") or {}).get("event_payload") or {}).get("key", ""))
            if key.startswith(f"mlq-{kind}-"):
                counts[channel] += 1
    return counts
