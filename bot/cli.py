"""The `mlq` command line: run the bot, ask a question, lint the bank, show schedules."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.loader import load_questions

DEFAULT_CONTENT = Path("content/questions")


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
    from bot.bank import QuestionBank

    result = load_questions(Path(args.path))
    print(QuestionBank(result.questions).stats().render())
    if result.problems:
        print(f"\n{len(result.problems)} file problem(s); run `mlq content lint`", file=sys.stderr)
        return 1
    return 0


def _content_run(args: argparse.Namespace) -> int:
    from bot.snippets import run_snippet

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
    parser = argparse.ArgumentParser(prog="mlq", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    content = sub.add_parser("content", help="check and count the question bank")
    content_sub = content.add_subparsers(dest="content_command", required=True)
    lint = content_sub.add_parser("lint", help="validate question files; exit 1 on any problem")
    lint.add_argument("path", nargs="?", default=str(DEFAULT_CONTENT))
    lint.set_defaults(func=_content_lint)
    stats = content_sub.add_parser("stats", help="counts by topic, difficulty and type")
    stats.add_argument("path", nargs="?", default=str(DEFAULT_CONTENT))
    stats.set_defaults(func=_content_stats)
    run = content_sub.add_parser("run-snippets", help="execute code snippets, check their output")
    run.add_argument("path", nargs="?", default=str(DEFAULT_CONTENT))
    run.add_argument("--timeout", type=float, default=120.0)
    run.add_argument("-v", "--verbose", action="store_true")
    run.set_defaults(func=_content_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
