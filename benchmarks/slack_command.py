"""`/mlquestion` on Slack: signed POST → 200 through the real Bolt HTTP server on loopback.

mlquestion runs with a 1,000-question bank and 100,000 rows of history; the baseline is a bare Bolt
app whose handler acks a static text, behind the same aiohttp server code, hit by the same client.
Requests alternate between the two so both see the same machine. Also reported: the time until the
question card reaches `response_url` (our ack is empty; the card follows), against the baseline's
200 (which already carries its text).

Run: python -m benchmarks.slack_command [--requests 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp

from adapters.slack.adapter import SlackAdapter, SlackConfig
from benchmarks.common import fill_history, record, summary, synthetic_questions
from bot.content.bank import QuestionBank
from bot.schedule.clock import SystemClock
from bot.schedule.selection import Rotation
from bot.service import PracticeService, ServiceConfig
from bot.store import open_store
from bot.store.sql_store import sqlite_url
from tests.support.slack_support import (
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM,
    FakeSlack,
    command_form,
    signed_headers,
)

QUESTIONS = 1000
HISTORY = 100_000
USERS = 50


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}/slack/events"


def _baseline_app(fake: FakeSlack) -> web.Application:
    """A bare Bolt app: the same verification and dispatch, a handler that acks a static text."""
    from slack_sdk.web.async_client import AsyncWebClient

    bolt = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url), signing_secret=SIGNING_SECRET
    )

    @bolt.command("/mlquestion")
    async def static(ack: AsyncAck) -> None:
        await ack("Why would you scale features before fitting a linear model?")

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    application = web.Application()
    application.router.add_post("/slack/events", handle)
    return application


async def _post(client: aiohttp.ClientSession, url: str, body: str) -> float:
    started = time.perf_counter()
    async with client.post(url, data=body, headers=signed_headers(body)) as response:
        await response.read()
        assert response.status == 200, response.status
    return time.perf_counter() - started


async def main(requests: int) -> None:
    fake = FakeSlack()
    await fake.start()
    folder = Path(tempfile.mkdtemp(prefix="mlq-bench-"))
    store = await open_store(sqlite_url(folder / "bench.db"))
    users = [f"U{n:05d}" for n in range(USERS)]
    await fill_history(store, HISTORY, [f"user:slack:{TEAM}:{u}" for u in users], QUESTIONS)
    bank = QuestionBank(synthetic_questions(QUESTIONS))
    service = PracticeService(
        bank,
        store,
        SystemClock(),
        {},
        ServiceConfig(ZoneInfo("UTC")),
        Rotation(bank, store, random.Random(1)),
    )
    config = SlackConfig(
        bot_token=BOT_TOKEN,
        mode="http",
        api_url=fake.api_url,
        signing_secret=SIGNING_SECRET,
        host="127.0.0.1",
        port=0,
    )
    adapter = SlackAdapter(service, config)
    service.register_adapter(adapter)
    await adapter.start()
    ours_url = adapter.address + config.path
    baseline_runner, baseline_url = await _serve(_baseline_app(fake))
    ours: list[float] = []
    cards: list[float] = []
    base: list[float] = []
    rng = random.Random(3)
    async with aiohttp.ClientSession() as client:
        for n in range(requests + 50):
            user = rng.choice(users)
            text = rng.choice(["", "keras", "hard", "tensorflow medium", "scikit-learn easy"])
            before = len(fake.responses)
            started = time.perf_counter()
            ack = await _post(client, ours_url, command_form(fake, text, user))
            await fake.wait_until(lambda before=before: len(fake.responses) > before)  # type: ignore[misc]
            card = time.perf_counter() - started
            baseline = await _post(client, baseline_url, command_form(fake, text, user))
            if n >= 50:  # the first requests warm caches and connections
                ours.append(ack)
                cards.append(card)
                base.append(baseline)
    await adapter.stop()
    await baseline_runner.cleanup()
    await store.close()
    await fake.stop()
    _report(requests, ours, cards, base)


def _report(requests: int, ours: list[float], cards: list[float], base: list[float]) -> None:
    o, c, b = summary(ours), summary(cards), summary(base)

    def ms(value: float) -> str:
        return f"{value * 1000:.2f} ms"

    rows: list[Any] = [
        ("signed POST → 200 (ack)", o, f"{o['p50'] / b['p50']:.2f}", f"{o['p99'] / b['p99']:.2f}"),
        ("signed POST → card at response_url", c, f"{c['p50'] / b['p50']:.2f}", f"{c['p99'] / b['p99']:.2f}"),
        ("baseline: bare Bolt app acking static text", b, "1.00", "1.00"),
    ]
    lines = [
        f"{requests} requests each, alternating; SQLite store with {QUESTIONS:,} questions and "
        f"{HISTORY:,} history rows over {USERS} users. Targets: ratio ≤ 1.5 at p50, ≤ 2 at p99, p99 < 50 ms.",
        "",
        "| path | p50 | p99 | ratio p50 | ratio p99 |",
        "|---|---|---|---|---|",
        *(f"| {name} | {ms(s['p50'])} | {ms(s['p99'])} | {r50} | {r99} |" for name, s, r50, r99 in rows),
    ]
    record("Slack /mlquestion latency", lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    asyncio.run(main(parser.parse_args().requests))
