"""`mlq schedule show`: the next post and reveal instants, by the code the scheduler uses."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, timedelta

from bot.schedule.rules import (
    DEFAULT_DAYS,
    RevealRule,
    Schedule,
    ScheduleError,
    local_instant,
    next_slots,
    parse_days,
    parse_duration,
    parse_time,
    parse_zone,
    skipped_days,
)
from bot.schedule.skip_days import SkipDays, parse_country, parse_dates

EXIT_USAGE = 2


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
    show.add_argument("--count", type=int, default=5)
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=_schedule_show)


def _schedule_show(args: argparse.Namespace) -> int:
    try:
        zone = parse_zone(args.tz)
        schedule = Schedule(
            post_time=parse_time(args.time),
            zone=zone,
            days=parse_days(args.days) if args.days else DEFAULT_DAYS,
            reveal=_reveal_rule(args),
            skip=SkipDays(
                parse_country(args.holidays) if args.holidays else None,
                parse_dates(args.skip) if args.skip else frozenset(),
            ),
        )
        start = (
            local_instant(date.fromisoformat(args.start), parse_time("00:00"), zone)
            if args.start
            else datetime.now(UTC)
        )
    except (ScheduleError, ValueError) as exc:
        print(f"mlq schedule show: {exc}", file=sys.stderr)
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
    print(f"{'date':<12}{'post (local)':<28}{'post (UTC)':<20}{'reveal (local)':<28}reveal (UTC)")
    rows: list[tuple[date, str]] = []
    for s in slots:
        post_local, reveal_local = s.post_at.astimezone(zone), s.reveal_at.astimezone(zone)
        rows.append(
            (
                s.local_date,
                f"{s.local_date!s:<12}{post_local:%a %H:%M %Z (%z)}{'':<8}"
                f"{s.post_at:%Y-%m-%d %H:%M}Z    {reveal_local:%a %H:%M %Z (%z)}{'':<8}"
                f"{s.reveal_at:%Y-%m-%d %H:%M}Z",
            )
        )
    rows += [(day, f"{day!s:<12}skipped: {reason}") for day, reason in skipped]
    for _, row in sorted(rows, key=lambda r: r[0]):
        print(row)
    return 0


def _reveal_rule(args: argparse.Namespace) -> RevealRule:
    if args.reveal_at:
        return RevealRule(after=None, at=parse_time(args.reveal_at))
    if args.reveal_after:
        return RevealRule(after=parse_duration(args.reveal_after), at=None)
    return RevealRule(after=timedelta(hours=6))
