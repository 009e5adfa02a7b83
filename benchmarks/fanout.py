"""Daily fan-out: 10,000 subscriptions due in the same minute, posted through the Slack adapter.

The fake Slack Web API adds 20 ms to every call and enforces one message per second per channel
(429 + Retry-After beyond it). Reported: time from due to the last post; the floor (calls × latency
÷ the concurrency we allow); their ratio; the ratio to a baseline measured in the same run (the
same cards sent straight through the Slack adapter, no store and no core); 429s; duplicates; peak
RSS of this process (the bot alone: the fake runs in a child process). Once on SQLite, once on
PostgreSQL (MLQ_TEST_POSTGRES_URL, default the local one).

Run: python -m benchmarks.fanout [--subscriptions 10000] [--concurrency 10]
     [--stores http,sdk,adapter,sqlite,postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import resource
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.adapter import SlackAdapter, SlackConfig
from benchmarks.common import record, serve_control, subscribe_due_now, synthetic_questions
from bot.content.bank import QuestionBank
from bot.messages import CardKind, question_card
from bot.schedule.clock import SystemClock
from bot.schedule.selection import Rotation
from bot.seam import Delivery, Destination
from bot.service import PracticeService, ServiceConfig
from bot.store import open_store
from bot.store.sql_store import sqlite_url
from tests.support.process_support import delivered_keys, fresh_database
from tests.support.slack_support import BOT_TOKEN, TEAM, FakeSlack

LATENCY = 0.020
PER_CHANNEL_INTERVAL = 1.0


class RateLimitedSlack(FakeSlack):  # runs in its own process, as Slack would
    """The fake Web API with a per-call latency and Slack's one-message-per-second-per-channel limit."""

    def __init__(self) -> None:
        super().__init__()
        self.last_write: dict[str, float] = {}
        self.limited = 0
        self.post_times: list[float] = []

    async def _api(self, request: web.Request) -> web.Response:
        await asyncio.sleep(LATENCY)
        method = request.match_info["method"]
        if method == "chat.postMessage":
            body = await request.json()
            channel = str(body.get("channel"))
            now = time.time()  # wall clock: compared with the bot's, in another process
            if now - self.last_write.get(channel, -1e9) < PER_CHANNEL_INTERVAL:
                self.limited += 1
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
                )
            self.last_write[channel] = now
            self.post_times.append(now)
        return await super()._api(request)


def _serve_fake(port_pipe: Connection) -> None:
    """Child process: run the rate-limited fake until told to stop; report what it saw at /stats."""

    async def serve() -> None:
        fake = RateLimitedSlack()
        await fake.start()

        def stats() -> dict[str, object]:
            keys = delivered_keys(fake)
            return {
                "post_times": fake.post_times,
                "limited": fake.limited,
                "repeats": sum(n - 1 for n in keys.values()),
            }

        await serve_control(stats, fake.port, port_pipe)
        await fake.stop()

    asyncio.run(serve())


@asynccontextmanager
async def _fake_slack() -> AsyncIterator[tuple[str, str]]:
    """Start the fake in a child process; yield its Web API URL and its control URL."""
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(target=_serve_fake, args=(child,), daemon=True)
    process.start()
    api_port, control_port = await asyncio.to_thread(parent.recv)
    try:
        yield f"http://127.0.0.1:{api_port}/api/", f"http://127.0.0.1:{control_port}"
    finally:
        async with aiohttp.ClientSession() as client, client.post(f"http://127.0.0.1:{control_port}/stop"):
            pass
        await asyncio.to_thread(process.join, 10)


@asynccontextmanager
async def _database(kind: str) -> AsyncIterator[str]:
    if kind in ("sqlite", "adapter"):
        yield sqlite_url(Path(tempfile.mkdtemp(prefix="mlq-fanout-")) / "fanout.db")
    else:
        os.environ.setdefault("MLQ_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
        async with fresh_database() as url:
            yield url


async def _adapter_alone(adapter: SlackAdapter, bank: QuestionBank, count: int, concurrency: int) -> None:
    """The baseline: the same daily cards sent straight through the adapter, no store, no core."""
    limit = asyncio.Semaphore(concurrency)
    reveal_at = datetime.now(UTC) + timedelta(hours=6)
    questions = bank.questions

    async def send(n: int) -> None:
        card = question_card(questions[n % len(questions)], CardKind.DAILY, reveal_at)
        async with limit:
            await adapter.post_question(Destination("slack", f"C{n:06d}", TEAM), card, Delivery(f"b-{n}"))

    await asyncio.gather(*(send(n) for n in range(count)))


async def _static_posts(kind: str, api_url: str, count: int, concurrency: int) -> None:
    """The frameworks' floors: a short static message per channel through a bare slack-sdk client
    ("sdk") or as a plain aiohttp POST ("http"), `concurrency` at a time over one connection pool."""
    limit = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=api_url, session=session)
        headers = {"Authorization": f"Bearer {BOT_TOKEN}"}

        async def send(n: int) -> None:
            body = {"channel": f"C{n:06d}", "text": "Today's question"}
            async with limit:
                if kind == "sdk":
                    await client.chat_postMessage(channel=body["channel"], text=body["text"])
                else:
                    async with session.post(
                        f"{api_url}chat.postMessage", json=body, headers=headers
                    ) as reply:
                        await reply.read()

        await asyncio.gather(*(send(n) for n in range(count)))


async def run(kind: str, count: int, concurrency: int) -> dict[str, Any]:
    """One fan-out through the bot on a store ("sqlite", "postgres"), the adapter alone
    ("adapter"), or a static message through bare slack-sdk ("sdk") or aiohttp ("http")."""
    if kind in ("sdk", "http"):
        async with _fake_slack() as (api_url, control):
            started = time.time()
            await _static_posts(kind, api_url, count, concurrency)
            finished = time.time()
            return await _result(kind, control, {"posted": count}, started, finished, concurrency)
    async with _fake_slack() as (api_url, control), _database(kind) as url:
        store = await open_store(url)
        if kind != "adapter":
            await subscribe_due_now(store, count, TEAM)
        bank = QuestionBank(synthetic_questions(1000))
        config = ServiceConfig(ZoneInfo("UTC"), send_concurrency=concurrency)
        service = PracticeService(
            bank, store, SystemClock(), {}, config, Rotation(bank, store, random.Random(1))
        )
        adapter = SlackAdapter(service, SlackConfig(bot_token=BOT_TOKEN, mode="http", api_url=api_url))
        service.register_adapter(adapter)
        started = time.time()
        if kind == "adapter":
            await _adapter_alone(adapter, bank, count, concurrency)
            counts = {"posted": count}
        else:
            counts = await service.run_due()
        finished = time.time()
        await adapter.stop()
        await store.close()
        return await _result(kind, control, counts, started, finished, concurrency)


async def _result(
    kind: str, control: str, counts: dict[str, int], started: float, finished: float, concurrency: int
) -> dict[str, Any]:
    async with aiohttp.ClientSession() as client, client.get(f"{control}/stats") as response:
        seen = await response.json()
    posts = len(seen["post_times"])
    last = max(seen["post_times"]) - started if posts else float("nan")
    floor = posts * LATENCY / concurrency
    return {
        "store": kind,
        "posts": posts,
        "outcomes": counts,
        "last_post_s": last,
        "run_s": finished - started,
        "floor_s": floor,
        "ratio": last / floor,
        "limited": seen["limited"],
        "duplicates": seen["repeats"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


async def main(count: int, concurrency: int, stores: list[str]) -> None:
    results = [await run(kind, count, concurrency) for kind in stores]
    alone = next((r["last_post_s"] for r in results if r["store"] == "adapter"), None)
    names = {
        "http": "floor: a static message, plain aiohttp",
        "sdk": "floor: a static message, bare slack-sdk client",
        "adapter": "baseline: the Slack adapter alone",
    }

    def versus_alone(r: dict[str, Any]) -> str:
        return f"{r['last_post_s'] / alone:.2f}" if alone else "–"

    lines = [
        f"{count:,} subscriptions due in the same minute; fake Web API: {LATENCY * 1000:.0f} ms per call, "
        f"1 message/s per channel; {concurrency} sends at a time. Targets: ratio ≤ 1.25, 0 duplicates, "
        "peak RSS ≤ 250 MB.",
        "",
        "| store | posts | due → last post | floor | ratio | ÷ adapter alone | 429s | duplicates "
        "| peak RSS |",
        "|---|---|---|---|---|---|---|---|---|",
        *(
            f"| {names.get(r['store'], r['store'])} | {r['posts']:,} | {r['last_post_s']:.1f} s | "
            f"{r['floor_s']:.1f} s | {r['ratio']:.2f} | {versus_alone(r)} | {r['limited']} | "
            f"{r['duplicates']} | {r['peak_rss_mb']:.0f} MB |"
            for r in results
        ),
        "",
        "Floor: calls × latency ÷ concurrency. The baseline sends the same number of daily cards "
        "straight through the Slack adapter, `concurrency` at a time, with no store and no core: what "
        "the adapter, slack-sdk and the fake cost per call on this machine. The two floor rows send a "
        "short static message per channel the same way with no adapter: through a bare slack-sdk "
        "client, and as a plain aiohttp POST (what HTTP and the fake alone cost). The fake runs in its own "
        "process; peak RSS is the bot's process over all runs so far (later rows include earlier "
        "rows' high-water marks).",
    ]
    record("Daily fan-out", lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--stores", default="http,sdk,adapter,sqlite,postgres")
    args = parser.parse_args()
    asyncio.run(main(args.subscriptions, args.concurrency, args.stores.split(",")))
