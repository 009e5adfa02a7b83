"""Schedules: local post times turned into UTC instants, correct across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.schedule.rules import (
    RevealRule,
    Schedule,
    ScheduleError,
    format_days,
    latest_slot,
    local_instant,
    next_slots,
    parse_days,
    parse_duration,
    parse_time,
    parse_zone,
)

DAILY = frozenset(range(7))


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "day", "wall", "expected_utc"),
    [
        # Spring forward: 02:00 → 03:00. 02:30 does not exist; the first valid instant is 03:00.
        ("America/New_York", date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 0)),
        ("Europe/Berlin", date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 0)),
        ("Australia/Sydney", date(2026, 10, 4), time(2, 15), utc(2026, 10, 3, 16, 0)),
        # Fall back: 01:30 happens twice; we take the first occurrence (summer offset).
        ("America/New_York", date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
        ("Europe/Berlin", date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
        # Ordinary days on either side.
        ("Europe/Berlin", date(2026, 3, 28), time(9, 0), utc(2026, 3, 28, 8, 0)),
        ("Europe/Berlin", date(2026, 3, 30), time(9, 0), utc(2026, 3, 30, 7, 0)),
    ],
)
def test_local_instant_resolves_gaps_and_repeats(
    zone: str, day: date, wall: time, expected_utc: datetime
) -> None:
    """A missing local time posts at the jump; a repeated one at its first occurrence."""
    assert local_instant(day, wall, ZoneInfo(zone)) == expected_utc


@pytest.mark.parametrize(
    ("zone", "start", "wall"),
    [
        ("America/New_York", date(2026, 3, 5), time(2, 30)),
        ("America/New_York", date(2026, 10, 29), time(1, 30)),
        ("Europe/Berlin", date(2026, 3, 26), time(2, 30)),
        ("Europe/Berlin", date(2026, 10, 22), time(2, 30)),
    ],
)
def test_exactly_one_post_per_local_date_across_a_change(zone: str, start: date, wall: time) -> None:
    """Across a DST change every local date gets exactly one post, in that date."""
    tz = ZoneInfo(zone)
    schedule = Schedule(wall, tz, DAILY)
    slots = next_slots(schedule, local_instant(start, time(0), tz), 7)
    assert [s.local_date for s in slots] == [start + timedelta(days=i) for i in range(7)]
    assert all(s.post_at.astimezone(tz).date() == s.local_date for s in slots)
    assert len({s.post_at for s in slots}) == 7


def test_posts_keep_the_local_time_when_the_offset_changes() -> None:
    """09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer."""
    schedule = Schedule(time(9, 0), ZoneInfo("Europe/Berlin"), DAILY)
    slots = next_slots(schedule, utc(2026, 3, 28, 0, 0), 2)
    assert [s.post_at for s in slots] == [utc(2026, 3, 28, 8, 0), utc(2026, 3, 29, 7, 0)]


def test_weekdays_default_skips_the_weekend() -> None:
    """A Mon–Fri schedule starting on Friday posts Friday, then Monday."""
    schedule = Schedule(time(9, 0), ZoneInfo("UTC"))
    slots = next_slots(schedule, utc(2026, 11, 27, 0, 0), 2)
    assert [s.local_date for s in slots] == [date(2026, 11, 27), date(2026, 11, 30)]


def test_reveal_after_a_delay_counts_real_elapsed_time() -> None:
    """A 6 h delay across the spring jump ends 6 real hours later (local clock shows 7 h)."""
    tz = ZoneInfo("Europe/Berlin")
    schedule = Schedule(time(0, 30), tz, DAILY, RevealRule(after=timedelta(hours=6)))
    slot = next_slots(schedule, utc(2026, 3, 28, 12, 0), 1)[0]
    assert slot.reveal_at - slot.post_at == timedelta(hours=6)
    assert slot.reveal_at.astimezone(tz).time() == time(7, 30)


def test_reveal_at_a_local_time_before_the_post_is_the_next_day() -> None:
    """Posting at 17:00 with reveal at 09:00 reveals next morning."""
    tz = ZoneInfo("Europe/Berlin")
    schedule = Schedule(time(17, 0), tz, DAILY, RevealRule(after=None, at=time(9, 0)))
    slot = next_slots(schedule, utc(2026, 11, 23, 0, 0), 1)[0]
    assert slot.reveal_at.astimezone(tz) == datetime(2026, 11, 24, 9, 0, tzinfo=tz)


def test_latest_slot_finds_the_most_recent_post_at_or_before_now() -> None:
    """On Monday 08:00 UTC the latest Mon–Fri 09:00 Berlin slot is Monday's (08:00 UTC)."""
    schedule = Schedule(time(9, 0), ZoneInfo("Europe/Berlin"))
    today = latest_slot(schedule, utc(2026, 11, 23, 8, 0))
    before = latest_slot(schedule, utc(2026, 11, 23, 7, 59))
    assert today is not None and today.local_date == date(2026, 11, 23)
    assert before is not None and before.local_date == date(2026, 11, 20)


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("mon,wed,fri", {0, 2, 4}),
        ("daily", set(range(7))),
        ("weekends", {5, 6}),
        ("fri-mon", {4, 5, 6, 0}),
        ("Tuesday", {1}),
    ],
)
def test_parse_days(text: str, days: set[int]) -> None:
    """Day lists accept ranges, lists, names and the words daily/weekdays/weekends."""
    assert parse_days(text) == frozenset(days)


def test_format_days_round_trips() -> None:
    """Day sets print in their short form."""
    assert format_days(parse_days("mon-fri")) == "mon-fri"
    assert format_days(parse_days("mon,wed")) == "mon,wed"


@pytest.mark.parametrize(
    ("parse", "text", "fragment"),
    [
        (parse_time, "25:00", "not HH:MM"),
        (parse_time, "9am", "not HH:MM"),
        (parse_zone, "Mars/Olympus", "unknown time zone"),
        (parse_zone, "../etc/passwd", "unknown time zone '../etc/passwd'"),
        (parse_days, "mon-funday", "unknown weekday 'funday'"),
        (parse_duration, "6 hours", "not like 6h"),
        (parse_duration, "0m", "between 1m and 72h"),
    ],
)
def test_bad_input_names_what_is_wrong(parse: object, text: str, fragment: str) -> None:
    """Each parser rejects bad input with a message naming the value."""
    with pytest.raises(ScheduleError, match=fragment):
        parse(text)  # type: ignore[operator]
