"""Role tracks: `/mlquestion track NAME` and `subscribe … track NAME` filter questions by track."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.commands import Ask, CommandError, Subscribe, parse_command
from bot.content.bank import Filters, QuestionBank
from bot.content.questions import Question
from bot.content.rubric import Track
from bot.content.taxonomy import Difficulty
from bot.store import SqlStore
from tests.conftest import Subscribe as SubscribeFixture


def test_track_name_filters_an_on_demand_question() -> None:
    """`track llm-engineer medium` asks for a medium question of the LLM-engineer track."""
    assert parse_command("track llm-engineer medium") == Ask(
        Filters((), (Difficulty.MEDIUM,), (Track.LLM_ENGINEER,))
    )


def test_track_names_are_read_in_any_case_and_short_form() -> None:
    """`track DS` names the data-scientist track."""
    assert parse_command("track DS") == Ask(Filters(tracks=(Track.DATA_SCIENTIST,)))


def test_a_subscription_can_filter_by_track() -> None:
    """`subscribe 09:00 track mlops` keeps the track among the subscription's filters."""
    command = parse_command("subscribe 09:00 track mlops")
    assert isinstance(command, Subscribe)
    assert command.filters == Filters(tracks=(Track.MLOPS,))


@pytest.mark.parametrize(
    ("text", "message"),
    [("track", "`track` needs a track name"), ("track astronaut", "unknown track `astronaut`")],
)
def test_a_bad_track_names_the_valid_ones(text: str, message: str) -> None:
    """A missing or unknown track gets a reply listing every valid track."""
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    assert message in str(caught.value)
    assert all(t.value in str(caught.value) for t in Track)


def test_a_track_filter_matches_questions_in_any_of_its_tracks(
    make_question: Callable[..., Question],
) -> None:
    """A question tagged with several tracks is in each of them, and only in those."""
    from dataclasses import replace

    both = replace(make_question("both"), tracks=(Track.ML_ENGINEER, Track.MLOPS))
    none = make_question("none")
    bank = QuestionBank([both, none])
    assert [q.id for q in bank.matching(Filters(tracks=(Track.MLOPS,)))] == ["both"]
    assert [q.id for q in bank.matching(Filters(tracks=(Track.LLM_ENGINEER,)))] == []


async def test_a_subscriptions_track_survives_the_store(store: SqlStore, subscribe: SubscribeFixture) -> None:
    """Saved with a track, a subscription reads back with the same track (SQLite and PostgreSQL)."""
    saved = await subscribe(Filters(tracks=(Track.LLM_ENGINEER, Track.MLOPS)))
    [loaded] = await store.list_subscriptions()
    assert loaded.filters == saved.filters == Filters(tracks=(Track.LLM_ENGINEER, Track.MLOPS))
