"""When a subscription posts and reveals: local wall-clock rules turned into UTC instants.

The scheduler, `mlq schedule show` and the catch-up at start-up all use these functions, so what
the CLI prints is what the bot does. Rules for daylight-saving changes:
- a local time that does not exist that day (spring forward) is posted at the first valid instant
  after it, which is the instant the clocks jump;
- a local time that happens twice (fall back) is posted once, at its first occurrence.
"""

from __future__ import annotations

import difflib
import functools
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.schedule.skip_days import SkipDays
from bot.text import shown

NO_SKIPS = SkipDays()

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_DAYS: frozenset[int] = frozenset(range(5))
DEFAULT_REVEAL_AFTER = timedelta(hours=6)
_DAY_NAMES = {
    **{d: i for i, d in enumerate(WEEKDAYS)},
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}
_DAY_SETS = {
    "daily": frozenset(range(7)),
    "everyday": frozenset(range(7)),
    "weekdays": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
}


class ScheduleError(ValueError):
    """A time, zone, day list or reveal rule a user gave that we cannot use."""


def parse_time(text: str) -> time:
    """Parse HH:MM (24-hour)."""
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text.strip())
    if not match:
        raise ScheduleError(f"time {shown(text)!r} is not HH:MM on a 24-hour clock (e.g. 09:30)")
    return time(int(match.group(1)), int(match.group(2)))


# Files of the zone database that name no place (`localtime` is whatever the host is set to).
_NOT_ZONES = frozenset({"localtime", "posixrules", "factory"})
_ZONE_EXAMPLES = "IANA names such as Europe/Berlin or America/New_York"


@functools.cache
def _zone_names() -> dict[str, str]:
    """Every IANA zone name, by its lower-case form."""
    return {n.lower(): n for n in zoneinfo.available_timezones() if n.lower() not in _NOT_ZONES}


def zone_names() -> list[str]:
    """Every zone name `parse_zone` accepts, sorted (for autocompletion)."""
    return sorted(_zone_names().values())


def zone_key(text: str) -> str | None:
    """Return the IANA name meant, matched case-insensitively with spaces for underscores
    (`europe/london` → `Europe/London`), or None if there is no such zone."""
    return _zone_names().get(text.strip().replace(" ", "_").lower())


def parse_zone(text: str) -> ZoneInfo:
    """Parse an IANA time-zone name such as Europe/Berlin, in any letter case.

    Only names in the zone database are tried, so a folder (`America/Argentina`), a path or a
    NUL byte is refused with the closest valid names instead of reaching the file system.
    """
    key = zone_key(text)
    if key is None and not _zone_names():  # no zone list on this system: let zoneinfo decide
        key = text.strip()
    try:
        if key is not None:
            return ZoneInfo(key)
    except (ZoneInfoNotFoundError, OSError, ValueError):
        pass
    raise ScheduleError(_unknown_zone(text))


def _unknown_zone(text: str) -> str:
    """Say that a zone is unknown and suggest the closest valid names."""
    name = shown(text.strip())
    typed = name.removesuffix("…").replace(" ", "_").lower().strip("/")
    names = _zone_names()
    inside = sorted(zone for low, zone in names.items() if typed and low.startswith(typed + "/"))
    if inside:
        listed = ", ".join(inside[:4]) + (", …" if len(inside) > 4 else "")
        return f"unknown time zone {name!r}: it is a region of {len(inside)} zones, pick one ({listed})"
    # The same place under its region (`london` → Europe/London), then names spelt alike.
    same_place = sorted(zone for low, zone in names.items() if "/" not in typed and low.endswith("/" + typed))
    alike = [names[low] for low in difflib.get_close_matches(typed, list(names), n=3, cutoff=0.6)]
    close = list(dict.fromkeys(same_place + alike))[:3]
    if close:
        return f"unknown time zone {name!r}: did you mean {' or '.join(close)}? ({_ZONE_EXAMPLES})"
    return f"unknown time zone {name!r}: use {_ZONE_EXAMPLES}"


def parse_days(text: str) -> frozenset[int]:
    """Parse weekdays: `mon-fri`, `mon,wed,fri`, `daily`, `weekdays`, `weekends`."""
    spec = text.strip().lower()
    if spec in _DAY_SETS:
        return _DAY_SETS[spec]
    days: set[int] = set()
    for part in filter(None, spec.split(",")):
        if "-" in part:
            first, _, last = part.partition("-")
            start, end = _day(first, text), _day(last, text)
            span = range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)]
            days.update(span)
        else:
            days.add(_day(part, text))
    if not days:
        raise ScheduleError(f"no weekdays in {shown(text)!r}")
    return frozenset(days)


def _day(word: str, whole: str) -> int:
    try:
        return _DAY_NAMES[word.strip()]
    except KeyError:
        raise ScheduleError(
            f"unknown weekday {shown(word)!r} in {shown(whole)!r}: use mon tue wed thu fri sat sun, "
            "ranges like mon-fri, lists like mon,wed,fri, or daily/weekdays/weekends"
        ) from None


def format_days(days: frozenset[int]) -> str:
    """Return the short form of a weekday set, e.g. `mon-fri` or `mon,wed,fri`."""
    for name, value in _DAY_SETS.items():
        if days == value and name != "everyday":
            return {"weekdays": "mon-fri", "weekends": "sat,sun"}.get(name, name)
    ordered = sorted(days)
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{WEEKDAYS[ordered[0]]}-{WEEKDAYS[ordered[-1]]}"
    return ",".join(WEEKDAYS[d] for d in ordered)


def parse_duration(text: str) -> timedelta:
    """Parse a reveal delay such as `6h`, `90m` or `1h30m`."""
    match = re.fullmatch(r"(?:(\d{1,2})h)?(?:(\d{1,4})m)?", text.strip().lower())
    if not match or not any(match.groups()):
        raise ScheduleError(f"duration {shown(text)!r} is not like 6h, 90m or 1h30m")
    delta = timedelta(hours=int(match.group(1) or 0), minutes=int(match.group(2) or 0))
    if not timedelta(minutes=1) <= delta <= timedelta(hours=72):
        raise ScheduleError(f"reveal delay {text!r} must be between 1m and 72h")
    return delta


@dataclass(frozen=True, slots=True)
class RevealRule:
    """Reveal either a fixed delay after the post, or at a local time (the first after the post)."""

    after: timedelta | None = DEFAULT_REVEAL_AFTER
    at: time | None = None

    def __post_init__(self) -> None:
        if (self.after is None) == (self.at is None):
            raise ValueError("a reveal rule is either a delay (after) or a local time (at)")

    @property
    def delay(self) -> timedelta:
        """The delay of an `after` rule (zero for an `at` rule)."""
        return self.after if self.after is not None else timedelta(0)

    def describe(self) -> str:
        if self.at is not None:
            return f"at {self.at:%H:%M}"
        total = int(self.delay.total_seconds())
        hours, minutes, seconds = total // 3600, total % 3600 // 60, total % 60
        parts = [(hours, "h"), (minutes, "m"), (seconds, "s")]
        return "after " + "".join(f"{n}{unit}" for n, unit in parts if n)


@dataclass(frozen=True, slots=True)
class Schedule:
    """A subscription's timing: local post time, zone, weekdays, reveal rule and days it skips."""

    post_time: time
    zone: ZoneInfo
    days: frozenset[int] = DEFAULT_DAYS
    reveal: RevealRule = RevealRule()
    skip: SkipDays = NO_SKIPS

    def posts_on(self, day: date) -> bool:
        """True if the local date is a scheduled weekday that is not a holiday or skipped date."""
        return day.weekday() in self.days and self.skip.reason(day) is None


@dataclass(frozen=True, slots=True)
class Slot:
    """One scheduled day: the local date it belongs to, and its post and reveal instants (UTC)."""

    local_date: date
    post_at: datetime
    reveal_at: datetime


def local_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """Return the UTC instant a wall-clock time happens on a date, first occurrence, gaps resolved."""
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    # In a gap fold=0 reads the wall time with the old offset and lands after the jump; fold=1 with
    # the new offset and lands before it. The first valid instant after the wall time is the jump
    # itself: the earliest instant in between whose wall clock reads at or past the asked time.
    low = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = first
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    # Transitions fall on whole seconds; round the bisection's result up to one.
    return high.replace(microsecond=0) + timedelta(seconds=1) if high.microsecond else high


def slot_for(schedule: Schedule, day: date) -> Slot:
    """Return the slot of a local date (whether or not the date is a scheduled weekday)."""
    post_at = local_instant(day, schedule.post_time, schedule.zone)
    return Slot(day, post_at, reveal_instant(schedule, post_at))


def reveal_instant(schedule: Schedule, post_at: datetime) -> datetime:
    """Return when a question posted at post_at is revealed under the schedule's rule."""
    rule = schedule.reveal
    if rule.at is None:
        return post_at + rule.delay
    day = post_at.astimezone(schedule.zone).date()
    for offset in range(3):
        candidate = local_instant(day + timedelta(days=offset), rule.at, schedule.zone)
        if candidate > post_at:
            return candidate
    raise AssertionError("a local time always recurs within two days")


def slots_from(schedule: Schedule, start_day: date) -> Iterator[Slot]:
    """Yield the scheduled slots from a local date onwards, in order."""
    day = start_day
    while True:
        if schedule.posts_on(day):
            yield slot_for(schedule, day)
        day += timedelta(days=1)


def next_slots(schedule: Schedule, after: datetime, count: int) -> list[Slot]:
    """Return the next `count` slots whose post instant is at or after `after`."""
    start = after.astimezone(schedule.zone).date() - timedelta(days=1)
    result: list[Slot] = []
    for slot in slots_from(schedule, start):
        if slot.post_at >= after:
            result.append(slot)
            if len(result) == count:
                break
    return result


def latest_slot(schedule: Schedule, at_or_before: datetime) -> Slot | None:
    """Return the most recent scheduled slot whose post instant is at or before the given instant."""
    day = at_or_before.astimezone(schedule.zone).date() + timedelta(days=1)
    for _ in range(9):
        if schedule.posts_on(day):
            slot = slot_for(schedule, day)
            if slot.post_at <= at_or_before:
                return slot
        day -= timedelta(days=1)
    return None


def skipped_days(schedule: Schedule, after: datetime, until: datetime) -> list[tuple[date, str]]:
    """Return the scheduled weekdays between two instants that are skipped, with the reason."""
    day = after.astimezone(schedule.zone).date()
    last = until.astimezone(schedule.zone).date()
    skipped = []
    while day <= last:
        reason = schedule.skip.reason(day) if day.weekday() in schedule.days else None
        if reason is not None:
            skipped.append((day, reason))
        day += timedelta(days=1)
    return skipped
