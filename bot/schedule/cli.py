"""`mlq schedule show`: the next post and reveal instants, by the code the scheduler uses."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.exits import EXIT_USAGE
from bot.schedule.rules import (
    DEFAULT_DAYS,
    RevealRule,
    Schedule,
    ScheduleError,
    Slot,
    local_instant,
    next_slots,
    parse_days,
    parse_duration,
    parse_time,
    parse_zone,
    skipped_days,
)
from bot.schedule.skip_days import SkipDays, parse_country, parse_dates

T = TypeVar("T")
MAX_COUNT = 1000  # slots `--count` may ask for: years of weekdays


def _count(text: str) -> int:
    """Parse `--count`: a whole number from 1 to MAX_COUNT (argparse names the flag on error)."""
    try:
        count = int(text)
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_COUNT} (got {text!r})")
    return count


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    schedule = subparsers.add_parser("schedule", help="inspect schedules")
    schedule_sub = schedule.add_subparsers(dest="schedule_command", required=True)
    show = schedule_sub.add_parser("show", help="the next post and reveal instants of a schedule")
    show.add_argument("--time", required=True, help="local post time, HH:MM")
    show.add_argument("--tz", required=True, help="IANA time zone, e.g. Europe/Berlin")
    show.add_argument("--days", help="weekdays, e.g. mon-fri (default), daily, mon,wed,fri")
    reveal = show.add_mutually_exclusive_group()
    reveal.add_argument("--reveal-after", help="e.g. 6h (default), 90m")
    reveal.add_argument("--reveal-at", help="local reveal time, HH:MM")
    show.add_argument("--holidays", help="skip public holidays of a country, e.g. GB, US-NY")
    show.add_argument("--skip", help="skip dates, e.g. 2026-12-24,2026-12-31")
    show.add_argument("--from", dest="start", help="first local date, YYYY-MM-DD (default: now)")
    show.add_argument("--count", type=_count, default=5, help=f"how many posts, 1 to {MAX_COUNT} (default 5)")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=_schedule_show)


class _FlagError(ValueError):
    """A flag's value we cannot use; the message starts with the flag."""


def _flag(flag: str, parse: Callable[[str], T], value: str) -> T:
    """Parse one flag's value; on error, say which flag it was."""
    try:
        return parse(value)
    except (ScheduleError, ValueError) as exc:
        raise _FlagError(f"{flag}: {exc}") from None


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a date ({exc}); use YYYY-MM-DD") from None


def _schedule_show(args: argparse.Namespace) -> int:
    try:
        zone = _flag("--tz", parse_zone, args.tz)
        schedule = Schedule(
            post_time=_flag("--time", parse_time, args.time),
            zone=zone,
            days=_flag("--days", parse_days, args.days) if args.days else DEFAULT_DAYS,
            reveal=_reveal_rule(args),
            skip=SkipDays(
                _flag("--holidays", parse_country, args.holidays) if args.holidays else None,
                _flag("--skip", parse_dates, args.skip) if args.skip else frozenset(),
            ),
        )
        start = (
            local_instant(_flag("--from", _day, args.start), parse_time("00:00"), zone)
            if args.start
            else datetime.now(UTC)
        )
    except _FlagError as exc:
        print(f"mlq schedule show {exc}", file=sys.stderr)
        return EXIT_USAGE
    slots = next_slots(schedule, start, args.count)
    skipped = skipped_days(schedule, start, slots[-1].post_at) if slots else []
    if args.json:
        entries: list[tuple[date, dict[str, str]]] = [
            (
                s.local_date,
                {
                    "local_date": s.local_date.isoformat(),
                    "post_local": s.post_at.astimezone(zone).isoformat(),
                    "post_utc": s.post_at.isoformat(),
                    "reveal_local": s.reveal_at.astimezone(zone).isoformat(),
                    "reveal_utc": s.reveal_at.isoformat(),
                },
            )
            for s in slots
        ]
        entries += [(day, {"local_date": day.isoformat(), "skipped": reason}) for day, reason in skipped]
        print(json.dumps([entry for _, entry in sorted(entries, key=lambda e: e[0])], indent=2))
        return 0
    for line in _table(slots, skipped, zone):
        print(line)
    return 0


HEADER = ("date", "post (local)", "post (UTC)", "reveal (local)", "reveal (UTC)")


def _table(slots: list[Slot], skipped: list[tuple[date, str]], zone: ZoneInfo) -> list[str]:
    """Lay out one row per slot under the header, columns as wide as their widest cell; a skipped
    day's row says why there is no post."""
    cells = {
        s.local_date: (
            s.local_date.isoformat(),
            f"{s.post_at.astimezone(zone):%a %H:%M %Z (%z)}",
            f"{s.post_at:%Y-%m-%d %H:%M}Z",
            f"{s.reveal_at.astimezone(zone):%a %H:%M %Z (%z)}",
            f"{s.reveal_at:%Y-%m-%d %H:%M}Z",
        )
        for s in slots
    }
    widths = [max(len(row[i]) for row in [HEADER, *cells.values()]) for i in range(len(HEADER))]

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()

    rows = {day: line(row) for day, row in cells.items()}
    rows.update({day: f"{day.isoformat().ljust(widths[0])}  no post: {reason}" for day, reason in skipped})
    return [line(HEADER)] + [rows[day] for day in sorted(rows)]


def _reveal_rule(args: argparse.Namespace) -> RevealRule:
    if args.reveal_at:
        return RevealRule(after=None, at=_flag("--reveal-at", parse_time, args.reveal_at))
    if args.reveal_after:
        return RevealRule(after=_flag("--reveal-after", parse_duration, args.reveal_after), at=None)
    return RevealRule(after=timedelta(hours=6))
