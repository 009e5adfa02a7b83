"""Skipped dates are bounded: `skip` takes at most 50 (and says so), and a subscription saved with
more before the bound still shows its settings within every platform's limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.messages import Notice, NoticeKind, ScheduleCard
from bot.schedule.clock import FakeClock
from bot.schedule.rules import Schedule
from bot.schedule.skip_days import MAX_SKIP_DATES, HolidayError, SkipDays, parse_dates
from bot.seam import Destination
from bot.service import Invocation, PracticeService
from tests.conftest import Subscribe


def dates(count: int, start: date = date(2026, 12, 1)) -> list[date]:
    return [start + timedelta(days=i) for i in range(count)]


def test_skip_takes_at_most_fifty_dates_and_says_so() -> None:
    assert len(parse_dates(",".join(d.isoformat() for d in dates(MAX_SKIP_DATES)))) == 50
    with pytest.raises(HolidayError, match=r"at most 50 dates \(got 260\)"):
        parse_dates(",".join(d.isoformat() for d in dates(260)))


async def test_subscribing_with_260_dates_is_refused_and_nothing_is_saved(
    service: PracticeService, destination: Destination
) -> None:
    """Before, 260 dates were stored and every later `settings` reply broke Slack's section limit."""
    text = "subscribe 09:00 skip " + ",".join(d.isoformat() for d in dates(260))
    [response] = await service.handle_command(Invocation(destination, "U1", is_admin=True), text)
    assert isinstance(response.message, Notice) and response.message.kind is NoticeKind.ERROR
    assert "at most 50 dates" in response.message.text
    assert await service.store.get_subscription(destination) is None


def test_a_long_list_of_dates_is_described_within_bounds() -> None:
    described = SkipDays(None, frozenset(dates(260))).describe()
    assert described.endswith(" and 210 more") and len(described) < 800


async def test_settings_of_a_subscription_saved_with_260_dates_stay_short(
    service: PracticeService,
    subscribe: Subscribe,
    destination: Destination,
    berlin_schedule: Schedule,
    clock: FakeClock,
) -> None:
    """Saved before the bound (straight into the store): settings still answer, briefly."""
    schedule = replace(berlin_schedule, skip=SkipDays("GB", frozenset(dates(260, clock.now().date()))))
    await subscribe(schedule=schedule)
    [response] = await service.handle_command(Invocation(destination, "U1"), "settings")
    card = response.message
    assert isinstance(card, ScheduleCard)
    assert len(card.skips) < 800 and "more" in card.skips
