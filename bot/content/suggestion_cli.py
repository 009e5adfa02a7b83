"""`mlq content suggestions` and `mlq content accept ID`: moderating suggested questions."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.content.suggestions import SuggestionError, accept_draft
from bot.ops.settings import load_settings
from bot.records import Suggestion
from bot.text import for_terminal


async def _suggestions() -> list[Suggestion]:
    from bot.store import opened_store  # the database libraries load only for commands that use them

    async with opened_store(load_settings().store_url) as store:
        return await store.list_suggestions()


async def _mark_accepted(suggestion_id: int, path: Path) -> None:
    from bot.store import opened_store

    async with opened_store(load_settings().store_url) as store:
        await store.mark_suggestion_accepted(suggestion_id, str(path))


def _list(args: argparse.Namespace) -> int:
    shown = [s for s in asyncio.run(_suggestions()) if args.all or s.status == "new"]
    if not shown:
        print("no new suggestions" if not args.all else "no suggestions")
        return 0
    for s in shown:
        first = (s.question.strip().splitlines() or [""])[0][:70]
        labels = " ".join(filter(None, (s.topic, s.difficulty))) or "no topic"
        where = f" → {s.accepted_path}" if s.accepted_path else ""
        line = f"#{s.id}  {s.created_at:%Y-%m-%d}  [{s.status}] ({labels})  {first}  — {s.user_key}{where}"
        # Users wrote this: an escape sequence in it is shown as text, never obeyed by the terminal.
        print(for_terminal(line))
    return 0


def _accept(args: argparse.Namespace) -> int:
    suggestion = next((s for s in asyncio.run(_suggestions()) if s.id == args.id), None)
    if suggestion is None:
        print(
            f"mlq content accept: no suggestion #{args.id} (see `mlq content suggestions --all`)",
            file=sys.stderr,
        )
        return 1
    if suggestion.status == "accepted":
        print(
            f"mlq content accept: #{args.id} was already accepted as {suggestion.accepted_path}",
            file=sys.stderr,
        )
        return 1
    root = Path(args.dir)
    bank = Path(args.bank) if args.bank else load_settings().content_dir
    try:
        path, problems = accept_draft(suggestion, args.topic, args.difficulty, root, bank)
    except SuggestionError as exc:
        print(f"mlq content accept: {exc}", file=sys.stderr)
        return 1
    asyncio.run(_mark_accepted(args.id, path))
    print(f"wrote {path} (status: draft)")
    if problems:
        print("to finish before review (what `mlq content lint` will ask for):")
        for problem in problems:
            print(f"  {problem}")
    return 0


def register(content_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listing = content_sub.add_parser("suggestions", help="list questions users suggested")
    listing.add_argument("--all", action="store_true", help="include accepted ones")
    listing.set_defaults(func=_list)
    accept = content_sub.add_parser("accept", help="write a suggestion as a draft question file")
    accept.add_argument("id", type=int)
    accept.add_argument("--topic", help="the bank topic (default: the one suggested)")
    accept.add_argument("--difficulty", help="easy, medium or hard (default: suggested, else medium)")
    accept.add_argument(
        "--dir",
        default="content/suggested",
        help="where drafts go (default content/suggested: outside the bank, so never asked unfinished)",
    )
    accept.add_argument("--bank", help="the bank, to keep ids unique (default: MLQ_CONTENT_DIR)")
    accept.set_defaults(func=_accept)
