"""Difficulty from data: `mlq content stats --ratings` flags labels people's first ratings contradict."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.content.questions import Question
from bot.content.taxonomy import Difficulty
from bot.practice.difficulty import MIN_RATINGS, DifficultyEvidence, difficulty_evidence, render_evidence
from bot.records import RatingRecord, ReviewCardRecord
from bot.store import SqlStore

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def evidence(label: str, nailed: int, partly: int, missed: int) -> DifficultyEvidence:
    counts = Counter({"nailed": nailed, "partly": partly, "missed": missed})
    return DifficultyEvidence("q", Difficulty(label), counts)


@pytest.mark.parametrize(
    ("label", "nailed", "partly", "missed", "verdict"),
    [
        ("easy", 2, 3, 15, "looks harder"),  # most people missed an "easy" question
        ("hard", 18, 2, 0, "looks easier"),  # nearly everyone nailed a "hard" one
        ("medium", 6, 8, 6, None),  # a medium question rated in the middle
        ("easy", 9, 2, 1, None),  # an easy one rated easy
        ("hard", 3, 3, 6, None),  # inside the hard band
    ],
)
def test_a_label_is_flagged_only_when_the_ratings_clearly_contradict_it(
    label: str, nailed: int, partly: int, missed: int, verdict: str | None
) -> None:
    """Ease (nailed + partly/2) outside the label's band by more than the margin flags it."""
    assert evidence(label, nailed, partly, missed).verdict == verdict


def test_too_few_ratings_flag_nothing() -> None:
    """Below the minimum number of ratings even a lopsided split is not a verdict."""
    assert evidence("easy", 0, 0, MIN_RATINGS - 1).verdict is None


def test_contradicted_labels_come_first_in_the_table(make_question: Callable[..., Question]) -> None:
    """The table lists flagged questions first and counts them."""
    questions = [make_question("fine"), make_question("wrong", difficulty="easy")]
    first = {"fine": Counter({"nailed": 10, "partly": 2}), "wrong": Counter({"missed": 12})}
    table = render_evidence(difficulty_evidence(questions, first))
    rows = table.splitlines()
    assert rows[1].startswith("wrong") and "looks harder than easy" in rows[1]
    assert "1 label(s) the ratings contradict" in table


async def test_only_each_persons_first_rating_of_a_question_counts(store: SqlStore) -> None:
    """A later review's rating measures learning, not difficulty: the store returns first ratings."""

    async def rate(user: str, rating: str, context: str, at: datetime) -> None:
        record = RatingRecord("q1", rating, context, None, at)
        card = ReviewCardRecord("q1", "{}", at + timedelta(days=1), None, context)
        await store.save_rating(f"fake:T1:{user}", user, record, card, at)

    await rate("U1", "missed", "ask:20261201", NOW)
    await rate("U1", "nailed", "review:20261203", NOW + timedelta(days=2))
    await rate("U2", "partly", "ask:20261201", NOW)
    assert await store.first_ratings() == {"q1": Counter({"missed": 1, "partly": 1})}
