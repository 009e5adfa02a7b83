"""Shared fixtures: stores on SQLite and PostgreSQL, a fake clock, a small bank, a recording adapter."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import random
import socket
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.console.adapter import ConsoleAdapter
from bot.content.bank import Filters, QuestionBank
from bot.content.interpreters import InterpreterPool
from bot.content.questions import Question
from bot.content.rubric import KeyPoint, Misconception, Rubric
from bot.content.taxonomy import Difficulty, QuestionType
from bot.records import DEFAULT_OPTIONS, Subscription, SubscriptionOptions
from bot.schedule.clock import FakeClock
from bot.schedule.rules import RevealRule, Schedule
from bot.schedule.selection import Rotation
from bot.seam import Destination
from bot.service import PracticeService, ServiceConfig
from bot.store import SqlStore, open_store
from bot.store.sql_store import normalise_url, sqlite_url
from tests.support.fakes import RecordingAdapter

# Each adapter's fake platform servers and their fixtures live in their own module.
pytest_plugins = [
    "tests.support.log_scan",
    "tests.support.slack_support",
    "tests.support.slack_workspaces",
    "tests.support.discord_support",
    "tests.support.fake_llm",
    "tests.support.process_support",
]

POSTGRES_URL_VARIABLE = "MLQ_TEST_POSTGRES_URL"
PLATFORM_VARIABLES = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_SCOPES",
    "SLACK_REDIRECT_URI",
    "DISCORD_TOKEN",
    "DISCORD_APPLICATION_ID",
    "DATABASE_URL",
    "MLQ_DATABASE_URL",
)


@pytest.fixture(autouse=True)
def no_platform_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach a real platform or database by accident."""
    for name in PLATFORM_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def bank_cache_in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test writes the parsed-bank cache to the user's cache folder, or reads one left there."""
    monkeypatch.setenv("MLQ_BANK_CACHE_DIR", str(tmp_path / "bank-cache"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))  # a Monday


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqlStore]:
    """A migrated store: a fresh SQLite file, or a fresh schema in the test PostgreSQL."""
    if request.param == "sqlite":
        opened = await open_store(sqlite_url(tmp_path / "test.db"))
        yield opened
        await opened.close()
        return
    async with postgres_schema() as (url, connect_args):
        opened = await open_store(url, connect_args=connect_args)
        yield opened
        await opened.close()


def postgres_url() -> str:
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set")
    return normalise_url(url)


class postgres_schema:
    """Create an empty schema for one test and drop it afterwards."""

    def __init__(self) -> None:
        self.url = postgres_url()
        self.name = f"t_{uuid.uuid4().hex[:12]}"

    async def __aenter__(self) -> tuple[str, dict[str, object]]:
        engine = create_async_engine(self.url)
        async with engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{self.name}"'))
        await engine.dispose()
        return self.url, {"server_settings": {"search_path": self.name}}

    async def __aexit__(self, *exc: object) -> None:
        engine = create_async_engine(self.url)
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{self.name}" CASCADE'))
        await engine.dispose()


# Every test question carries this rubric, so answer feedback and mock interviews work on them:
# an answer "scale the features and fit the scaler on the training data only" covers two of three.
RUBRIC = Rubric(
    key_points=(
        KeyPoint(
            "Scale features for distance-based models", ("scale the features", "standardise the features")
        ),
        KeyPoint(
            "Fit the scaler on the training data only",
            ("fit the scaler on the training data", "fit it on the training split only"),
        ),
        KeyPoint(
            "Tree models do not need scaling", ("trees do not need scaling", "trees are scale invariant")
        ),
    ),
    misconceptions=(
        Misconception(
            "Scaling always improves accuracy",
            ("scaling always improves accuracy", "scaling always helps"),
            "It matters for distance- and gradient-based models; trees split the same either way.",
        ),
    ),
)


@pytest.fixture
def interpreter_pool() -> Iterator[InterpreterPool]:
    """A pool of warm interpreters of the test's own, closed after it."""
    pool = InterpreterPool()
    yield pool
    pool.close()


@pytest.fixture
def make_question() -> Callable[..., Question]:
    """Build an in-memory question; only what selection, rendering and answer feedback look at."""

    def build(qid: str, topic: str = "keras", difficulty: str = "easy", status: str = "reviewed") -> Question:
        return Question(
            id=qid,
            title=f"Title of {qid}",
            topic=topic,
            difficulty=Difficulty(difficulty),
            type=QuestionType.CONCEPT,
            status=status,
            sections={
                "Question": f"Question text of {qid}?",
                "Short answer": f"Short answer of {qid}.",
                "Answer": f"Answer of {qid}.",
                "Key points": "- one\n- two\n- three",
                "Common pitfalls": "- a pitfall",
                "Follow-ups": "- a follow-up",
            },
            path=f"content/questions/{topic}/{qid}.md",
            rubric=RUBRIC,
        )

    return build


@pytest.fixture
def bank(make_question: Callable[..., Question]) -> QuestionBank:
    """Nine questions over three topics and three difficulties."""
    topics = ("keras", "tensorflow", "scikit-learn")
    difficulties = ("easy", "medium", "hard")
    return QuestionBank(make_question(f"{t}-{d}", t, d) for t in topics for d in difficulties)


@pytest.fixture
def adapter() -> RecordingAdapter:
    return RecordingAdapter()


@pytest.fixture
def destination() -> Destination:
    return Destination("fake", "C1", "T1")


@pytest.fixture
def berlin_schedule() -> Schedule:
    return Schedule(
        time(9, 0),
        ZoneInfo("Europe/Berlin"),
        frozenset(range(5)),
        RevealRule(after=timedelta(hours=6)),
    )


Subscribe = Callable[..., Awaitable[Subscription]]


@pytest.fixture
def subscribe(
    store: SqlStore, destination: Destination, berlin_schedule: Schedule, clock: FakeClock
) -> Subscribe:
    """Subscribe a channel now: the fake one at 09:00 Berlin on weekdays unless told otherwise."""

    async def make(
        filters: Filters | None = None,
        options: SubscriptionOptions = DEFAULT_OPTIONS,
        *,
        where: Destination | None = None,
        schedule: Schedule | None = None,
    ) -> Subscription:
        return await store.save_subscription(
            where or destination, schedule or berlin_schedule, filters or Filters(), clock.now(), options
        )

    return make


@pytest.fixture
async def subscription(subscribe: Subscribe) -> Subscription:
    """The fake channel subscribed to 09:00 Berlin on weekdays, reveal 6 h later."""
    return await subscribe()


@pytest.fixture
def service_factory(
    bank: QuestionBank, store: SqlStore, clock: FakeClock, adapter: RecordingAdapter
) -> Callable[..., PracticeService]:
    """Build services sharing the store and clock, as separate processes would share a database."""

    def build(**overrides: object) -> PracticeService:
        config = ServiceConfig(default_zone=ZoneInfo("Europe/Berlin"))
        options: dict[str, object] = {
            "bank": bank,
            "store": store,
            "clock": clock,
            "adapters": {"fake": adapter},
            "config": config,
            "rotation": Rotation(bank, store, random.Random(7)),
        }
        options.update(overrides)
        return PracticeService(**options)  # type: ignore[arg-type]

    return build


@pytest.fixture
def service(service_factory: Callable[..., PracticeService]) -> PracticeService:
    return service_factory()


@pytest.fixture
def console(service: PracticeService) -> tuple[ConsoleAdapter, io.StringIO]:
    """A console on in-memory streams, 160 columns wide (so lines asserted whole are not wrapped)."""
    out = io.StringIO()
    adapter = ConsoleAdapter(service, io.StringIO(), out, ZoneInfo("Europe/Berlin"), width=lambda: 160)
    service.register_adapter(adapter)
    return adapter, out


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a text file below tmp_path and return its path."""

    def write(relative: str, content: str) -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        return path

    return write


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger back as it was (for tests that run `mlq run`, which configures logging)."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    root.setLevel(level)
    root.handlers[:] = handlers


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound once to pick it, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def damaged_sqlite(tmp_path: Path) -> Path:
    """An SQLite file whose header is fine but one of its b-tree pages is overwritten.

    It opens, and even takes writes, so only a check such as PRAGMA quick_check finds the damage.
    """
    path = tmp_path / "damaged.db"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE filler (x TEXT)")
        db.executemany("INSERT INTO filler VALUES (?)", [(f"row {i} " * 20,) for i in range(3000)])
        db.execute("CREATE INDEX filler_x ON filler (x)")
        db.commit()
    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    start = 5 * page_size + 8  # the cell pointers of page 6, a page of the table
    data[start : start + 192] = b"\xff" * 192
    path.write_bytes(bytes(data))
    return path


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures tests record as a "figures" property (counts of the replica and kill tests)."""
    lines = [
        f"{report.nodeid}: {value}"
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", ())
        if name == "figures"
    ]
    if lines:
        terminalreporter.section("figures")
        for line in lines:
            terminalreporter.write_line(line)


# The process tests run for minutes each (real `mlq` processes paced like Slack): started first, they
# run beside the rest instead of leaving one worker busy alone at the end.
FIRST = ("tests/processes/test_replicas.py", "tests/processes/test_kill.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(FIRST))  # stable: the rest keep their order


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """Two workers per core for `-n auto`: many tests wait on sockets, subprocesses and the clock."""
    return 2 * (os.cpu_count() or 1)
