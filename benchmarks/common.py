"""Shared pieces of the benchmarks: synthetic banks and history, percentiles, the results file.

Every benchmark measures its baseline in the same run and reports ratios, because this machine is
shared and its absolute speed varies from run to run.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import os
import platform
import random
import statistics
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import insert

from bot.content.questions import Question
from bot.content.taxonomy import TOPICS, Difficulty, QuestionType
from bot.store import SqlStore
from bot.store.tables import asked, subscriptions

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
DIFFICULTIES = tuple(Difficulty)

QUESTION_FILE = """---
id: {id}
title: Synthetic question {n}
topic: {topic}
difficulty: {difficulty}
type: concept
tags: [synthetic]
references:
  - title: Keras API
    url: https://keras.io/api/
author: writer-bench
status: draft
---

## Question

Synthetic question number {n}: why would you scale features before fitting a linear model?

## Short answer

Because the penalty and the optimiser treat every coefficient alike.

## Answer

{answer}

## Key points

- one
- two
- three

## Common pitfalls

- fitting the scaler on the test set

## Follow-ups

- What changes for tree models?
"""


def write_bank(folder: Path, count: int) -> Path:
    """Write `count` valid question files spread over every topic; return the bank's root."""
    answer = " ".join(["word"] * 120)
    for n in range(count):
        topic = TOPICS[n % len(TOPICS)].slug
        path = folder / topic / f"synthetic-{n:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = QUESTION_FILE.format(
            id=f"synthetic-{n:05d}", n=n, topic=topic, difficulty=DIFFICULTIES[n % 3].value, answer=answer
        )
        path.write_text(text, encoding="utf-8")
    return folder


def synthetic_questions(count: int) -> list[Question]:
    """In-memory questions, for benchmarks that don't measure loading."""
    return [
        Question(
            id=f"synthetic-{n:05d}",
            title=f"Synthetic question {n}",
            topic=TOPICS[n % len(TOPICS)].slug,
            difficulty=DIFFICULTIES[n % 3],
            type=QuestionType.CONCEPT,
            status="reviewed",
            sections={
                "Question": f"Synthetic question {n}: why scale features?",
                "Short answer": "Penalties treat coefficients alike.",
                "Answer": "Because " + "word " * 100,
                "Key points": "- one\n- two\n- three",
                "Common pitfalls": "- leakage",
                "Follow-ups": "- trees?",
            },
            path=f"synthetic/{n}.md",
        )
        for n in range(count)
    ]


async def fill_history(store: SqlStore, rows: int, scopes: Sequence[str], question_count: int) -> None:
    """Insert `rows` past selections spread over the scopes (as months of daily posts would leave)."""
    rng = random.Random(7)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    batch: list[dict[str, object]] = []
    async with store.engine.begin() as conn:
        for n in range(rows):
            scope = scopes[n % len(scopes)]
            per_scope = n // len(scopes)
            batch.append(
                {
                    "scope": scope,
                    "question_id": f"synthetic-{rng.randrange(question_count):05d}",
                    "cycle": 1 + per_scope // question_count,
                    "asked_at": start + timedelta(minutes=n),
                }
            )
            if len(batch) == 5000:
                await conn.execute(insert(asked), batch)
                batch = []
        if batch:
            await conn.execute(insert(asked), batch)


async def subscribe_due_now(store: SqlStore, count: int, workspace: str) -> None:
    """Subscribe `count` Slack channels (C000000, C000001…) of a workspace to a daily question due
    this minute (UTC), subscribed an hour ago so this minute's slot counts as due."""
    now = datetime.now(UTC)
    row = {
        "platform": "slack",
        "workspace_id": workspace,
        "post_time": now.strftime("%H:%M"),
        "timezone": "UTC",
        "days": "0,1,2,3,4,5,6",
        "reveal_after_seconds": 6 * 3600,
        "reveal_at": None,
        "topics": "",
        "difficulties": "",
        "paused": False,
        "created_at": now - timedelta(hours=1),
        "updated_at": now - timedelta(hours=1),
    }
    async with store.engine.begin() as conn:
        for start in range(0, count, 2000):
            rows = [row | {"channel_id": f"C{n:06d}"} for n in range(start, min(count, start + 2000))]
            await conn.execute(insert(subscriptions), rows)


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The sample at `fraction` (0..1) of the sorted samples (nearest rank)."""
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def summary(samples: Sequence[float]) -> dict[str, float]:
    return {
        "p50": percentile(samples, 0.50),
        "p99": percentile(samples, 0.99),
        "mean": statistics.fmean(samples),
    }


def machine() -> str:
    versions = ", ".join(
        f"{name} {importlib.metadata.version(name)}"
        for name in ("slack-bolt", "slack-sdk", "discord.py", "aiohttp", "SQLAlchemy", "APScheduler")
    )
    return (
        f"{os.cpu_count()} CPUs ({platform.machine()}), Python {sys.version.split()[0]}, "
        f"{platform.system()} {platform.release()}; {versions}"
    )


def record(section: str, lines: Sequence[str]) -> None:
    """Replace (or add) one benchmark's section in RESULTS.md and print it."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [f"## {section}", "", f"Run {stamp} on {machine()}.", "", *lines, ""]
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n\n"
    begin, end = f"<!-- {section}: begin -->", f"<!-- {section}: end -->"
    block = "\n".join([begin, *body, end])
    if begin in text:
        before, rest = text.split(begin, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS.write_text(text, encoding="utf-8")
    print("\n".join(body))


def publish(section: str, lines: Sequence[str], *, keep: bool) -> None:
    """Record the section in RESULTS.md (and print it); with `keep` false (`--no-record`) only print it."""
    if keep:
        record(section, lines)
    else:
        print("\n".join(lines))


async def serve_control(stats: Callable[[], Any], fake_port: int, pipe: Connection) -> None:
    """In a fake platform's child process: serve GET /stats (what `stats()` returns, as JSON) and
    POST /stop on a free port, send (the fake's port, this port) to the parent, and return once the
    parent has asked to stop."""
    done = asyncio.Event()

    async def report(request: web.Request) -> web.Response:
        return web.json_response(stats())

    async def stop(request: web.Request) -> web.Response:
        done.set()
        return web.json_response({})

    control = web.Application()
    control.router.add_get("/stats", report)
    control.router.add_post("/stop", stop)
    runner = web.AppRunner(control, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    pipe.send((fake_port, runner.addresses[0][1]))
    await done.wait()
    await runner.cleanup()
