"""The `mlq` command line: run the bot, ask a question, check the bank, show schedules."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from adapters.discord import cli as discord_cli
from adapters.slack import cli as slack_cli
from bot.content import cli as content_cli
from bot.feedback import cli as feedback_cli
from bot.ops.settings import SettingsError, load_settings
from bot.schedule import cli as schedule_cli

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

    schedule_cli.register(sub)

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

    content_cli.register(sub)
    feedback_cli.register(sub)
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
