"""The `mlq` command line: run the bot, ask a question, check the bank, show schedules."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from adapters.discord import cli as discord_cli
from adapters.slack import cli as slack_cli
from bot.content import suggestion_cli
from bot.content.loader import load_questions
from bot.ops.settings import SettingsError, load_settings
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


def _run(args: argparse.Namespace) -> int:
    from bot.app import RunOptions, run
    from bot.content.bank import BankInvalid
    from bot.seam import PlatformSetupError

    settings = load_settings()
    try:
        return asyncio.run(run(settings, RunOptions(demo=args.demo)))
    except BankInvalid as exc:
        print(f"refusing to start: {exc}", file=sys.stderr)
        return 1
    except PlatformSetupError as exc:
        print(f"refusing to start: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _ask(args: argparse.Namespace) -> int:
    from adapters.console.render import render_answer, render_question
    from bot.commands import valid_filters_text
    from bot.content.bank import Filters, QuestionBank
    from bot.content.taxonomy import resolve_difficulty, resolve_topic
    from bot.messages import CardKind, answer_card, question_card

    settings = load_settings()
    topics, difficulties = [], []
    if args.topic:
        topic = resolve_topic(args.topic)
        if topic is None:
            print(f"unknown topic {args.topic!r}. {valid_filters_text()}", file=sys.stderr)
            return EXIT_USAGE
        topics.append(topic)
    if args.difficulty:
        difficulty = resolve_difficulty(args.difficulty)
        if difficulty is None:
            print(f"unknown difficulty {args.difficulty!r}. {valid_filters_text()}", file=sys.stderr)
            return EXIT_USAGE
        difficulties.append(difficulty)
    bank = QuestionBank.load(settings.content_dir)
    matching = bank.matching(Filters(tuple(topics), tuple(difficulties)))
    if not matching:
        print(f"no question matches those filters. {valid_filters_text()}", file=sys.stderr)
        return 1
    question = random.choice(matching)  # noqa: S311 — variety, not security
    zone = ZoneInfo(settings.default_timezone)
    print(render_question(question_card(question, CardKind.ON_DEMAND), zone).rsplit("\n", 1)[0])
    if args.answer:
        print(render_answer(answer_card(question)))
    return 0


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


def _db_upgrade(args: argparse.Namespace) -> int:
    from bot.store import open_store

    settings = load_settings()

    async def upgrade() -> None:
        store = await open_store(settings.store_url)
        await store.close()

    asyncio.run(upgrade())
    print("database is at the latest schema")
    return 0


def _export(args: argparse.Namespace) -> int:
    from bot.store import opened_store
    from bot.store.transfer import dumps, export_store

    settings = load_settings()

    async def export() -> dict[str, Any]:
        async with opened_store(settings.store_url) as store:
            return await export_store(store)

    data = asyncio.run(export())
    text = dumps(data)
    if args.file == "-":
        sys.stdout.write(text)
    else:
        Path(args.file).write_text(text, encoding="utf-8")
    counts = {name: len(rows) for name, rows in data["tables"].items()}
    print("exported " + ", ".join(f"{n} {name}" for name, n in counts.items()), file=sys.stderr)
    return 0


def _import(args: argparse.Namespace) -> int:
    from bot.store import opened_store
    from bot.store.transfer import TransferError, import_store

    settings = load_settings()
    source = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    try:
        data = json.loads(source)
    except json.JSONDecodeError as exc:
        print(f"{args.file}:{exc.lineno}: not valid JSON ({exc.msg}); nothing was imported", file=sys.stderr)
        return 1

    async def load() -> dict[str, int]:
        async with opened_store(settings.store_url) as store:
            return await import_store(store, data)

    try:
        counts = asyncio.run(load())
    except TransferError as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 1
    print("imported " + ", ".join(f"{n} {name}" for name, n in counts.items()))
    return 0


def _content_lint(args: argparse.Namespace) -> int:
    result = load_questions(Path(args.path))
    for problem in result.problems:
        print(problem)
    if result.problems:
        print(f"{len(result.problems)} problem(s) in {args.path}", file=sys.stderr)
        return 1
    print(f"{len(result.questions)} question(s) OK in {args.path}")
    return 0


def _content_stats(args: argparse.Namespace) -> int:
    from bot.content.bank import QuestionBank

    result = load_questions(Path(args.path))
    print(QuestionBank(result.questions).stats().render())
    if result.problems:
        print(f"\n{len(result.problems)} file problem(s); run `mlq content lint`", file=sys.stderr)
        return 1
    return 0


def _content_run(args: argparse.Namespace) -> int:
    from bot.content.snippets import run_snippet

    result = load_questions(Path(args.path))
    failed = 0
    for question in result.questions:
        for snippet in question.snippets:
            if not snippet.runs:
                continue
            outcome = run_snippet(question, snippet, timeout=args.timeout)
            if outcome.skipped_reason:
                print(f"{outcome.path}:{outcome.line}: skipped: {outcome.skipped_reason}")
            elif not outcome.passed:
                failed += 1
                print(f"{outcome.path}:{outcome.line}: FAILED: {outcome.detail}")
            elif args.verbose:
                print(f"{outcome.path}:{outcome.line}: ok")
    for problem in result.problems:
        print(problem)
    return 1 if failed or result.problems else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlq", description="mlquestion: a daily ML interview question bot.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the bot (console + SQLite unless tokens are configured)")
    run.add_argument(
        "--demo",
        action="store_true",
        help="compress a day: post now, reveal after MLQ_DEMO_REVEAL_SECONDS",
    )
    run.set_defaults(func=_run)

    ask = sub.add_parser("ask", help="print one question (and its model answer)")
    ask.add_argument("--topic")
    ask.add_argument("--difficulty")
    ask.add_argument("--answer", action="store_true", help="also print the model answer")
    ask.set_defaults(func=_ask)

    schedule = sub.add_parser("schedule", help="inspect schedules")
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

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply pending migrations")
    upgrade.set_defaults(func=_db_upgrade)

    export = sub.add_parser("export", help="write subscriptions and history as JSON (to move databases)")
    export.add_argument("file", nargs="?", default="-", help="output file (default: stdout)")
    export.set_defaults(func=_export)
    load = sub.add_parser("import", help="load an export into an empty database")
    load.add_argument("file", nargs="?", default="-", help="input file (default: stdin)")
    load.set_defaults(func=_import)

    content = sub.add_parser("content", help="check and count the question bank")
    content_sub = content.add_subparsers(dest="content_command", required=True)
    lint = content_sub.add_parser("lint", help="validate question files; exit 1 on any problem")
    lint.add_argument("path", nargs="?", default=None)
    lint.set_defaults(func=_content_lint)
    stats = content_sub.add_parser("stats", help="counts by topic, difficulty and type")
    stats.add_argument("path", nargs="?", default=None)
    stats.set_defaults(func=_content_stats)
    snippets = content_sub.add_parser("run-snippets", help="execute code snippets, check output")
    snippets.add_argument("path", nargs="?", default=None)
    snippets.add_argument("--timeout", type=float, default=120.0)
    snippets.add_argument("-v", "--verbose", action="store_true")
    snippets.set_defaults(func=_content_run)
    suggestion_cli.register(content_sub)

    slack_cli.register(sub)
    discord_cli.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "count", 1) is not None and getattr(args, "count", 1) < 1:
        print("mlq: --count must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        if getattr(args, "path", "unset") is None:
            args.path = str(load_settings().content_dir)
        code: int = args.func(args)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    return code


if __name__ == "__main__":
    raise SystemExit(main())
