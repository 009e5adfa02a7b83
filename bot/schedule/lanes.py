"""Sends grouped by the platform limit they count against, so one busy limit never holds the others.

A platform limits sends per budget it names (Slack: per workspace; a limit key from the adapter).
A send waiting for its budget must not occupy a slot another budget could use: each key gets its
own lane of `width` sends in flight, and the due work is ordered round-robin over the keys, so a
workspace with 500 channels does not delay the first posts of a workspace with five.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable, Hashable, Iterable
from contextlib import asynccontextmanager
from typing import TypeVar

from bot.seam import ChatAdapter, Destination

T = TypeVar("T")
# Lookups of what an earlier attempt sent are paced by slower limits than sends (Slack: one history
# read a minute): they queue in a lane of their own so first attempts never wait behind them.
RECOVERY = "#recovery"


def fair_order(items: Iterable[T], key: Callable[[T], Hashable]) -> list[T]:
    """The items round-robin over their keys (each key's items keep their order)."""
    queues: dict[Hashable, deque[T]] = defaultdict(deque)
    for item in items:
        queues[key(item)].append(item)
    ordered: list[T] = []
    while queues:
        for name in list(queues):
            queue = queues[name]
            ordered.append(queue.popleft())
            if not queue:
                del queues[name]
    return ordered


def limit_key(adapters: dict[str, ChatAdapter], destination: Destination) -> str:
    """The platform budget a send to `destination` counts against (its platform's if no adapter)."""
    adapter = adapters.get(destination.platform)
    return adapter.limit_key(destination) if adapter is not None else destination.platform


class Lanes:
    """At most `width` sends in flight per limit key; keeps one semaphore per key seen (one pass)."""

    def __init__(self, adapters: dict[str, ChatAdapter], width: int) -> None:
        self.adapters = adapters
        self.width = width
        self._lanes: dict[str, asyncio.Semaphore] = {}

    def key(self, destination: Destination, recovery: bool = False) -> str:
        key = limit_key(self.adapters, destination)
        return key + RECOVERY if recovery else key

    @asynccontextmanager
    async def slot(self, destination: Destination, recovery: bool = False) -> AsyncIterator[None]:
        """Hold a slot of the destination's lane (its recovery lane for a retry that looks first)."""
        key = self.key(destination, recovery)
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = asyncio.Semaphore(self.width)
        async with lane:
            yield
