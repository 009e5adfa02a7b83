"""`mlq content …`: lint, count and run the question bank; users' suggestions."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bot.content import suggestion_cli
from bot.content.loader import load_questions
from bot.content.questions import Question


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    content = subparsers.add_parser("content", help="check and count the question bank")
    content_sub = content.add_subparsers(dest="content_command", required=True)
    lint = content_sub.add_parser("lint", help="validate question files; exit 1 on any problem")
    lint.add_argument("path", nargs="?", default=None)
    lint.set_defaults(func=_content_lint)
    stats = content_sub.add_parser("stats", help="counts by topic, difficulty and type")
    stats.add_argument("path", nargs="?", default=None)
    stats.add_argument(
        "--ratings",
        action="store_true",
        help="per question, how people rated it (the configured database) and labels the data contradicts",
    )
    stats.set_defaults(func=_content_stats)
    cache = content_sub.add_parser(
        "cache",
        help="parse the bank into the start-up cache (MLQ_BANK_CACHE_DIR), e.g. while building an image",
    )
    cache.add_argument("path", nargs="?", default=None)
    cache.set_defaults(func=_content_cache)
    snippets = content_sub.add_parser("run-snippets", help="run code snippets and claim checks")
    snippets.add_argument("path", nargs="?", default=None)
    snippets.add_argument("--timeout", type=float, default=120.0)
    snippets.add_argument("-v", "--verbose", action="store_true")
    snippets.add_argument(
        "--python",
        default=None,
        help="run them with this interpreter instead (e.g. a venv with the oldest supported scikit-learn)",
    )
    snippets.add_argument(
        "--importing", default=None, metavar="MODULE", help="only the snippets and checks that import MODULE"
    )
    snippets.add_argument("--checks-only", action="store_true", help="run the claim checks, not the snippets")
    snippets.add_argument("--jobs", type=_positive, default=1, help="how many to run at once (default 1)")
    snippets.add_argument(
        "--fresh",
        action="store_true",
        help="start a new interpreter for each one, even when a warm one has its imports done",
    )
    snippets.set_defaults(func=_content_run)
    suggestion_cli.register(content_sub)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _content_lint(args: argparse.Namespace) -> int:
    result = load_questions(Path(args.path))
    for problem in result.problems:
        print(problem)
    if result.problems:
        print(f"{len(result.problems)} problem(s) in {args.path}", file=sys.stderr)
        return 1
    print(f"{len(result.questions)} question(s) OK in {args.path}")
    return 0


def _content_cache(args: argparse.Namespace) -> int:
    from bot.content.cache import cache_in
    from bot.content.files import question_files
    from bot.ops.settings import load_settings

    cache = cache_in(load_settings().bank_cache_dir)
    if cache is None:
        print("mlq content cache: MLQ_BANK_CACHE_DIR is off, so there is no cache to fill", file=sys.stderr)
        return 2
    root = Path(args.path)
    result = cache.load(root, question_files(root))
    for problem in result.problems:
        print(problem)
    if result.problems:
        print(f"{len(result.problems)} problem(s) in {args.path}: good files cached", file=sys.stderr)
        return 1
    print(f"{len(result.questions)} question(s) of {args.path} cached in {cache.folder}")
    return 0


def _content_stats(args: argparse.Namespace) -> int:
    from bot.content.bank import QuestionBank

    result = load_questions(Path(args.path))
    print(QuestionBank(result.questions).stats().render())
    if args.ratings:
        print("\n" + asyncio.run(_ratings_table(result.questions)))
    if result.problems:
        print(f"\n{len(result.problems)} file problem(s); run `mlq content lint`", file=sys.stderr)
        return 1
    return 0


def _content_run(args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from bot.content.interpreters import POOL
    from bot.content.snippets import SnippetOutcome, imported_modules, run_check, run_snippet

    result = load_questions(Path(args.path))
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    skipped_for: dict[str, int] = {}
    jobs: list[Callable[[], SnippetOutcome]] = []
    for question in result.questions:
        snippets = [] if args.checks_only else [s for s in question.snippets if s.runs]
        checks = list(question.checks)
        if args.importing:
            snippets = [s for s in snippets if args.importing in imported_modules(s.code)]
            checks = [c for c in checks if args.importing in imported_modules(c.code)]
        warm = None if args.fresh else POOL
        jobs += [partial(run_snippet, question, s, args.timeout, args.python, warm) for s in snippets]
        jobs += [partial(run_check, question, c, args.timeout, args.python, warm) for c in checks]
    # Each job is a subprocess, so threads are enough to keep every core busy.
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for outcome in pool.map(lambda job: job(), jobs):
            if outcome.skipped_reason:
                counts["skipped"] += 1
                skipped_for[outcome.skipped_reason] = skipped_for.get(outcome.skipped_reason, 0) + 1
                if args.verbose:
                    print(f"{outcome.path}:{outcome.line}: skipped: {outcome.skipped_reason}")
            elif not outcome.passed:
                counts["failed"] += 1
                print(f"{outcome.path}:{outcome.line}: FAILED: {outcome.detail}")
            else:
                counts["passed"] += 1
                if args.verbose:
                    print(f"{outcome.path}:{outcome.line}: ok")
    for problem in result.problems:
        print(problem)
    for reason, count in sorted(skipped_for.items()):
        print(f"skipped {count}: {reason} (install the snippet libraries: pip install -e '.[snippets]')")
    passed, failed, skipped = counts["passed"], counts["failed"], counts["skipped"]
    print(f"snippets and claim checks run: {passed} held, {failed} failed, {skipped} skipped")
    if counts["skipped"] and not (counts["passed"] or counts["failed"]):
        return 1  # nothing was actually checked: not a success
    return 1 if counts["failed"] or result.problems else 0


async def _ratings_table(questions: list[Question]) -> str:
    from bot.ops.settings import load_settings
    from bot.practice.difficulty import difficulty_evidence, render_evidence
    from bot.store import opened_store

    async with opened_store(load_settings().store_url) as store:
        first = await store.first_ratings()
    return "difficulty from data (first ratings):\n" + render_evidence(difficulty_evidence(questions, first))
