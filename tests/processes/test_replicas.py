"""Several `mlq` processes on one PostgreSQL: each daily post and each reveal goes out exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from tests.support.process_support import (
    channels_with,
    delivered_keys,
    fresh_database,
    start_bot,
    subscribe_due_now,
)
from tests.support.slack_support import FakeSlack

REPLICAS = 3
# Enough that all three processes race over the same minute's claims for a while: at Slack's pace of
# about 5 writes a second per workspace (post, reveal, edit: three each), 120 take about 75 s.
SUBSCRIPTIONS = 120


async def test_three_replicas_post_and_reveal_120_subscriptions_exactly_once(
    fake_slack: FakeSlack, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    """3 real processes race over 120 subscriptions due in the same minute; the fake counts every send."""
    async with fresh_database() as url:
        channels = await subscribe_due_now(url, SUBSCRIPTIONS, reveal_after=timedelta(seconds=5))
        # Claims come in chunks of 10 rounds of concurrent sends: 4 at a time makes chunks of 40, so
        # the 120 posts are three chunks for the processes to race over.
        bots = [await start_bot(url, fake_slack, tmp_path, MLQ_SEND_CONCURRENCY="4") for _ in range(REPLICAS)]
        try:

            def revealed() -> bool:
                return len(fake_slack.calls_to("chat.update")) >= SUBSCRIPTIONS

            await fake_slack.wait_until(revealed, timeout=240)
            # Two more catch-up rounds (5 s each): late duplicates would show up here.
            await asyncio.sleep(11)
        finally:
            codes = [await bot.terminate() for bot in bots]
        logs = "\n".join(bot.log() for bot in bots)
        posts, answers = channels_with(fake_slack, "post"), channels_with(fake_slack, "reveal")
        keys = delivered_keys(fake_slack)
        updates = [call["ts"] for call in fake_slack.calls_to("chat.update")]
        per_process = [bot.log().count("posted daily question") for bot in bots]
        record_property(
            "figures",
            f"{REPLICAS} replicas, {SUBSCRIPTIONS} subscriptions: posts sent {sum(posts.values())}, "
            f"channels with a post {len(posts)}, answer messages {sum(answers.values())}, "
            f"parent updates {len(updates)}, repeated keys {sum(n - 1 for n in keys.values())}, "
            f"posts per process {per_process}",
        )
        assert codes == [0] * REPLICAS, logs[-3000:]
        assert set(posts) == set(channels) and set(posts.values()) == {1}
        assert all(count == 1 for count in keys.values())
        posted_ids = {key.removeprefix("mlq-post-") for key in keys if key.startswith("mlq-post-")}
        revealed_ids = {
            key.removeprefix("mlq-reveal-").split(":")[0] for key in keys if key.startswith("mlq-reveal-")
        }
        assert len(posted_ids) == SUBSCRIPTIONS and revealed_ids == posted_ids
        assert len(updates) == len(set(updates)) == SUBSCRIPTIONS
        assert "Traceback" not in logs
