"""Selection: a per-scope rotation with no repeats in a cycle, filters, and topic variety."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import datetime

import pytest

from bot.bank import Filters, QuestionBank
from bot.clock import FakeClock
from bot.questions import Question
from bot.selection import NoQuestionMatches, Rotation, Selection
from bot.store import SqlStore
from bot.taxonomy import Difficulty


async def draw(
    rotation: Rotation,
    count: int,
    now: datetime,
    filters: Filters | None = None,
    scope: str = "channel:a",
) -> list[Selection]:
    return [await rotation.next(scope, filters or Filters(), now) for _ in range(count)]


async def test_no_question_repeats_within_a_cycle(
    bank: QuestionBank, store: SqlStore, clock: FakeClock
) -> None:
    """Nine draws from a nine-question bank give nine different questions."""
    rotation = Rotation(bank, store, random.Random(1))
    picks = await draw(rotation, 9, clock.now())
    assert sorted(s.question.id for s in picks) == sorted(q.id for q in bank.questions)
    assert not any(s.new_cycle for s in picks)


async def test_a_new_cycle_starts_after_every_question_was_asked(
    bank: QuestionBank, store: SqlStore, clock: FakeClock
) -> None:
    """The tenth draw starts cycle 2 and says so; cycle 2 again covers the whole bank."""
    rotation = Rotation(bank, store, random.Random(2))
    picks = await draw(rotation, 18, clock.now())
    assert picks[9].new_cycle and picks[9].cycle == 2
    assert sum(s.new_cycle for s in picks) == 1
    assert len({s.question.id for s in picks[9:]}) == 9


async def test_filters_limit_the_rotation(bank: QuestionBank, store: SqlStore, clock: FakeClock) -> None:
    """A keras filter draws only the three keras questions, then cycles."""
    rotation = Rotation(bank, store, random.Random(3))
    picks = await draw(rotation, 4, clock.now(), Filters(topics=("keras",)))
    assert {s.question.topic for s in picks} == {"keras"}
    assert len({s.question.id for s in picks[:3]}) == 3
    assert picks[3].new_cycle


async def test_difficulty_filter(bank: QuestionBank, store: SqlStore, clock: FakeClock) -> None:
    """A hard filter draws only hard questions."""
    rotation = Rotation(bank, store, random.Random(4))
    picks = await draw(rotation, 3, clock.now(), Filters(difficulties=(Difficulty.HARD,)))
    assert {s.question.difficulty for s in picks} == {Difficulty.HARD}


async def test_consecutive_questions_change_topic_when_possible(
    bank: QuestionBank, store: SqlStore, clock: FakeClock
) -> None:
    """Across 18 draws over three topics, no two consecutive questions share a topic."""
    for seed in range(3):
        rotation = Rotation(bank, store, random.Random(seed))
        picks = await draw(rotation, 18, clock.now(), scope=f"channel:{seed}")
        topics = [s.question.topic for s in picks]
        assert all(a != b for a, b in itertools.pairwise(topics)), topics


async def test_scopes_rotate_independently(bank: QuestionBank, store: SqlStore, clock: FakeClock) -> None:
    """A user's on-demand rotation does not consume a channel's."""
    rotation = Rotation(bank, store, random.Random(5))
    await draw(rotation, 9, clock.now(), scope="channel:a")
    user = await draw(rotation, 9, clock.now(), scope="user:x")
    assert not any(s.new_cycle for s in user)


async def test_a_filter_matching_nothing_lists_valid_choices(
    make_question: Callable[..., Question], store: SqlStore, clock: FakeClock
) -> None:
    """Keras-hard on a bank without one raises, naming the valid topics and difficulties."""
    bank = QuestionBank([make_question("only-easy", "keras", "easy")])
    rotation = Rotation(bank, store)
    with pytest.raises(NoQuestionMatches) as raised:
        await rotation.next("channel:a", Filters(("keras",), (Difficulty.HARD,)), clock.now())
    assert "keras · hard" in str(raised.value) and "Difficulties: easy, medium, hard" in str(raised.value)


async def test_retired_questions_are_never_drawn(
    make_question: Callable[..., Question], store: SqlStore, clock: FakeClock
) -> None:
    """Retired questions stay in the bank for lookups but out of rotation."""
    bank = QuestionBank([make_question("live"), make_question("gone", status="retired")])
    rotation = Rotation(bank, store)
    picks = await draw(rotation, 3, clock.now())
    assert {s.question.id for s in picks} == {"live"}
    assert bank.get("gone") is not None
