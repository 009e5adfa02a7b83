"""Saying when something comes back: one rule for relative dates, steady from one reply to the next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.schedule.clock import until

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ahead", "words"),
    [
        (timedelta(0), "now"),
        (timedelta(seconds=-5), "now"),
        (timedelta(hours=3), "within a day (2026-11-23 10:00 UTC)"),
        (timedelta(days=1), "within a day (2026-11-24 07:00 UTC)"),
        (timedelta(days=1, seconds=1), "within 2 days (2026-11-24 07:00 UTC)"),
        (timedelta(days=1.5), "within 2 days (2026-11-24 19:00 UTC)"),
        (timedelta(days=6, hours=23), "within 7 days (2026-11-30 06:00 UTC)"),
    ],
)
def test_until_counts_whole_days_rounded_up(ahead: timedelta, words: str) -> None:
    """Days left are rounded up, then the instant in UTC; once due it is "now"."""
    assert until(NOW + ahead, NOW) == words


@pytest.mark.parametrize("ahead", [timedelta(days=1), timedelta(days=1.5), timedelta(days=3)])
def test_the_same_instant_reads_the_same_seconds_later(ahead: timedelta) -> None:
    """A due date said in a reply and again four seconds later is said with the same words."""
    assert until(NOW + ahead, NOW) == until(NOW + ahead, NOW + timedelta(seconds=4))
