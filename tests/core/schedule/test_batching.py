"""Group commit: concurrent items share a write, errors reach each waiter, cancelled items are dropped."""

from __future__ import annotations

import asyncio

import pytest

from bot.schedule.batching import GroupCommit


class Writes:
    """Records each batch written; can be told to fail, or to wait until released."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.fail = False
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, items: list[int]) -> list[int]:
        await self.release.wait()
        if self.fail:
            raise ConnectionError("database gone")
        self.batches.append(items)
        return [item * 10 for item in items]


async def test_items_added_together_share_one_write_and_get_their_own_results() -> None:
    """Five items at once: one write, each waiter gets its item's result."""
    writes = Writes()
    commit = GroupCommit(writes)
    assert await asyncio.gather(*(commit.add(n) for n in range(5))) == [0, 10, 20, 30, 40]
    assert writes.batches == [[0, 1, 2, 3, 4]]


async def test_items_added_during_a_write_go_in_the_next_one() -> None:
    """While the first write is held, two more items arrive: they are written together after it."""
    writes = Writes()
    writes.release.clear()
    commit = GroupCommit(writes)
    first = asyncio.create_task(commit.add(1))
    await asyncio.sleep(0)
    later = [asyncio.create_task(commit.add(n)) for n in (2, 3)]
    await asyncio.sleep(0)
    writes.release.set()
    await asyncio.gather(first, *later)
    assert writes.batches == [[1], [2, 3]]


async def test_a_failed_write_raises_in_every_waiter_of_its_batch() -> None:
    """The database error reaches each item's caller, to be logged where the item is known."""
    writes = Writes()
    writes.fail = True
    commit = GroupCommit(writes)
    results = await asyncio.gather(commit.add(1), commit.add(2), return_exceptions=True)
    assert [type(result) for result in results] == [ConnectionError, ConnectionError]


async def test_an_item_whose_waiter_was_cancelled_before_its_write_is_not_written() -> None:
    """A send cancelled while waiting for its mark is not recorded as starting."""
    writes = Writes()
    writes.release.clear()
    commit = GroupCommit(writes)
    first = asyncio.create_task(commit.add(1))
    await asyncio.sleep(0)
    gone = asyncio.create_task(commit.add(2))
    kept = asyncio.create_task(commit.add(3))
    await asyncio.sleep(0)
    gone.cancel()
    writes.release.set()
    assert list(await asyncio.gather(first, kept)) == [10, 30]
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert writes.batches == [[1], [3]]
