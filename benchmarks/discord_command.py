"""`/mlquestion` on Discord: INTERACTION_CREATE sent → interaction callback received.

Both clients are real discord.py clients connected to the same local fake Discord (REST + gateway):
mlquestion's adapter (1,000-question bank, 100,000 history rows) and a bare client whose command
answers a static text. Interactions alternate between the two. Also reported: the time until
mlquestion's card is shown (the same callback when the draw is quick; a deferral and an edit when
it runs late).

Run: python -m benchmarks.discord_command [--requests 500]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import discord
from discord import app_commands

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.client import use_api_url
from benchmarks.common import fill_history, record, summary, synthetic_questions
from bot.content.bank import QuestionBank
from bot.schedule.clock import SystemClock
from bot.schedule.selection import Rotation
from bot.service import PracticeService, ServiceConfig
from bot.store import open_store
from bot.store.sql_store import sqlite_url
from tests.support.discord_support import CHANNEL, GUILD, MEMBER, config_for
from tests.support.fake_discord import FakeDiscord, Sent

QUESTIONS = 1000
HISTORY = 100_000


class StaticClient(discord.AutoShardedClient):
    """The floor: a discord.py client whose /mlquestion answers a fixed text at once."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents(guilds=True), max_messages=None)
        self.tree = app_commands.CommandTree(self)
        self.ready = asyncio.Event()

        @self.tree.command(name="mlquestion", description="static")
        async def static(
            interaction: discord.Interaction,
            topic: str | None = None,
            difficulty: str | None = None,
            share: bool = False,
        ) -> None:
            await interaction.response.send_message(
                "Why scale features before a linear model?", ephemeral=True
            )

    async def on_connect(self) -> None:
        self.ready.set()


async def _callback_time(
    fake: FakeDiscord, target: int, options: dict[str, str]
) -> tuple[float, Sent, float]:
    fake.dispatch_to = target
    started = time.perf_counter()
    sent = await fake.command("mlquestion", MEMBER, CHANNEL, **options)
    path = rf"/interactions/{sent.id}/{re.escape(sent.token)}/callback"
    await fake.wait_calls("POST", path)
    return time.perf_counter() - started, sent, started


async def main(requests: int) -> None:
    fake = FakeDiscord()
    await fake.start()
    fake.add_text_channel(CHANNEL, GUILD)
    folder = Path(tempfile.mkdtemp(prefix="mlq-bench-"))
    store = await open_store(sqlite_url(folder / "bench.db"))
    users = [f"user:discord:{GUILD}:{MEMBER.id}"]
    await fill_history(store, HISTORY, users + [f"user:discord:{GUILD}:{n}" for n in range(49)], QUESTIONS)
    bank = QuestionBank(synthetic_questions(QUESTIONS))
    service = PracticeService(
        bank,
        store,
        SystemClock(),
        {},
        ServiceConfig(ZoneInfo("UTC")),
        Rotation(bank, store, random.Random(1)),
    )
    # The bare client connects first (gateway connection 0), mlquestion second (connection 1).
    use_api_url(fake.api_url)
    baseline = StaticClient()
    await baseline.login(fake.token)
    baseline_task = asyncio.create_task(baseline.connect())
    await asyncio.wait_for(baseline.ready.wait(), 30)
    adapter = DiscordAdapter(service, config_for(fake, defer_after=1.5))
    service.register_adapter(adapter)
    await adapter.start()
    ours, cards, base = [], [], []
    rng = random.Random(3)
    for n in range(requests + 30):
        options = rng.choice(
            [{}, {"topic": "keras"}, {"difficulty": "hard"}, {"topic": "tensorflow", "difficulty": "medium"}]
        )
        callback, sent, started = await _callback_time(fake, 1, options)
        await fake.reply_to(sent)
        card = time.perf_counter() - started
        floor, _, _ = await _callback_time(fake, 0, options)
        if n >= 30:
            ours.append(callback)
            cards.append(card)
            base.append(floor)
    await adapter.stop()
    await baseline.close()
    baseline_task.cancel()
    await store.close()
    await fake.close()
    o, c, b = summary(ours), summary(cards), summary(base)

    def ms(value: float) -> str:
        return f"{value * 1000:.2f} ms"

    lines = [
        f"{requests} interactions each, alternating; SQLite store with {QUESTIONS:,} questions and "
        f"{HISTORY:,} history rows. Target: ratio ≤ 1.5 at p50.",
        "",
        "| path | p50 | p99 | ratio p50 | ratio p99 |",
        "|---|---|---|---|---|",
        f"| INTERACTION_CREATE → first callback | {ms(o['p50'])} | {ms(o['p99'])} | "
        f"{o['p50'] / b['p50']:.2f} | {o['p99'] / b['p99']:.2f} |",
        f"| INTERACTION_CREATE → card shown | {ms(c['p50'])} | {ms(c['p99'])} | "
        f"{c['p50'] / b['p50']:.2f} | {c['p99'] / b['p99']:.2f} |",
        f"| baseline: bare discord.py client, static text | {ms(b['p50'])} | {ms(b['p99'])} | 1.00 | 1.00 |",
    ]
    record("Discord /mlquestion latency", lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    asyncio.run(main(parser.parse_args().requests))
