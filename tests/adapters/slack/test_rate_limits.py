"""The daily cycle on Slack under Slack's stated rate limits: paced to them, fair across workspaces,
and still exactly once after a crash when history reads are one a minute."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from bot.schedule.clock import FakeClock
from bot.seam import Destination
from bot.service import PracticeService
from bot.store import SqlStore
from tests.support.slack_support import POST_AT, REVEAL_AT, FakeSlack, SlackWorld


async def subscribe(world: SlackWorld, team: str, count: int) -> list[str]:
    """Subscribe `count` channels of workspace `team` (the fake learns whose they are)."""
    channels = [f"C{team}{n:03d}" for n in range(count)]
    for channel in channels:
        world.fake.channel_teams[channel] = team
        await world.subscribe(where=Destination("slack", channel, team))
    return channels


def posts_by_channel(fake: FakeSlack) -> Counter[str]:
    return Counter(str(call["channel"]) for call in fake.calls_to("chat.postMessage"))


async def test_a_fan_out_past_a_workspace_budget_is_paced_without_a_single_429(
    paced_world: SlackWorld,
) -> None:
    """40 channels of one workspace (its burst is 30): all posted once, none refused."""
    channels = await subscribe(paced_world, "T0ONE", 40)
    counts = await paced_world.run_due_at(POST_AT)
    assert counts["posted"] == 40
    assert posts_by_channel(paced_world.fake) == Counter(channels)
    assert paced_world.fake.ratelimited == []


async def test_small_workspaces_go_out_among_the_first_while_a_large_one_is_paced(
    paced_world: SlackWorld,
) -> None:
    """A workspace of 60 channels subscribed first, then 4 of 2: the 8 small ones are among the first 20
    posts Slack receives."""
    await subscribe(paced_world, "T0BIG", 60)
    small = [c for team in ("T1", "T2", "T3", "T4") for c in await subscribe(paced_world, team, 2)]
    await paced_world.run_due_at(POST_AT)
    order = [str(call["channel"]) for call in paced_world.fake.calls_to("chat.postMessage")]
    assert len(order) == 68 and set(small) <= set(order[:20])
    assert paced_world.fake.ratelimited == []


async def test_after_a_crash_lookups_at_one_a_minute_find_each_post_and_send_none_twice(
    paced_world: SlackWorld,
    service_factory: Callable[..., PracticeService],
    store: SqlStore,
    clock: FakeClock,
) -> None:
    """Three posts reached Slack before their process died: the takeover reads each channel's history
    in turn (one read a minute, Slack's time), adopts every post, and reveals into their threads."""
    channels = await subscribe(paced_world, "T0ONE", 3)
    adapter = paced_world.adapter
    crashed = service_factory(adapters={"slack": adapter}, owner="crashed")
    clock.set(POST_AT)
    for subscription in await store.list_subscriptions():
        claim = await store.claim_post(
            subscription.id, POST_AT.date(), POST_AT, REVEAL_AT, clock.now(), crashed.config.lease, "crashed"
        )
        assert claim is not None
        await store.set_post_question(claim.post_id, "keras-easy")
        await store.mark_posts_sending([claim.post_id], clock.now())
        await adapter.client.chat_postMessage(
            channel=subscription.destination.channel_id,
            text="Daily question",
            metadata={"event_type": "mlq_delivery", "event_payload": {"key": f"mlq-post-{claim.post_id}"}},
        )
    clock.advance(crashed.config.lease + timedelta(seconds=1))
    survivor = service_factory(adapters={"slack": adapter}, owner="survivor")
    assert (await survivor.run_due())["posted"] == 3
    assert posts_by_channel(paced_world.fake) == Counter(channels)
    assert len(paced_world.fake.calls_to("conversations.history")) == 3
    clock.set(REVEAL_AT)
    assert (await survivor.run_due())["reveal-revealed"] == 3
    assert paced_world.fake.ratelimited == []
