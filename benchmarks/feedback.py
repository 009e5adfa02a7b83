"""Answer feedback against labelled answers: how often the suggested rating agrees with the label.

The evaluation set (`benchmarks/data/feedback_answers.yaml`) holds answers written for bank questions —
correct in other words, partly right, confidently wrong, swapped terms, off-topic — each labelled
nailed / partly / missed by its writer. The offline engine is measured next to a baseline measured in
the same run: plain similarity between the answer and the rubric's key points (rapidfuzz
token_set_ratio, thresholds fitted on this very set, so the baseline is flattered), which is what
"similarity alone" would do. With MLQ_LLM_BASE_URL and MLQ_LLM_MODEL set, the LLM engine is measured
too. Reported: the confusion matrix, the agreement, the ratio against the baseline, and how often a
confidently wrong answer is suggested Nailed (target ≤ 2%).

Held-out sets (`benchmarks/data/feedback_heldout*.yaml`: other questions, each written before the
engine changes it measures and never used to tune it, only to reject a change that made it worse)
are measured the same way, one by one and pooled, so a change that only fits the first set shows up
as a gap. The second and third were written from the question and its model answer alone, without
the rubric, as an outsider would.

Run: python -m benchmarks.feedback [--data FILE] [--heldout FILE ...|none] [--no-record]
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml
from rapidfuzz import fuzz

from benchmarks.common import ROOT, publish
from bot.content.loader import load_questions
from bot.content.questions import Question
from bot.feedback.engines import feedback_engine
from bot.feedback.model import FeedbackEngine
from bot.feedback.offline import OfflineEngine
from bot.ops.settings import load_settings

DATA = Path(__file__).resolve().parent / "data" / "feedback_answers.yaml"
HELDOUT = sorted((Path(__file__).resolve().parent / "data").glob("feedback_heldout*.yaml"))
LABELS = ("nailed", "partly", "missed")
WRONG_KINDS = {"confidently-wrong", "swapped"}


@dataclass(frozen=True, slots=True)
class Case:
    question: Question
    kind: str
    label: str
    answer: str


def load_cases(path: Path) -> list[Case]:
    bank = {q.id: q for q in load_questions(ROOT / "content" / "questions").questions}
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = []
    for item in raw["answers"]:
        question = bank.get(item["question"])
        if question is None or question.rubric is None:
            raise SystemExit(f"{path}: question {item['question']!r} is missing or has no rubric")
        if item["label"] not in LABELS:
            raise SystemExit(f"{path}: label {item['label']!r} for {item['question']} (valid: {LABELS})")
        cases.append(Case(question, item["kind"], item["label"], item["answer"]))
    return cases


def similarity(case: Case) -> float:
    """The best token_set_ratio between the answer and any key point's text or phrasing (0–100)."""
    assert case.question.rubric is not None
    texts = [kp.point for kp in case.question.rubric.key_points]
    texts += [p for kp in case.question.rubric.key_points for p in kp.phrasings]
    scores = sorted((fuzz.token_set_ratio(case.answer.lower(), t.lower()) for t in texts), reverse=True)
    return sum(scores[:3]) / 3


def fitted_baseline(cases: list[Case]) -> list[str]:
    """Similarity with the two thresholds that agree best with the labels (fitted on the set itself)."""
    scores = [similarity(c) for c in cases]
    best: tuple[int, list[str]] = (-1, [])
    for low in range(20, 100, 2):
        for high in range(low, 101, 2):
            guess = ["nailed" if s >= high else "partly" if s >= low else "missed" for s in scores]
            agree = sum(g == c.label for g, c in zip(guess, cases, strict=True))
            if agree > best[0]:
                best = (agree, guess)
    return best[1]


async def suggestions(engine: FeedbackEngine, cases: list[Case]) -> list[str]:
    return [(await engine.assess(c.question, c.answer)).suggested.value for c in cases]


def report(name: str, cases: list[Case], guesses: list[str], baseline_agreement: float) -> list[str]:
    matrix = Counter(zip((c.label for c in cases), guesses, strict=True))
    agreement = sum(matrix[(label, label)] for label in LABELS) / len(cases)
    wrong = [g for c, g in zip(cases, guesses, strict=True) if c.kind in WRONG_KINDS]
    wrong_nailed = sum(g == "nailed" for g in wrong) / len(wrong) if wrong else 0.0
    lines = [
        f"### {name}",
        "",
        "| labelled ↓ / suggested → | nailed | partly | missed |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {label} | " + " | ".join(str(matrix[(label, g)]) for g in LABELS) + " |" for label in LABELS
    ]
    ratio = agreement / baseline_agreement if baseline_agreement else float("nan")
    lines += [
        "",
        f"agreement {agreement:.1%} (ratio to the similarity baseline {ratio:.2f}); "
        f"confidently wrong or swapped answers suggested Nailed: {wrong_nailed:.1%} of {len(wrong)}",
        "",
    ]
    return lines


def measure(cases: list[Case], title: str) -> list[str]:
    """Every engine on one set of labelled answers, next to the similarity baseline fitted on it."""
    kinds = Counter(c.kind for c in cases)
    questions = len({c.question.id for c in cases})
    topics = len({c.question.topic for c in cases})
    baseline = fitted_baseline(cases)
    base_agreement = sum(g == c.label for g, c in zip(baseline, cases, strict=True)) / len(cases)
    lines = [
        f"{title}: {len(cases)} labelled answers for {questions} questions in {topics} topics "
        f"({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}). Targets: agreement ≥ 75%, "
        "confidently wrong suggested Nailed ≤ 2%.",
        "",
    ]
    lines += report(
        "baseline: similarity alone (thresholds fitted on this set)", cases, baseline, base_agreement
    )
    lines += report("offline engine", cases, asyncio.run(suggestions(OfflineEngine(), cases)), base_agreement)
    settings = load_settings()
    if settings.llm_base_url and settings.llm_model:
        llm = asyncio.run(suggestions(feedback_engine(settings), cases))
        lines += report(f"LLM engine ({settings.llm_model})", cases, llm, base_agreement)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument(
        "--heldout",
        type=Path,
        nargs="+",
        default=HELDOUT,
        help="held-out sets (default: every feedback_heldout*.yaml); 'none' to measure --data only",
    )
    parser.add_argument("--no-record", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()
    lines = measure(load_cases(args.data), f"Development set ({args.data.name})")
    heldout = [path for path in args.heldout if str(path) != "none"]
    for path in heldout:
        lines += measure(
            load_cases(path),
            f"Held-out set ({path.name}, other questions; not used for tuning, only to reject "
            "changes that made it worse)",
        )
    if len(heldout) > 1:
        pooled = [case for path in heldout for case in load_cases(path)]
        lines += measure(pooled, f"All held-out sets pooled ({', '.join(p.name for p in heldout)})")
    publish("Answer feedback agreement", lines, keep=not args.no_record)


if __name__ == "__main__":
    main()
