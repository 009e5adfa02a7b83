"""`/mlquestion` on Slack under a flood of junk: a signed command's time while 100 concurrent
unsigned ~1 MiB bodies (many small form fields, or JSON arrays) or 200 concurrent 10 MiB bodies
hit the same HTTP-mode server, against its unflooded time in the same run; the server's peak RSS.

The server is the Slack adapter in HTTP mode (real aiohttp and Bolt) over a SQLite store with 1,000
questions; its card goes to the fake Web API's response_url in the same process. The flood runs in
a child process, so its client work does not share the server's event loop: each of its workers
opens a connection, sends its request, reads the answer (or the reset), and starts again, until told
to stop (or its deadline passes). While it runs, signed commands are sent one after another and
timed to their 200 and to their card. Two rows go beyond the issue: bodies with a fresh timestamp
and a forged signature just under the body cap (the most an outsider can make the server read and
hash), and chunked ones with no Content-Length (read up to the cap, then refused). With `--legacy`,
the same floods also hit the request path before the fix (Bolt parsing every body before checking
its signature), fewer commands each, run last so its memory does not count in the rows above.

The flood's process runs at the lowest CPU priority (nice 19): an attacker's work of building and
writing bodies would happen on another machine, and on this shared 2-CPU machine it would otherwise
take the server's CPU time rather than make the server do more (`--flood-priority same` shows that).

Loopback only; every loop is bounded (a command waits at most 30 s, 60 s on the legacy path, and a
row stops at its first command that times out; a flood ends at its deadline even if never told to).

Run: python -m benchmarks.slack_flood [--commands 40] [--legacy] [--flood-priority low|same]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import random
import resource
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from adapters.slack.adapter import SlackAdapter, SlackConfig
from adapters.slack.inbound import MAX_BODY_BYTES
from benchmarks.common import percentile, record, summary, synthetic_questions
from bot.content.bank import QuestionBank
from bot.schedule.clock import SystemClock
from bot.schedule.selection import Rotation
from bot.service import PracticeService, ServiceConfig
from bot.store import open_store
from bot.store.sql_store import sqlite_url
from tests.support.slack_support import BOT_TOKEN, SIGNING_SECRET, FakeSlack, command_form, signed_headers

QUESTIONS = 1000
MIB = 1024 * 1024
WARM_UP = 10
COMMAND_TIMEOUT = 30.0
LEGACY_COMMAND_TIMEOUT = 60.0
LEGACY_COMMANDS = 4
FLOOD_DEADLINE = 600.0  # a flood stops by itself this long after it started
FLOOD_SECONDS = 5.0  # commands go on at least this long under each flood
PIECE = 64 * 1024


@dataclass(frozen=True)
class Flood:
    name: str
    workers: int
    body: str  # "form", "json" or "bytes"
    size: int
    signature: str  # "none" or "forged"
    chunked: bool = False


FLOODS = (
    Flood("100 × ~1 MiB of small form fields, unsigned", 100, "form", 1_000_000, "none"),
    Flood("100 × ~1 MiB of JSON arrays, unsigned", 100, "json", 1_000_000, "none"),
    Flood("200 × 10 MiB, unsigned", 200, "bytes", 10 * MIB, "none"),
    Flood("100 × ~1 MiB chunked (no length), forged signature", 100, "form", 1_000_000, "forged", True),
    Flood(f"100 × {MAX_BODY_BYTES // 1024 - 1} KiB form fields, forged signature", 100, "form",
          MAX_BODY_BYTES - 1024, "forged"),
)  # fmt: skip


def _body(flood: Flood) -> bytes:
    if flood.body == "form":
        return (b"a=1&" * (flood.size // 4 + 1))[: flood.size]
    if flood.body == "json":
        inner = b"[]," * ((flood.size - 4) // 3)
        return b"[" + inner + b"[]]"
    return b"a" * flood.size


def _head(flood: Flood, port: int, body: bytes) -> bytes:
    content_type = "application/json" if flood.body == "json" else "application/x-www-form-urlencoded"
    lines = [
        "POST /slack/events HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        f"Content-Type: {content_type}",
    ]
    lines.append("Transfer-Encoding: chunked" if flood.chunked else f"Content-Length: {len(body)}")
    if flood.signature == "forged":
        lines += [f"X-Slack-Request-Timestamp: {int(time.time())}", "X-Slack-Signature: v0=" + "0" * 64]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _pieces(flood: Flood, body: bytes) -> Iterator[bytes]:
    view = memoryview(body)
    for start in range(0, len(body), PIECE):
        piece = view[start : start + PIECE]
        yield (f"{len(piece):x}\r\n".encode() + piece + b"\r\n") if flood.chunked else bytes(piece)
    if flood.chunked:
        yield b"0\r\n\r\n"


# The flood, in a child process ---------------------------------------------------------------------------


def _run_flood(
    flood: Flood, port: int, niceness: int, started: Event, stop: Event, results: Connection
) -> None:
    # The attacker's own work (building and writing bodies) would be on another machine: at the
    # lowest priority (the default) it takes only the CPU time the server leaves idle.
    os.nice(niceness)
    asyncio.run(_flood(flood, port, started, stop, results))


async def _flood(flood: Flood, port: int, started: Event, stop: Event, results: Connection) -> None:
    body = _body(flood)
    counts: Counter[str] = Counter()
    deadline = time.monotonic() + FLOOD_DEADLINE
    done = asyncio.Event()

    async def worker() -> None:
        while not done.is_set():
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                counts["connect failed"] += 1
                await asyncio.sleep(0.01)
                continue
            try:
                writer.write(_head(flood, port, body))
                answer = asyncio.ensure_future(reader.readline())
                for piece in _pieces(flood, body):
                    if answer.done() or done.is_set():
                        break
                    writer.write(piece)
                    await writer.drain()
                line = await asyncio.wait_for(answer, 60)
                counts[line.split()[1].decode() if line else "closed"] += 1
            except (ConnectionError, TimeoutError, IndexError):
                counts["reset"] += 1
            finally:
                writer.close()

    tasks = [asyncio.create_task(worker()) for _ in range(flood.workers)]
    began = time.monotonic()
    while sum(counts.values()) < flood.workers and time.monotonic() - began < 5:
        await asyncio.sleep(0.05)
    started.set()  # every worker has had a first answer (or 5 s passed): the flood is on
    while not stop.is_set() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    done.set()
    elapsed = time.monotonic() - began
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    results.send((dict(counts), elapsed))


# The server and the measured commands ---------------------------------------------------------------------


@dataclass
class Timings:
    """Signed commands' times to their 200 and to their card; `timed_out` if the last one never came."""

    acks: list[float] = field(default_factory=list)
    cards: list[float] = field(default_factory=list)
    timed_out: bool = False


async def _commands(
    client: aiohttp.ClientSession, url: str, fake: FakeSlack, count: int, timeout: float, seconds: float = 0.0
) -> Timings:
    """Send signed commands one after another, at least `count` of them and for at least `seconds`
    (at most 10 × `count`); stop at the first that takes longer than `timeout`."""
    rng = random.Random(5)
    timings = Timings()
    until = time.monotonic() + seconds
    while len(timings.acks) < count or (time.monotonic() < until and len(timings.acks) < 10 * count):
        body = command_form(fake, rng.choice(["", "keras", "hard"]))
        before = len(fake.responses)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout):
                async with client.post(url, data=body, headers=signed_headers(body)) as response:
                    await response.read()
                    assert response.status == 200, response.status
                timings.acks.append(time.perf_counter() - started)
                await fake.wait_until(lambda before=before: len(fake.responses) > before, timeout)  # type: ignore[misc]
                timings.cards.append(time.perf_counter() - started)
        except TimeoutError:
            timings.acks.append(timeout)
            timings.cards.append(timeout)
            timings.timed_out = True
            break
    return timings


@dataclass
class Row:
    path: str
    flood: str
    timings: Timings
    flood_answers: dict[str, int]
    flood_seconds: float
    cpu_seconds: float  # the server process's CPU time while the row ran
    peak_rss_mb: float


@dataclass
class Target:
    """One server to measure: its request path's name and port, the measuring client and the fake."""

    path: str
    port: int
    client: aiohttp.ClientSession
    fake: FakeSlack
    flood_priority: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    async def baseline(self, count: int) -> Row:
        await _commands(self.client, self.url, self.fake, WARM_UP, COMMAND_TIMEOUT)
        cpu = _cpu_seconds()
        timings = await _commands(self.client, self.url, self.fake, count, COMMAND_TIMEOUT)
        return Row(self.path, "none (baseline)", timings, {}, 0.0, _cpu_seconds() - cpu, _rss_mb())

    async def flooded(self, flood: Flood, count: int, timeout: float) -> Row:
        """Commands timed while `flood` runs in a child process."""
        context = multiprocessing.get_context("spawn")
        started, stop = context.Event(), context.Event()
        parent, child = context.Pipe()
        arguments = (flood, self.port, self.flood_priority, started, stop, child)
        process = context.Process(target=_run_flood, args=arguments, daemon=True)
        process.start()
        cpu = _cpu_seconds()
        try:
            await asyncio.to_thread(started.wait, 120)
            timings = await _commands(self.client, self.url, self.fake, count, timeout, FLOOD_SECONDS)
        finally:
            stop.set()
            answered = await asyncio.to_thread(parent.poll, 180)
            answers, seconds = await asyncio.to_thread(parent.recv) if answered else ({}, 0.0)
            await asyncio.to_thread(process.join, 30)
            if process.is_alive():
                process.kill()
        return Row(self.path, flood.name, timings, answers, seconds, _cpu_seconds() - cpu, _rss_mb())


def _legacy_app(adapter: SlackAdapter) -> web.Application:
    """The request path before the fix: Bolt parses each body, then checks its signature."""
    bolt = AsyncApp(client=adapter.client, signing_secret=SIGNING_SECRET)
    adapter.commands.register(bolt)
    adapter.practice.register(bolt)

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    application = web.Application()
    application.router.add_post("/slack/events", handle)
    return application


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def main(commands: int, legacy: bool, flood_priority: int) -> None:
    # At most 20 refusal lines a minute would interleave with the table: keep them off the terminal.
    logging.getLogger("adapters.slack.inbound").setLevel(logging.ERROR)
    fake = FakeSlack()
    await fake.start()
    folder = Path(tempfile.mkdtemp(prefix="mlq-flood-"))
    store = await open_store(sqlite_url(folder / "bench.db"))
    bank = QuestionBank(synthetic_questions(QUESTIONS))
    rotation = Rotation(bank, store, random.Random(1))
    service = PracticeService(bank, store, SystemClock(), {}, ServiceConfig(ZoneInfo("UTC")), rotation)
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
    rows: list[Row] = []
    async with aiohttp.ClientSession() as client:
        fixed = Target("fixed", int(adapter.address.rsplit(":", 1)[1]), client, fake, flood_priority)
        rows.append(await fixed.baseline(commands))
        for flood in FLOODS:
            rows.append(await fixed.flooded(flood, commands, COMMAND_TIMEOUT))
        again = await fixed.baseline(commands)  # the baseline is measured before and after the floods
        rows[0].timings.acks += again.timings.acks
        rows[0].timings.cards += again.timings.cards
        if legacy:
            runner = web.AppRunner(_legacy_app(adapter), access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            before = Target("before the fix", int(runner.addresses[0][1]), client, fake, flood_priority)
            rows.append(await before.baseline(commands))
            # The 10 MiB flood first: a flood the old path cannot keep up with leaves it busy for a while.
            for flood in (FLOODS[2], FLOODS[0], FLOODS[1]):
                rows.append(await before.flooded(flood, LEGACY_COMMANDS, LEGACY_COMMAND_TIMEOUT))
            await runner.cleanup()
    await adapter.stop()
    await store.close()
    await fake.stop()
    _report(rows, commands, flood_priority)


def _report(rows: list[Row], commands: int, flood_priority: int) -> None:
    def ms(value: float) -> str:
        return f"{value * 1000:.1f} ms" if value < 10 else f"{value:.0f} s"

    baselines = {row.path: row.timings for row in rows if not row.flood_seconds}
    priority = "normal priority"
    if flood_priority:
        priority = "the lowest priority (nice 19), as if on another machine"
    lines = [
        f"Signed `/mlquestion` commands one after another (at least {commands} per row, and for at least "
        f"{FLOOD_SECONDS:.0f} s under each flood) to the Slack adapter in HTTP mode (SQLite, "
        f"{QUESTIONS:,} questions); the baseline row is measured before and after the floods. Body cap "
        f"{MAX_BODY_BYTES:,} bytes. Target: ratio ≤ 2 (p50, to the 200). Flood answers: the status codes "
        "the flood's client read (`reset`: the server answered and closed while the body was still being "
        "sent). Server CPU: the server process's CPU time over the flood's duration, in % of one core (that "
        "process also runs the measuring client and the fake). Peak RSS: the server process's high-water "
        f"mark so far (it never falls). The flood's process runs at {priority}.",
        "",
        "| path | flood | → 200 p50 | → 200 p90 | ratio p50 | ratio p90 | → card p50 | ratio p50 "
        "| flood answers | flood req/s | server CPU | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        timings, base = row.timings, baselines[row.path]
        ack, card = summary(timings.acks), summary(timings.cards)
        base_ack, base_card = summary(base.acks), summary(base.cards)
        p90, base_p90 = percentile(timings.acks, 0.9), percentile(base.acks, 0.9)
        at_least = "≥ " if timings.timed_out else ""
        cells = [
            ms(ack["p50"]),
            ms(p90),
            f"{ack['p50'] / base_ack['p50']:.2f}",
            f"{p90 / base_p90:.2f}",
            ms(card["p50"]),
            f"{card['p50'] / base_card['p50']:.2f}",
        ]
        answers = ", ".join(f"{status}: {n:,}" for status, n in sorted(row.flood_answers.items())) or "—"
        rate = f"{sum(row.flood_answers.values()) / row.flood_seconds:,.0f}" if row.flood_seconds else "—"
        busy = f"{100 * row.cpu_seconds / row.flood_seconds:.0f} %" if row.flood_seconds else "—"
        timed = " | ".join(at_least + cell for cell in cells)
        lines.append(
            f"| {row.path} | {row.flood} | {timed} | {answers} | {rate} | {busy} | {row.peak_rss_mb:.0f} MB |"
        )
    record("Slack /mlquestion under a flood", lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=40, help="commands per row, at least")
    parser.add_argument("--legacy", action="store_true", help="also flood the request path before the fix")
    parser.add_argument(
        "--flood-priority",
        choices=["low", "same"],
        default="low",
        help="the flood process's CPU priority: low (nice 19, as if on another machine) or the server's",
    )
    arguments = parser.parse_args()
    niceness = 19 if arguments.flood_priority == "low" else 0
    asyncio.run(main(arguments.commands, arguments.legacy, niceness))
