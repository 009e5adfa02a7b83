"""Time as a dependency: the real clock for the bot, a settable one for tests."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Protocol

DAY_SECONDS = 86_400


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current instant as an aware UTC datetime."""
        ...


class SystemClock:
    """The wall clock (stateless)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to; holds the current instant."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def until(instant: datetime, now: datetime) -> str:
    """Say when an instant comes, by one rule wherever the bot says it in words.

    "now" once it is due; otherwise the days left rounded up — "within a day", "within 3 days" —
    then the instant in UTC. Rounding up keeps the words steady: a review due in exactly a day still
    reads "within a day" seconds later, where rounding 1.5 days to the nearest made "in 2 days" turn
    into "in 1 day" between two replies.
    """
    seconds = (instant - now).total_seconds()
    if seconds <= 0:
        return "now"
    days = math.ceil(seconds / DAY_SECONDS)
    span = "within a day" if days == 1 else f"within {days} days"
    return f"{span} ({instant.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"
