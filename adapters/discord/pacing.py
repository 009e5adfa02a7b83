"""A bound on how many daily sends the adapter has in flight, whatever the core's concurrency.

discord.py waits out per-route buckets before it is refused, but it learns of the 50 requests/s
global limit only from a 429: when a second's budget runs out, every request already on its way
is refused once, then sleeps until the next second. Each of those 429s counts towards Discord's
invalid-request ban (10,000 in 10 minutes). A send makes its requests one after another, so with
at most `limit` sends in flight there are at most `limit` global 429s a second: 600 × `limit` in 10
minutes, whatever the size of the fan-out (10 → 6,000, leaving room for refusals the cache did not
predict). Ten sends in flight still fill the global limit at up to 200 ms a request.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, Final, ParamSpec, Protocol, TypeVar

SENDS_IN_FLIGHT: Final = 10

P = ParamSpec("P")
R = TypeVar("R")


class Paced(Protocol):
    in_flight: asyncio.Semaphore


S = TypeVar("S", bound=Paced)


Method = Callable[Concatenate[S, P], Coroutine[Any, Any, R]]


def paced(method: Method[S, P, R]) -> Method[S, P, R]:
    """Run the method inside its object's `in_flight` semaphore."""

    async def bounded(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        async with self.in_flight:
            return await method(self, *args, **kwargs)

    functools.update_wrapper(bounded, method)  # not @wraps: its type loses the ParamSpec for mypy
    return bounded
