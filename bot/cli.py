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
from bot.content.bank import BankInvalid, BankMissing, QuestionBank
from bot.content.cache import cache_in
from bot.exits import EXIT_FAILED, EXIT_USAGE
from bot.feedback import cli as feedback_cli
from bot.ops.settings import Settings, SettingsError, load_settings
from bot.schedule import cli as schedule_cli
from bot.store.sql_store import StoreUnavailable


class CommandFailed(Exception):
    """End the command with one line on stderr and an exit code, never a traceback."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def _run(args: argparse.Namespace) -> int:
    from bot.app import NoTerminal, RunOptions, run
    from bot.seam import PlatformSetupError

    settings = load_settings()
    try:
        return asyncio.run(run(settings, RunOptions(demo=args.demo)))
    except BankMissing as exc:
        raise CommandFailed(f"refusing to start: {_missing_bank(exc, settings)}") from None
    except BankInvalid as exc:
        print(f"refusing to start: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (PlatformSetupError, NoTerminal) as exc:
        print(f"refusing to start: {exc}", file=sys.stderr)
        return EXIT_USAGE


def load_bank(settings: Settings) -> QuestionBank:
    """Load the configured bank, or fail with one line naming its folder and MLQ_CONTENT_DIR."""
    try:
        return QuestionBank.load(settings.content_dir, cache_in(settings.bank_cache_dir))
    except BankMissing as exc:
        raise CommandFailed(_missing_bank(exc, settings)) from None
    except BankInvalid as exc:
        folder = settings.content_dir
        raise CommandFailed(
            f"the question bank in {folder} (MLQ_CONTENT_DIR) has {len(exc.problems)} problem(s), the "
            f"first: {exc.problems[0]}; `mlq content lint {folder}` lists them all",
            EXIT_FAILED,
        ) from None


def _missing_bank(exc: BankMissing, settings: Settings) -> str:
    if "content_dir" in settings.model_fields_set:
        return f"{exc} (looked there because MLQ_CONTENT_DIR says so): set it to the question bank's folder"
    return (
        f"{exc} (the default folder, relative to where mlq runs): run mlq from the repository's folder, "
        "or set MLQ_CONTENT_DIR to the question bank's folder"
    )


def _ask(args: argparse.Namespace) -> int:
    from adapters.console.render import render_answer, render_question
    from bot.commands import valid_filters_text
    from bot.content.bank import Filters
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
    bank = load_bank(settings)
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

    async def upgrade() -> str:
        store = await open_store(settings.store_url, migrate=False, setting=settings.store_variable)
        try:
            before, after = await store.upgrade()
        finally:
            await store.close()
        if before is None:
            return f"created the database schema (revision {after}) in {store.location}"
        if before != after:
            return f"upgraded the database schema from revision {before} to {after} in {store.location}"
        return f"the database schema in {store.location} is already the latest (revision {after})"

    print(asyncio.run(upgrade()))
    return 0


def _export(args: argparse.Namespace) -> int:
    from bot.store import opened_store
    from bot.store.transfer import dumps, export_store

    settings = load_settings()
    target = Path(args.file)
    if args.file != "-" and not target.parent.is_dir():
        raise CommandFailed(f"mlq export: cannot write {target}: the folder {target.parent} does not exist")

    async def export() -> dict[str, Any]:
        async with opened_store(settings.store_url, settings.store_variable) as store:
            return await export_store(store)

    data = asyncio.run(export())
    text = dumps(data)
    if args.file == "-":
        sys.stdout.write(text)
    else:
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandFailed(f"mlq export: cannot write {target}: {exc.strerror or exc}") from None
    counts = {name: len(rows) for name, rows in data["tables"].items()}
    print("exported " + ", ".join(f"{n} {name}" for name, n in counts.items()), file=sys.stderr)
    return 0


def _import(args: argparse.Namespace) -> int:
    from bot.store import opened_store
    from bot.store.transfer import TransferError, import_store

    settings = load_settings()
    try:
        source = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandFailed(f"mlq import: cannot read {args.file}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CommandFailed(f"mlq import: {args.file} is not a text file (not an export)") from None
    try:
        data = json.loads(source)
    except json.JSONDecodeError as exc:
        print(f"{args.file}:{exc.lineno}: not valid JSON ({exc.msg}); nothing was imported", file=sys.stderr)
        return 1

    async def load() -> dict[str, int]:
        async with opened_store(settings.store_url, settings.store_variable) as store:
            return await import_store(store, data)

    try:
        counts = asyncio.run(load())
    except TransferError as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 1
    print("imported " + ", ".join(f"{n} {name}" for name, n in counts.items()))
    return 0


def _bank_path(args: argparse.Namespace) -> None:
    """Default `mlq content …`'s PATH to the configured bank; refuse one that does not exist."""
    if not hasattr(args, "path"):
        return
    configured = args.path is None
    if configured:
        args.path = str(load_settings().content_dir)
    if not Path(args.path).exists():
        where = " (MLQ_CONTENT_DIR; run mlq from the repository's folder or set it)" if configured else ""
        raise CommandFailed(f"{_name(args)}: {Path(args.path).resolve()} does not exist{where}")


def _name(args: argparse.Namespace) -> str:
    """Return the command as typed, for messages: `mlq content lint`, `mlq db upgrade`…"""
    words = [args.command, getattr(args, f"{args.command}_command", None) or ""]
    return " ".join(["mlq", *filter(None, words)])


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
    try:
        _bank_path(args)
        code: int = args.func(args)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except StoreUnavailable as exc:
        print(f"{_name(args)}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except CommandFailed as exc:
        print(exc, file=sys.stderr)
        return exc.code
    return code


if __name__ == "__main__":
    raise SystemExit(main())
