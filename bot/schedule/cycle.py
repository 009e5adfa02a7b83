"""What the parts of the daily cycle share: settings, collaborators and the stop flag."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.content.bank import QuestionBank
from bot.ops.metrics import Metrics
from bot.practice.flows import Practice
from bot.records import PostRecord, Subscription
from bot.schedule.clock import Clock
from bot.schedule.selection import Rotation
from bot.seam import ChatAdapter, DestinationUnavailable
from bot.store import Store

log = logging.getLogger(__name__)
PLATFORM_PAUSE_PREFIX = "platform: "


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    default_zone: ZoneInfo
    default_post_time: time = time(9, 0)
    post_grace: timedelta = timedelta(hours=2)
    lease: timedelta = timedelta(minutes=5)
    share_reveal_after: timedelta = timedelta(hours=1)
    send_concurrency: int = 10


class ScheduleListener(Protocol):
    """Told when the timing of future work changes (the scheduler implements it)."""

    async def subscription_changed(self, subscription_id: int) -> None: ...

    async def post_sent(self, post: PostRecord) -> None: ...


def new_owner_id() -> str:
    """Return an id naming this process in claims (host, pid and a random part)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(slots=True)
class CycleContext:
    """The collaborators of the posting and revealing paths; no state beyond them but `stopping`."""

    bank: QuestionBank
    store: Store
    clock: Clock
    adapters: dict[str, ChatAdapter]
    config: ServiceConfig
    rotation: Rotation
    owner: str
    listeners: list[ScheduleListener]
    metrics: Metrics
    practice: Practice | None = None
    # Set on shutdown: catch-up loops stop taking new work; sends already started finish.
    stopping: bool = False

    async def pause_unavailable(self, subscription: Subscription, exc: DestinationUnavailable) -> None:
        await self.store.set_paused(subscription.id, True, PLATFORM_PAUSE_PREFIX + exc.code, self.clock.now())
        log.error(
            "paused subscription=%s destination=%s: the platform said %s",
            subscription.id,
            subscription.destination.key,
            exc.code,
        )

    async def subscription_of(self, post: PostRecord) -> Subscription | None:
        if post.subscription_id is None:
            return None
        return await self.store.get_subscription_by_id(post.subscription_id)


async def gather_logged(work: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run the work concurrently; a failure of one item (e.g. the database) is logged, not fatal."""
    for result in await asyncio.gather(*work, return_exceptions=True):
        if isinstance(result, BaseException):
            log.error("catch-up item failed", exc_info=result)
