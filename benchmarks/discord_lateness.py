"""Daily fan-out on Discord at scale: how late questions and answers arrive under the global limit.

10,000 channels across 1,000 guilds are due at 09:00. Each daily post is two requests (the
question, then its thread) and each reveal two more (the answer in the thread, then the edit that
marks the question answered), all through the real adapter and discord.py against the fake Discord
in a child process, which enforces Discord's documented limits (`tests/support/discord_limits.py`):
50 requests per second per bot token, per-route buckets of 5 per 5 s, and the invalid-request ban
at 10,000 401/403/429 answers in 10 minutes.

The floor is what the global limit alone allows, from this run's counts: the requests the phase
needs ÷ 50 per second. Lateness is scheduled instant → the post's last request answered (its
thread) or the reveal's (the edit), as the fake saw it.

Real time by default (a run of 10,000 channels takes about 15 minutes). Scaled clock, optional:
with `--scale 4` the fake's limits run four times faster (a second of Discord's lasts
0.25 s here, every `retry_after` and bucket reset shrinks with it), so a 400 s floor takes 100 s.
Latenesses are reported in Discord's seconds (real × scale), which makes the bot's own CPU time look
`scale` times larger against the limit than it would be: the ratio to the floor is a bound from
above, and on a busy machine a loose one (see RESULTS.md).

`--replicas 1,2` also runs two bots on the same store and bot token (each its own discord.py
client, both in this process): the global limit is per token, so the floor does not move.

Run: python -m benchmarks.discord_lateness [--guilds 1000] [--per-guild 10] [--scale 1]
     [--concurrency 10] [--replicas 1,2]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import multiprocessing
import random
import resource
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import insert

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.pacing import SENDS_IN_FLIGHT
from benchmarks.common import percentile, record, serve_control, synthetic_questions
from bot.content.bank import QuestionBank
from bot.schedule.selection import Rotation
from bot.service import PracticeService, ServiceConfig
from bot.store import SqlStore, open_store
from bot.store.sql_store import sqlite_url
from bot.store.tables import subscriptions
from tests.support.discord_limits import GLOBAL_PER_SECOND, DiscordLimits, LimitRules
from tests.support.discord_support import config_for
from tests.support.fake_discord import FakeDiscord

POST_AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
REVEAL_AFTER = timedelta(hours=6)
FIRST_GUILD = 1_320_000_000_000_000_000
REQUESTS_PER_POST = 2  # the question, its thread
REQUESTS_PER_REVEAL = 2  # the answer in the thread, the edit of the question


class ShiftedClock:
    """The wall clock moved to a chosen instant: time runs at its real pace from there."""

    def __init__(self) -> None:
        self.shift = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.shift

    def anchor(self, instant: datetime) -> None:
        """Make `now()` read `instant` at this moment."""
        self.shift = instant - datetime.now(UTC)


class TimedDiscord(FakeDiscord):  # runs in its own process, as Discord would
    """The fake Discord noting when each post's thread and each reveal's edit were answered."""

    def __init__(self, limits: DiscordLimits) -> None:
        super().__init__(limits=limits)
        self.finished: dict[str, list[float]] = {"post": [], "reveal": []}

    def _thread(self, match: Any, body: Any) -> tuple[int, Any]:
        answer = super()._thread(match, body)
        self.finished["post"].append(time.time())  # wall clock: compared with the bot's
        return answer

    def _edit_message(self, match: Any, body: Any) -> tuple[int, Any]:
        answer = super()._edit_message(match, body)
        self.finished["reveal"].append(time.time())
        return answer

    def stats(self) -> dict[str, Any]:
        per_channel = Counter(m["channel_id"] for m in self.messages.values() if "webhook_id" not in m)
        assert self.limits is not None
        return {
            "finished": self.finished,
            "duplicates": sum(n - 1 for n in per_channel.values() if n > 1),
            "tally": dataclasses.asdict(self.limits.tally),
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


def _serve_fake(pipe: Connection, guilds: int, per_guild: int, scale: float) -> None:
    """Child process: the fake with every guild and channel, until told to stop; /stats reports."""

    async def serve() -> None:
        fake = TimedDiscord(DiscordLimits(LimitRules(time_scale=scale)))
        for guild, channel in _channels(guilds, per_guild):
            fake.add_text_channel(channel, guild)
        await fake.start()
        await serve_control(fake.stats, fake.port, pipe)
        await fake.close()

    asyncio.run(serve())


def _channels(guilds: int, per_guild: int) -> list[tuple[int, int]]:
    """(guild, channel) ids: guild ids a million apart, its channels just after it."""
    first = [FIRST_GUILD + n * 1_000_000 for n in range(guilds)]
    return [(guild, guild + c) for guild in first for c in range(1, per_guild + 1)]


@asynccontextmanager
async def _fake_discord(guilds: int, per_guild: int, scale: float) -> AsyncIterator[tuple[FakeDiscord, str]]:
    """Start the fake in a child process; yield a local stand-in carrying its URLs, and /stats' URL."""
    parent, child = multiprocessing.Pipe()
    context = multiprocessing.get_context("spawn")
    process = context.Process(target=_serve_fake, args=(child, guilds, per_guild, scale), daemon=True)
    process.start()
    api_port, control_port = await asyncio.to_thread(parent.recv)
    address = FakeDiscord()  # never started: only its token, application id and URLs are used
    address.port = api_port
    try:
        yield address, f"http://127.0.0.1:{control_port}"
    finally:
        async with aiohttp.ClientSession() as client, client.post(f"http://127.0.0.1:{control_port}/stop"):
            pass
        await asyncio.to_thread(process.join, 10)


async def _subscribe(store: SqlStore, channels: list[tuple[int, int]]) -> None:
    before = POST_AT - timedelta(days=1)
    row = {
        "platform": "discord",
        "post_time": "09:00",
        "timezone": "UTC",
        "days": "0,1,2,3,4,5,6",
        "reveal_after_seconds": int(REVEAL_AFTER.total_seconds()),
        "reveal_at": None,
        "topics": "",
        "difficulties": "",
        "paused": False,
        "created_at": before,
        "updated_at": before,
    }
    async with store.engine.begin() as conn:
        for start in range(0, len(channels), 2000):
            rows = [
                row | {"workspace_id": str(guild), "channel_id": str(channel)}
                for guild, channel in channels[start : start + 2000]
            ]
            await conn.execute(insert(subscriptions), rows)


async def run(guilds: int, per_guild: int, scale: float, concurrency: int, replicas: int) -> dict[str, Any]:
    """One day (posts at 09:00, reveals at 15:00) through `replicas` bots; the figures."""
    channels = _channels(guilds, per_guild)
    async with _fake_discord(guilds, per_guild, scale) as (fake, control):
        store = await open_store(sqlite_url(Path(tempfile.mkdtemp(prefix="mlq-discord-")) / "bench.db"))
        await _subscribe(store, channels)
        bank = QuestionBank(synthetic_questions(1000))
        clock = ShiftedClock()
        config = ServiceConfig(ZoneInfo("UTC"), send_concurrency=concurrency)
        bots: list[tuple[PracticeService, DiscordAdapter]] = []
        for n in range(replicas):
            rotation = Rotation(bank, store, random.Random(n))
            service = PracticeService(bank, store, clock, {}, config, rotation=rotation)
            # As the README advises: replicas × sends in flight ≤ 10 (the bound on global 429s a second).
            in_flight = max(1, SENDS_IN_FLIGHT // replicas)
            adapter = DiscordAdapter(
                service, config_for(fake, ready_timeout=120.0, sends_in_flight=in_flight)
            )
            service.register_adapter(adapter)
            await adapter.start()
            assert adapter.client is not None
            await adapter.client.wait_until_ready()  # every guild's channels cached, as after a start-up
            bots.append((service, adapter))
        phases: dict[str, dict[str, Any]] = {}
        for phase, instant in (("post", POST_AT), ("reveal", POST_AT + REVEAL_AFTER)):
            started, cpu = time.time(), _cpu_seconds()
            clock.anchor(instant)
            outcomes = await asyncio.gather(*(service.run_due() for service, _ in bots))
            phases[phase] = {
                "started": started,
                "outcomes": sum((Counter(o) for o in outcomes), Counter()),
                "cpu": _cpu_seconds() - cpu,
            }
        for _, adapter in bots:
            await adapter.stop()
        await store.close()
        async with aiohttp.ClientSession() as client, client.get(f"{control}/stats") as response:
            seen = await response.json()
    return _figures(seen, phases, len(channels), scale, replicas)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _figures(
    seen: dict[str, Any], phases: dict[str, dict[str, Any]], channels: int, scale: float, replicas: int
) -> dict[str, Any]:
    rows = []
    for phase, per_item in (("post", REQUESTS_PER_POST), ("reveal", REQUESTS_PER_REVEAL)):
        started = phases[phase]["started"]
        late = [(t - started) * scale for t in seen["finished"][phase]]  # in Discord's seconds
        floor = channels * per_item / GLOBAL_PER_SECOND
        rows.append(
            {
                "phase": phase,
                "delivered": len(late),
                "outcomes": dict(phases[phase]["outcomes"]),
                "p50": percentile(late, 0.5) if late else float("nan"),
                "p99": percentile(late, 0.99) if late else float("nan"),
                "max": max(late, default=float("nan")),
                "floor": floor,
                "cpu_ms": 1000 * phases[phase]["cpu"] / (channels * per_item),
            }
        )
    return {
        "replicas": replicas,
        "rows": rows,
        "duplicates": seen["duplicates"],
        "tally": seen["tally"],
        "bot_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "fake_rss_mb": seen["rss_mb"],
    }


async def main(guilds: int, per_guild: int, scale: float, concurrency: int, replicas: list[int]) -> None:
    results = [await run(guilds, per_guild, scale, concurrency, n) for n in replicas]
    lines = [
        f"{guilds * per_guild:,} channels across {guilds:,} guilds due at 09:00 (question + thread), "
        f"revealed at 15:00 (answer in the thread + edit of the question); fake Discord with its "
        f"documented limits, time compressed ×{scale:g} (figures in Discord's seconds); "
        f"{concurrency} sends at a time per bot. Targets: max ≤ 1.2 × floor, 0 duplicates, "
        "0 invalid-request trips, memory ≤ 300 MB.",
        "",
        "| bots | phase | delivered | p50 | p99 | max | floor | max ÷ floor | 429s global / route "
        "| invalid (peak per 10 min) | banned | duplicates | bot CPU per request | bot peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        tally = result["tally"]
        for row in result["rows"]:
            lines.append(
                f"| {result['replicas']} | {row['phase']} | {row['delivered']:,} | {row['p50']:.1f} s "
                f"| {row['p99']:.1f} s | {row['max']:.1f} s | {row['floor']:.0f} s "
                f"| {row['max'] / row['floor']:.2f} | {tally['global_limited']} / {tally['route_limited']} "
                f"| {tally['invalid']} ({tally['invalid_peak']}) | {'yes' if tally['banned_at'] else 'no'} "
                f"| {result['duplicates']} | {row['cpu_ms']:.1f} ms | {result['bot_rss_mb']:.0f} MB |"
            )
    lines += [
        "",
        "Floor: the requests a phase needs (2 per channel) ÷ 50 per second, the global limit of one "
        "bot token. Bot CPU per request: this process's CPU time in the phase (core, store, adapter, "
        "discord.py and the gateway events the sends cause) ÷ the requests it needs; below 20 ms "
        "(1 s ÷ 50) one core keeps up with the global limit. 429s, invalid requests and duplicates "
        "are per run (both phases); peak RSS is this process's over all runs so far (the fake runs "
        "in its own process: " + ", ".join(f"{r['fake_rss_mb']:.0f} MB" for r in results) + ").",
        "",
        "Shards and replicas do not halve the floor. Discord's global limit is per bot token, not per "
        "gateway shard or process: 1,000 guilds need one shard (2,500 per shard), and however many "
        "shards or replicas share the token, they share the 50 requests/s, so the floor of a phase "
        "stays 2 × channels ÷ 50 (rows with 2 bots: the same floor, split between two discord.py "
        "clients that each learn of the global limit from their own 429s). Halving it takes half the "
        "requests or twice the limit: a question without a thread, or in a forum channel (one "
        "request opens the post and its thread), a reveal without the edit of the question, or a "
        "higher global limit, which Discord grants large bots on request. Past that, more bot "
        "tokens (separate applications) would each bring their own 50/s. discord.py also costs CPU "
        "per new rate-limit bucket: each channel's first request on a route creates one, and "
        "creating one scans every bucket used in the last 5 minutes (`_try_clear_expired_ratelimits`),"
        " so a fan-out to many channels costs CPU per request that grows with the channels already "
        "sent to (see CPU per request).",
    ]
    record(f"Discord lateness, {guilds * per_guild:,} channels", lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guilds", type=int, default=1000)
    parser.add_argument("--per-guild", type=int, default=10)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--replicas", default="1,2")
    args = parser.parse_args()
    counts = [int(n) for n in args.replicas.split(",")]
    asyncio.run(main(args.guilds, args.per_guild, args.scale, args.concurrency, counts))
