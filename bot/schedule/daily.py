"""The daily cycle: post each subscription's question once per local date, reveal it once.

This module runs the catch-up passes; the post path is in `posting`, the reveal path in `revealing`,
and what they share in `cycle`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from bot.content.questions import Question
from bot.records import PostRecord, Subscription
from bot.schedule.cycle import CycleContext
from bot.schedule.lanes import Lanes, fair_order
from bot.schedule.posting import DailyPoster
from bot.schedule.revealing import Revealer
from bot.schedule.rules import Slot, latest_slot
from bot.schedule.sharing import share
from bot.seam import Destination


class DailyCycle:
    """Runs the catch-up passes over the post and reveal paths; the service and the scheduler call it."""

    def __init__(self, ctx: CycleContext) -> None:
        self.ctx = ctx
        self.poster = DailyPoster(ctx)
        self.revealer = Revealer(ctx)
        # One catch-up pass at a time per process; a request during a pass asks for one more after it.
        self._pass = asyncio.Lock()
        self._again = False

    @property
    def stopping(self) -> bool:
        return self.ctx.stopping

    @stopping.setter
    def stopping(self, value: bool) -> None:
        self.ctx.stopping = value

    @property
    def chunk_size(self) -> int:
        return self.poster.chunk_size

    async def post_slot(self, subscription: Subscription, slot: Slot) -> str:
        """Post one slot's question at most once; return what happened (for logs, metrics and tests)."""
        outcomes = await self.poster.post_slots([(subscription, slot)])
        return outcomes[0] if outcomes else "released"

    async def post_slots(self, items: list[tuple[Subscription, Slot]]) -> list[str]:
        return await self.poster.post_slots(items)

    async def share(
        self,
        destination: Destination,
        question: Question,
        user_id: str,
        share_key: str,
        reveal_after: timedelta,
    ) -> tuple[str, PostRecord | None]:
        return await share(self.ctx, destination, question, user_id, share_key, reveal_after)

    async def reveal(self, post: PostRecord) -> str:
        return await self.revealer.reveal(post)

    async def run_due(self) -> dict[str, int]:
        """Post every slot that is due (or skip it if missed) and reveal every due answer.

        Run at start-up, at wake-ups and periodically; claims make it safe in any number of
        processes. Within a process passes don't overlap: a call during a pass returns at once and
        makes the running pass go round once more, so bursts of wake-ups cost one extra pass.
        """
        if self._pass.locked():
            self._again = True
            return {}
        counts: Counter[str] = Counter()
        async with self._pass:
            while True:
                self._again = False
                counts.update(await self._run_due_once())
                if not self._again or self.ctx.stopping:
                    return dict(counts)

    async def _run_due_once(self) -> dict[str, int]:
        """One pass. Sends run `send_concurrency` at a time per platform limit key (a Slack
        workspace), in round-robin order over the keys: each budget is used as fast as its
        platform allows, and a large workspace does not delay the others."""
        now = self.ctx.clock.now()
        counts: Counter[str] = Counter()
        lanes = Lanes(self.ctx.adapters, self.ctx.config.send_concurrency)
        subscriptions = [
            s
            for s in await self.ctx.store.list_subscriptions()
            if s.destination.platform in self.ctx.adapters
        ]
        latest = [
            (subscription, slot)
            for subscription in subscriptions
            if (slot := latest_slot(subscription.schedule, now)) is not None
        ]
        # Only the dates of these slots (today and perhaps yesterday or tomorrow across zones):
        # every replica reads this at every pass, so days of past posts would cost them all.
        done = await self.ctx.store.post_keys({slot.local_date for _, slot in latest})
        due = fair_order(
            (
                (subscription, slot)
                for subscription, slot in latest
                if (subscription.id, slot.local_date) not in done
            ),
            key=lambda item: lanes.key(item[0].destination),
        )

        await self.poster.post_due(due, lanes, counts)
        awaiting = await self.ctx.store.posts_awaiting_reveal(due_by=now)
        awaiting = fair_order(awaiting, key=lambda p: lanes.key(p.thread.destination) if p.thread else "")
        await self.revealer.reveal_due(awaiting, lanes, counts)
        return dict(counts)
