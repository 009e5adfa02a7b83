"""Group commit: many concurrent sends share one database write, and none waits for a timer.

Each send records that it starts and that it was accepted as it happens (so a crash leaves only
the sends in flight unconfirmed, each found again by one history read), yet the writes stay few:
while one batch commits, the next collects every item that arrives, and is written as one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """Writes items in batches with `write` (one result per item, in order); keeps the waiting items."""

    def __init__(self, write: Callable[[list[T]], Awaitable[Sequence[R]]]) -> None:
        self._write = write
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def add(self, item: T) -> R:
        """Return the item's result once a batch holding it is written (its error if that failed)."""
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._writer is None:
            self._writer = asyncio.create_task(self._drain())
        return await done

    async def _drain(self) -> None:
        try:
            while self._waiting:
                # A waiter cancelled meanwhile (its process stopping) no longer wants its item written:
                # a send recorded as starting that never started would cost a lookup later.
                batch = [(item, done) for item, done in self._waiting if not done.cancelled()]
                self._waiting = []
                if not batch:
                    continue
                try:
                    results = await self._write([item for item, _ in batch])
                except Exception as exc:  # each waiter gets the error: theirs to log in context
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                    continue
                except BaseException:  # cancelled: nobody may wait forever
                    for _, done in batch + self._waiting:
                        done.cancel()
                    raise
                for (_, done), result in zip(batch, results, strict=True):
                    if not done.done():
                        done.set_result(result)
        finally:
            self._writer = None
