"""SIGKILL at random moments of the post/reveal cycle: nothing is missed, nothing is sent twice.

One `mlq` process at a time runs against PostgreSQL and the fake Slack; each is killed either
while a write is in flight (the platform accepted it, the process never heard back: the worst
case) or after a random delay, and a new process is started. The claim lease is 2 s, so each new
process takes over what the dead one held; delivery keys (Slack message metadata) let it find
messages the dead one had already sent.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store.sql_store import normalise_url
from tests.support.process_support import (
    BotProcess,
    channels_with,
    delivered_keys,
    fresh_database,
    start_bot,
    subscribe_due_now,
)
from tests.support.slack_support import FakeSlack

TRIALS = 30
SUBSCRIPTIONS = 60  # ~180 writes: every trial (a few writes each) still has work to interrupt
# One send at a time, so a kill lands where it is aimed; a 2 s lease, so the next process takes over.
SETTINGS = {"MLQ_CLAIM_LEASE_SECONDS": "2", "MLQ_RECONCILE_SECONDS": "5", "MLQ_SEND_CONCURRENCY": "1"}


async def _kill_at_a_random_moment(bot: BotProcess, fake: FakeSlack, rng: random.Random) -> str:
    """Kill the process while its k-th write is in flight, or just after it was answered; say which.

    Tying each kill to a write keeps work left for every trial, and the waits are generous because
    CI runs this beside CPU-heavy tests that slow start-up down.
    """
    writes = rng.randint(1, 4)
    loop = asyncio.get_running_loop()
    delay = rng.uniform(0.0, 0.02)

    def soon_after() -> None:
        loop.call_later(delay, bot.kill)

    kind, action = ("mid-write", bot.kill) if rng.random() < 0.5 else ("just after a write", soon_after)
    fake.trip_on_write(writes, action)
    try:
        await asyncio.wait_for(bot.process.wait(), 45)
    except TimeoutError:
        kind = "idle"  # nothing left to write: kill it anyway
    fake.disarm()
    bot.kill()
    await bot.process.wait()
    return kind


async def _statuses(url: str) -> dict[str, int]:
    engine = create_async_engine(normalise_url(url))
    async with engine.connect() as conn:
        posts = (await conn.execute(text("SELECT status, count(*) FROM posts GROUP BY status"))).all()
        reveals = (await conn.execute(text("SELECT status, count(*) FROM reveals GROUP BY status"))).all()
    await engine.dispose()
    return {f"post {s}": n for s, n in posts} | {f"reveal {s}": n for s, n in reveals}


async def test_thirty_kills_lose_nothing_and_send_nothing_twice(
    fake_slack: FakeSlack, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    rng = random.Random(20261125)
    async with fresh_database() as url:
        channels = await subscribe_due_now(url, SUBSCRIPTIONS, reveal_after=timedelta(seconds=3))
        kinds: list[str] = []
        logs: list[str] = []
        for _ in range(TRIALS):
            bot = await start_bot(url, fake_slack, tmp_path, **SETTINGS)
            kinds.append(await _kill_at_a_random_moment(bot, fake_slack, rng))
            logs.append(bot.log())
        survivor = await start_bot(url, fake_slack, tmp_path, **SETTINGS)
        try:
            updated = lambda: len({c["ts"] for c in fake_slack.calls_to("chat.update")}) >= SUBSCRIPTIONS  # noqa: E731
            await fake_slack.wait_until(updated, timeout=120)
            await asyncio.sleep(6)  # one more catch-up round: late duplicates would show here
        finally:
            assert await survivor.terminate() == 0
        logs.append(survivor.log())
        statuses = await _statuses(url)
    everything = "\n".join(logs)
    keys = delivered_keys(fake_slack)
    posts = channels_with(fake_slack, "post")
    recovered = everything.count("sent before a crash")
    record_property(
        "figures",
        f"{TRIALS} kills ({kinds.count('mid-write')} mid-write, {kinds.count('just after a write')} "
        f"just after a write, {kinds.count('idle')} idle), "
        f"{SUBSCRIPTIONS} subscriptions: {sum(posts.values())} posts, "
        f"{sum(1 for k in keys if k.startswith('mlq-reveal-'))} answer messages, "
        f"repeated keys {sum(n - 1 for n in keys.values())}, found again after a crash {recovered}, "
        f"store {statuses}",
    )
    assert set(posts) == set(channels) and set(posts.values()) == {1}, "a post is missing or doubled"
    assert all(count == 1 for count in keys.values()), "a message was sent twice"
    posted = {k.removeprefix("mlq-post-") for k in keys if k.startswith("mlq-post-")}
    revealed = {k.removeprefix("mlq-reveal-").split(":")[0] for k in keys if k.startswith("mlq-reveal-")}
    assert revealed == posted, "a reveal was lost"
    assert statuses == {"post sent": SUBSCRIPTIONS, "reveal sent": SUBSCRIPTIONS}
    assert kinds.count("idle") == 0 and kinds.count("mid-write") >= 8 and recovered >= 1
