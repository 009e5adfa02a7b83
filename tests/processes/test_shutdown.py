"""SIGTERM: sends in flight finish and are recorded, connections close, the process exits 0 within 10 s."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store.sql_store import normalise_url
from tests.support.process_support import fresh_database, start_bot, subscribe_due_now
from tests.support.slack_support import FakeSlack


async def test_sigterm_mid_fan_out_records_every_send_that_started_and_exits_0(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """Each write takes 1 s at the fake; SIGTERM arrives during the first ones: whatever reached
    Slack is recorded as sent, nothing is left claimed, and the process exits 0 inside 10 s."""
    fake_slack.write_delay = 1.0
    async with fresh_database() as url:
        await subscribe_due_now(url, 20, reveal_after=timedelta(hours=1))
        bot = await start_bot(url, fake_slack, tmp_path)
        await fake_slack.wait_until(lambda: bool(fake_slack.calls_to("chat.postMessage")), timeout=60)
        code = await bot.terminate(timeout=10)
        engine = create_async_engine(normalise_url(url))
        async with engine.connect() as conn:
            rows: dict[str, int] = dict(
                (await conn.execute(text("SELECT status, count(*) FROM posts GROUP BY status"))).all()
            )
        await engine.dispose()
    log = bot.log()
    delivered = sum(len(messages) for messages in fake_slack.messages.values())
    assert code == 0, log[-2000:]
    assert rows.get("sent", 0) == delivered >= 1, (rows, delivered)
    assert rows.get("claimed", 0) == 0, rows
    assert "stopped" in log and "Traceback" not in log
