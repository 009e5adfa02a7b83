"""Selection: a per-scope rotation with no repeats in a cycle, filters, and topic variety."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import datetime

import pytest

from bot.content.bank import Filters, QuestionBank
from bot.content.questions import Question
from bot.content.taxonomy import Difficulty
from bot.schedule.clock import FakeClock
from bot.schedule.selection import NoQuestionMatches, Rotation, Selection
from bot.store import SqlStore


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


async def test_a_plan_gives_a_scope_named_twice_two_different_questions(
    bank: QuestionBank, store: SqlStore
) -> None:
    """Two draws for one scope planned together see each other, as two `next` calls would."""
    rotation = Rotation(bank, store, random.Random(6))
    first, second = await rotation.plan([("channel:a", Filters()), ("channel:a", Filters())])
    assert isinstance(first, Selection) and isinstance(second, Selection)
    assert first.question.id != second.question.id
    assert first.question.topic != second.question.topic


async def test_a_plan_continues_the_stored_cycle_and_records_nothing(
    bank: QuestionBank, store: SqlStore, clock: FakeClock
) -> None:
    """After eight draws the plan offers the ninth question, then a new cycle; the store is unchanged."""
    rotation = Rotation(bank, store, random.Random(8))
    asked = {s.question.id for s in await draw(rotation, 8, clock.now())}
    before = await store.rotation("channel:a")
    last, after = await rotation.plan([("channel:a", Filters()), ("channel:a", Filters())])
    assert isinstance(last, Selection) and isinstance(after, Selection)
    assert last.question.id not in asked and not last.new_cycle
    assert after.new_cycle and after.cycle == 2 and after.question.id != last.question.id
    assert await store.rotation("channel:a") == before


async def test_a_plan_marks_filters_that_match_nothing_in_place(
    make_question: Callable[..., Question], store: SqlStore
) -> None:
    """An unmatched filter yields NoQuestionMatches at its position; the other scopes still draw."""
    rotation = Rotation(QuestionBank([make_question("only-easy", "keras", "easy")]), store)
    hard = Filters(difficulties=(Difficulty.HARD,))
    missing, found = await rotation.plan([("channel:a", hard), ("channel:b", Filters())])
    assert isinstance(missing, NoQuestionMatches)
    assert isinstance(found, Selection) and found.question.id == "only-easy"


async def test_processes_alternating_on_one_scope_never_repeat_within_a_cycle(
    bank: QuestionBank, store: SqlStore, clock: FakeClock
) -> None:
    """Two stores on one database (as two processes) each remember what they drew; every draw
    still sees the other's, so nine alternating draws give the nine questions."""
    other = SqlStore(store.engine)
    here, there = Rotation(bank, store, random.Random(9)), Rotation(bank, other, random.Random(9))
    picks = [await (here if n % 2 else there).next("user:x", Filters(), clock.now()) for n in range(10)]
    assert len({s.question.id for s in picks[:9]}) == 9
    assert picks[9].new_cycle and not any(s.new_cycle for s in picks[:9])
    assert await store.rotation("user:x") == (2, [picks[9].question.id])


async def test_picks_recorded_later_are_remembered_at_once_and_written_by_settle(
    bank: QuestionBank, store: SqlStore, clock: FakeClock
) -> None:
    """Consecutive picks shown before they are written never repeat; `settle` writes them all."""
    rotation = Rotation(bank, store, random.Random(3))
    picks = [
        (await rotation.next("user:a", Filters(), clock.now(), record_later=True)).question.id
        for _ in range(9)
    ]
    assert len(set(picks)) == 9
    await store.settle()
    assert await store.rotation("user:a") == (1, picks)


async def test_a_pick_written_later_is_kept_when_another_process_drew_meanwhile(
    bank: QuestionBank, store: SqlStore, clock: FakeClock
) -> None:
    """Another store draws for the scope between ours: every pick shown is written, and ours reads
    the rotation afresh once its write finds the other's (what `sole_handler` adapters rule out)."""
    other = SqlStore(store.engine)
    ours, theirs = Rotation(bank, store, random.Random(1)), Rotation(bank, other, random.Random(2))
    first = await ours.next("user:a", Filters(), clock.now(), record_later=True)
    second = await theirs.next("user:a", Filters(), clock.now())
    await store.settle()
    third = await ours.next("user:a", Filters(), clock.now(), record_later=True)
    await store.settle()
    _, asked = await store.rotation("user:a")
    picks = [first.question.id, second.question.id, third.question.id]
    assert sorted(asked) == sorted(picks)
    assert third.question.id not in (first.question.id, second.question.id)
