"""Crash recovery under Slack's one-history-read-a-minute: what a process killed mid fan-out leaves,
and how long the survivor takes to post the rest, each once.

One workspace with 500 channels due at one instant (the fake and the adapter as in
`benchmarks.slack_lateness`, Slack's clock at `--speed` × real time). The first process is stopped
dead (its task cancelled: no hand-back, no last write) once the fake has accepted `--kill-after`
posts; a second process takes the claims over after the lease. Reported: the claims the dead
process left, how many had started sending (each costs one history read, one a minute), what the
design before this one would have read (every claim left), the survivor's time to the last post in
Slack's time against the floor (the rest of the workspace's posts at its rate, or one read a minute
for each started claim, whichever is longer), history reads, 429s, duplicates and lost posts.

Run: python -m benchmarks.slack_recovery [--speed 10] [--kill-after 200]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import func, select

from adapters.slack.adapter import SlackAdapter, SlackConfig
from adapters.slack.pacing import SlackRates
from benchmarks.common import record, synthetic_questions
from benchmarks.slack_lateness import ShiftedClock, _fake_slack, _subscribe, channel_id, team_id
from bot.content.bank import QuestionBank
from bot.schedule.selection import Rotation
from bot.service import PracticeService, ServiceConfig
from bot.store import SqlStore, open_store
from bot.store.sql_store import sqlite_url
from bot.store.tables import posts, subscriptions
from tests.support.slack_limits import SlackLimits
from tests.support.slack_support import BOT_TOKEN

CHANNELS = 500


def _process(store: SqlStore, clock: ShiftedClock, api_url: str, speed: float, owner: str) -> PracticeService:
    bank = QuestionBank(synthetic_questions(1000))
    rotation = Rotation(bank, store, random.Random(1))
    service = PracticeService(bank, store, clock, {}, ServiceConfig(ZoneInfo("UTC")), rotation, owner=owner)
    config = SlackConfig(bot_token=BOT_TOKEN, mode="http", api_url=api_url, rates=SlackRates(speed=speed))
    service.register_adapter(SlackAdapter(service, config))
    return service


async def _stats(control: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as client, client.get(f"{control}/stats") as response:
        result: dict[str, Any] = await response.json()
        return result


async def _started_channels(store: SqlStore) -> set[str]:
    """The channels of the claims left held whose send had started."""
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            select(subscriptions.c.channel_id)
            .join(posts, posts.c.subscription_id == subscriptions.c.id)
            .where(posts.c.status == "claimed", posts.c.posted_at.is_not(None))
        )
        return {str(row.channel_id) for row in rows}


async def _left(store: SqlStore) -> tuple[int, int]:
    """Claims still held (status claimed), and how many of them had started sending."""
    async with store.engine.connect() as conn:
        held = (await conn.execute(select(func.count()).where(posts.c.status == "claimed"))).scalar_one()
        started = (
            await conn.execute(
                select(func.count()).where(posts.c.status == "claimed", posts.c.posted_at.is_not(None))
            )
        ).scalar_one()
    return int(held), int(started)


async def run(speed: float, kill_after: int) -> dict[str, Any]:
    teams = {channel_id(0, n): team_id(0) for n in range(CHANNELS)}
    due = (datetime.now(UTC) + timedelta(minutes=2)).replace(second=0, microsecond=0)
    url = sqlite_url(Path(tempfile.mkdtemp(prefix="mlq-recovery-")) / "recovery.db")
    await _subscribe(url, 1, CHANNELS, due)
    async with _fake_slack(speed, teams) as (api_url, control):
        store = await open_store(url)
        clock = ShiftedClock(due)
        killed = _process(store, clock, api_url, speed, "killed")
        clock.shift = datetime.now(UTC) - due
        fan_out = asyncio.create_task(killed.run_due())
        while len((await _stats(control))["accepted"]) < kill_after:
            await asyncio.sleep(0.05)
        fan_out.cancel()  # dead: nothing handed back, nothing more written
        await asyncio.gather(fan_out, return_exceptions=True)
        before = len((await _stats(control))["accepted"])
        held, started = await _left(store)
        started_channels = await _started_channels(store)
        # The survivor runs once the dead process's lease is over, as its reconcile would.
        clock.shift -= killed.config.lease + timedelta(seconds=1)
        survivor = _process(store, clock, api_url, speed, "survivor")
        began = time.time()
        passes = 0
        while (await survivor.run_due()).get("posted", 0) or (await _left(store))[0]:
            passes += 1
            clock.shift -= timedelta(seconds=60)  # the next reconcile, a minute on
        took = (time.time() - began) * speed
        for service in (killed, survivor):
            for adapter in service.adapters.values():
                await adapter.stop()
        async with store.engine.connect() as conn:
            sent = (await conn.execute(select(func.count()).where(posts.c.status == "sent"))).scalar_one()
        await store.close()
        seen = await _stats(control)
    limits = SlackLimits()
    # Posts of claims that had not started sending, and those that had (each after its history read:
    # found there, it is adopted; not found, it is sent then).
    after = list(zip(seen["accepted"], seen["channels"], strict=True))[before:]
    new_posts = [(at - began) * speed for at, channel in after if channel not in started_channels]
    retried = [(at - began) * speed for at, channel in after if channel in started_channels]
    # Slack's time passed in the kill is not given back: the rest go at the workspace's rate, and the
    # first history read is free, the others a minute apart.
    posts_floor = len(new_posts) * 60 / limits.post_per_workspace.per_minute
    reads_floor = max(0, started - 1) * 60 / limits.history.per_minute
    return {
        "speed": speed,
        "accepted_before": before,
        "held": held,
        "started": started,
        "took": took,
        "floor": max(posts_floor, reads_floor),
        "new_posts": len(new_posts),
        "last_new": max(new_posts, default=0.0),
        "posts_floor": posts_floor,
        "retried": len(retried),
        "history": seen["history"],
        "refused": sum(seen["refused"].values()),
        "duplicates": seen["repeats"],
        "lost": CHANNELS - sent,
        "passes": passes,
    }


async def main(speed: float, kill_after: int) -> None:
    r = await run(speed, kill_after)
    lines = [
        f"One workspace, {CHANNELS} channels due at one instant; the first process is killed once Slack "
        f"has accepted {kill_after} posts; the survivor takes over after the lease. Slack's limits as in "
        f"the lateness table, Slack's clock ×{r['speed']:g}; times in Slack's time.",
        "",
        "| accepted before the kill | claims left | started (history reads needed) | reads before this "
        "design | survivor: posts never started, last at (floor) | started, sent after their read "
        "| survivor: done (floor) | history reads | 429s | duplicates | lost |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        f"| {r['accepted_before']} | {r['held']} | {r['started']} | ≥ {r['held']} | {r['new_posts']}, "
        f"{r['last_new']:.0f} s ({r['posts_floor']:.0f} s) | {r['retried']} | {r['took']:.0f} s "
        f"({r['floor']:.0f} s) | {r['history']} | {r['refused']} | {r['duplicates']} | {r['lost']} |",
        "",
        "Before this design every claim left by a dead process was retried with a history read, and the "
        "posts its chunk had sent were unconfirmed too (recorded at the chunk's end): at least the claims "
        "left, one a minute. Now only claims whose send had started are read, in a lane of their own. "
        "Floors: the new posts at the workspace's 300 a minute; done: that, or a history read a minute "
        "after the first for each started claim, whichever is longer.",
    ]
    record("Slack crash recovery under rate limits", lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=10.0)
    parser.add_argument("--kill-after", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.speed, args.kill_after))
