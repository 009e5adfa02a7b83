"""Running the bank's snippets and claim checks: warm interpreters against a fresh one per snippet.

A sample of the shipped bank's runnable snippets and claim checks (every k-th, so each library
family is in it) is run twice in the same process, one at a time: first each in a fresh interpreter
(the baseline, what the suite did before), then through a pool of warm interpreters that fork per
snippet. Reported: wall-clock seconds per library family, CPU seconds in all (user + system of this
process's children, the warm interpreters and their forks included), the ratios warm ÷ fresh, and
whether both ways gave the same outcome for every item (passed, or failed the same way).

Run: python -m benchmarks.snippets [--every 8] [--no-record]
"""

from __future__ import annotations

import argparse
import resource
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from benchmarks.common import ROOT, publish
from bot.content.interpreters import InterpreterPool, family, leading_imports
from bot.content.loader import load_questions
from bot.content.questions import Question, Snippet
from bot.content.rubric import ClaimCheck
from bot.content.snippets import SnippetOutcome, run_check, run_snippet


@dataclass(frozen=True, slots=True)
class Item:
    label: str
    family: str
    run: Callable[[InterpreterPool | None], SnippetOutcome]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sample(every: int) -> list[Item]:
    questions = load_questions(ROOT / "content" / "questions").questions
    items: list[Item] = []
    for question in questions:
        for snippet in (s for s in question.snippets if s.runs):
            items.append(
                Item(
                    f"{question.id}:{snippet.line}",
                    _family(snippet.code),
                    partial(_snippet, question, snippet),
                )
            )
        for check in question.checks:
            items.append(
                Item(
                    f"{question.id}:{check.line}",
                    _family(check.code),
                    partial(_check, question, check),
                )
            )
    return items[::every]


def _snippet(question: Question, snippet: Snippet, pool: InterpreterPool | None) -> SnippetOutcome:
    return run_snippet(question, snippet, 120.0, None, pool)


def _check(question: Question, check: ClaimCheck, pool: InterpreterPool | None) -> SnippetOutcome:
    return run_check(question, check, 120.0, None, pool)


def _family(code: str) -> str:
    heavy = leading_imports(code)[1]
    return "+".join(sorted(family(heavy))) if heavy else "nothing heavy (always fresh)"


def measure(items: list[Item], pool: InterpreterPool | None) -> tuple[dict[str, float], list[str]]:
    """Wall-clock seconds per family, and each item's outcome as a comparable string."""
    spent: dict[str, float] = defaultdict(float)
    outcomes = []
    for item in items:
        started = time.perf_counter()
        outcome = item.run(pool)
        spent[item.family] += time.perf_counter() - started
        said = outcome.skipped_reason or outcome.detail.split(":")[0]
        outcomes.append("passed" if outcome.passed else said)
    return spent, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=8, help="take every k-th snippet or check (default 8)")
    parser.add_argument("--no-record", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()
    items = sample(args.every)
    cpu = _children_cpu()
    fresh, fresh_outcomes = measure(items, None)
    fresh_cpu, cpu = _children_cpu() - cpu, _children_cpu()
    pool = InterpreterPool()
    try:
        warm, warm_outcomes = measure(items, pool)
    finally:
        pool.close()  # a warm interpreter's CPU, its forks' included, is counted once it is reaped
    warm_cpu = _children_cpu() - cpu
    same = sum(a == b for a, b in zip(fresh_outcomes, warm_outcomes, strict=True))
    pairs = zip(items, fresh_outcomes, warm_outcomes, strict=True)
    differ = [f"{i.label} ({a} / {b})" for i, a, b in pairs if a != b]
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        counts[item.family] += 1
    lines = [
        f"{len(items)} of the bank's snippets and claim checks (every {args.every}th), one at a time; "
        f"the same outcome both ways for {same} of {len(items)}"
        + (f" (differ: {', '.join(differ)})" if differ else "")
        + f"; {sum(o == 'passed' for o in warm_outcomes)} passed.",
        "",
        "| family | items | fresh wall s | warm wall s | ratio |",
        "|---|---|---|---|---|",
    ]
    for name in sorted(fresh, key=lambda n: -fresh[n]):
        ratio = warm[name] / fresh[name]
        lines.append(f"| {name} | {counts[name]} | {fresh[name]:.1f} | {warm[name]:.1f} | {ratio:.2f} |")
    total_fresh, total_warm = sum(fresh.values()), sum(warm.values())
    lines += [
        f"| all | {len(items)} | {total_fresh:.1f} | {total_warm:.1f} | {total_warm / total_fresh:.2f} |",
        "",
        f"CPU seconds in all: fresh {fresh_cpu:.1f}, warm {warm_cpu:.1f} (ratio {warm_cpu / fresh_cpu:.2f}).",
        "",
        "Fresh: `python snippet.py` per item, as the suite ran them before. Warm: a pool of "
        "`bot/content/warm_interpreter.py` processes started inside the measured time (each family's first "
        "item pays that family's imports).",
    ]
    publish("Snippets and claim checks: warm interpreters", lines, keep=not args.no_record)


if __name__ == "__main__":
    main()
