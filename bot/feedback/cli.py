"""`mlq feedback QUESTION_ID [--answer-file F] [--json]`: answer feedback from the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from bot.exits import EXIT_USAGE


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    feedback = subparsers.add_parser(
        "feedback", help="check an answer against a question's rubric (covered, missed, wrong)"
    )
    feedback.add_argument("question_id", help="the question's id (its file name without .md)")
    feedback.add_argument("--answer-file", type=Path, help="read the answer from this file (default: stdin)")
    feedback.add_argument("--json", action="store_true", help="print the result as one JSON object")
    feedback.set_defaults(func=_feedback)


def _feedback(args: argparse.Namespace) -> int:
    from bot.content.bank import QuestionBank
    from bot.content.cache import cache_in
    from bot.feedback.engines import feedback_engine
    from bot.feedback.model import FeedbackError
    from bot.feedback.render import feedback_text
    from bot.ops.settings import load_settings

    settings = load_settings()
    bank = QuestionBank.load(settings.content_dir, cache_in(settings.bank_cache_dir))
    question = bank.get(args.question_id)
    if question is None:
        print(f"mlq feedback: no question with id {args.question_id!r} in the bank", file=sys.stderr)
        return EXIT_USAGE
    try:
        answer = args.answer_file.read_text(encoding="utf-8") if args.answer_file else sys.stdin.read()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"mlq feedback: cannot read --answer-file {args.answer_file}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        feedback = asyncio.run(feedback_engine(settings).assess(question, answer))
    except FeedbackError as exc:
        print(f"mlq feedback: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(json.dumps(feedback.as_json(), ensure_ascii=False) if args.json else feedback_text(feedback))
    return 0
