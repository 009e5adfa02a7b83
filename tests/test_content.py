"""The shipped bank: valid, covering the starting article's themes, every snippet runs as stated."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bank import QuestionBank
from bot.loader import load_questions
from bot.questions import Question, Snippet
from bot.snippets import run_snippet

CONTENT = Path(__file__).resolve().parent.parent / "content" / "questions"
ARTICLE_THEMES = (
    "theme-how-you-got-into-ml",
    "theme-real-data-problem",
    "theme-overfitting-underfitting",
    "theme-supervised-vs-unsupervised",
    "theme-sklearn-strengths-limits",
    "theme-tensorflow-strengths-limits",
    "theme-keras-strengths-limits",
    "theme-choosing-an-algorithm",
    "theme-failed-project",
    "theme-industry-applications",
)


def shipped() -> list[Question]:
    return load_questions(CONTENT).questions


def test_every_shipped_file_is_valid() -> None:
    """`mlq content lint` would print nothing for the shipped bank."""
    assert [str(p) for p in load_questions(CONTENT).problems] == []


def test_the_bank_has_at_least_twenty_questions() -> None:
    """The starter bank ships at least 20 questions."""
    assert len(QuestionBank(shipped())) >= 20


@pytest.mark.parametrize("theme", ARTICLE_THEMES)
def test_each_theme_of_the_starting_article_is_covered(theme: str) -> None:
    """Every one of the ten themes has a question tagged for it."""
    assert any(theme in q.tags for q in shipped())


def snippet_cases() -> list[tuple[Question, Snippet]]:
    return [(q, s) for q in shipped() for s in q.snippets if s.runs]


@pytest.mark.parametrize(
    ("question", "snippet"),
    snippet_cases(),
    ids=[f"{q.id}:{s.line}" for q, s in snippet_cases()],
)
def test_snippet_runs_and_prints_what_the_answer_says(question: Question, snippet: Snippet) -> None:
    """Each runnable snippet exits 0 and prints exactly its `output` block."""
    outcome = run_snippet(question, snippet)
    if outcome.skipped_reason:
        pytest.skip(outcome.skipped_reason)
    assert outcome.passed, f"{outcome.path}:{outcome.line}: {outcome.detail}"
