"""Mock interviews, in the core: a private run of questions answered, checked, followed up and rated,
ending in a summary; kept in the store across restarts, expiring after 30 idle minutes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from bot import commands as C
from bot.content.bank import QuestionBank
from bot.content.rubric import Track
from bot.messages import CardKind, FeedbackCard, MockSummary, Notice, NoticeKind, QuestionCard, Response
from bot.seam import Destination
from bot.service import Invocation, PracticeService
from tests.core.practice.test_answers import GOOD
from tests.support.core_support import CoreWorld


async def start(world: CoreWorld, text: str = "mock count 3") -> QuestionCard:
    """U1 runs a mock command in C1; return the question card it ends with, for direct messages."""
    responses = await world.service.handle_command(Invocation(world.channel, "U1"), text)
    assert all(r.direct and r.private for r in responses)
    card = responses[-1].message
    assert isinstance(card, QuestionCard), responses
    return card


async def rate(world: CoreWorld, card: QuestionCard, choice: str = "nailed") -> Response:
    """U1 clicks a rating button of the mock's card."""
    assert card.check is not None
    return await world.rate("U1", card.question_id, card.check.context, choice)


async def test_mock_starts_with_an_intro_and_the_first_question_for_direct_messages(world: CoreWorld) -> None:
    responses = await world.service.handle_command(Invocation(world.channel, "U1"), "mock")
    intro, card = (r.message for r in responses)
    assert isinstance(intro, Notice) and "5 questions" in intro.text and "mock stop" in intro.text
    assert isinstance(card, QuestionCard) and card.kind is CardKind.MOCK
    assert card.progress == "Question 1 of 5 · mock interview"
    assert card.check is not None and card.check.label == "Answer"
    assert card.check.context.startswith("mock:") and card.check.context.endswith(":0")
    assert all(r.direct for r in responses)


async def test_questions_come_from_different_topics_easiest_first(world: CoreWorld) -> None:
    await start(world, "mock count 3")
    session = await world.store.open_mock(world.key("U1"))
    assert session is not None
    questions = [world.service.bank.get(q) for q in session.question_ids]
    assert len({q.topic for q in questions if q}) == 3
    order = {"easy": 0, "medium": 1, "hard": 2}
    levels = [order[q.difficulty.value] for q in questions if q]
    assert levels == sorted(levels)


@pytest.mark.parametrize("text", ["mock count 2", "mock 9", "mock count", "mock astronaut"])
def test_a_bad_mock_command_names_what_is_valid(text: str) -> None:
    with pytest.raises(C.CommandError, match=r"3 to 8|3–8|needs a value"):
        C.parse_command(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mock", C.Mock(None, 5)),
        ("mock 4", C.Mock(None, 4)),
        ("mock llm-engineer", C.Mock(Track.LLM_ENGINEER, 5)),
        ("mock track mlops count 3", C.Mock(Track.MLOPS, 3)),
        ("mock 6 data-scientist", C.Mock(Track.DATA_SCIENTIST, 6)),
        ("mock stop", C.MockStop()),
    ],
)
def test_the_mock_grammar(text: str, expected: C.Command) -> None:
    assert C.parse_command(text) == expected


async def test_a_track_mock_uses_only_that_tracks_questions(
    world: CoreWorld, service_factory: Callable[..., PracticeService], bank: QuestionBank
) -> None:
    tagged = QuestionBank(
        replace(q, tracks=(Track.MLOPS,) if q.topic == "keras" else (Track.ML_ENGINEER,))
        for q in bank.questions
    )
    await start(replace(world, service=service_factory(bank=tagged)), "mock mlops count 3")
    session = await world.store.open_mock(world.key("U1"))
    assert session is not None and session.track == "mlops"
    assert all(q.startswith("keras-") for q in session.question_ids)


async def test_a_track_with_too_few_questions_says_how_many_it_has(world: CoreWorld) -> None:
    [reply] = await world.command("U1", "mock llm-engineer")
    assert isinstance(reply, Notice) and reply.kind is NoticeKind.ERROR
    assert "has 0 questions" in reply.text


async def test_an_answer_gets_feedback_a_follow_up_and_the_suggested_rating(world: CoreWorld) -> None:
    card = await start(world)
    response = await world.check("U1", card, GOOD)
    feedback = response.message
    assert response.direct and isinstance(feedback, FeedbackCard)
    assert feedback.follow_up == "a follow-up"  # from the question's Follow-ups
    assert feedback.progress == "Question 1 of 3 · mock interview"
    assert feedback.rating.suggested == "nailed" and feedback.rating.context == card.check.context  # type: ignore[union-attr]


async def test_rating_moves_on_and_feeds_the_review_schedule(world: CoreWorld) -> None:
    card = await start(world)
    await world.check("U1", card, GOOD)
    response = await rate(world, card, "partly")
    following = response.message
    assert isinstance(following, QuestionCard) and following.question_id != card.question_id
    assert following.progress == "Recorded **Partly**. Question 2 of 3 · mock interview"
    [stored] = await world.store.user_ratings(world.key("U1"))
    assert (stored.question_id, stored.rating, stored.context) == (
        card.question_id,
        "partly",
        f"mock:{world.clock.now().date()}",
    )
    assert await world.store.review_card(world.key("U1"), card.question_id) is not None


async def test_the_last_rating_ends_with_a_summary(world: CoreWorld) -> None:
    card = await start(world)
    choices = ["nailed", "partly", "missed"]
    for choice in choices:
        await world.check("U1", card, GOOD)
        response = await rate(world, card, choice)
        if isinstance(response.message, QuestionCard):
            card = response.message
    summary = response.message
    assert isinstance(summary, MockSummary) and summary.ended == "finished"
    assert [r.rating for r in summary.results] == choices
    assert len(summary.strong) == 1 and len(summary.weak) == 1
    assert summary.overall.startswith("Score 50% over 3 rated questions")


async def test_a_double_click_cannot_skip_a_question(world: CoreWorld) -> None:
    card = await start(world)
    first = await rate(world, card)
    second = await rate(world, card)
    assert isinstance(first.message, QuestionCard)
    assert isinstance(second.message, Notice) and second.message.kind is NoticeKind.ERROR
    assert "earlier question" in second.message.text


async def test_stop_ends_the_session_with_what_was_rated(world: CoreWorld) -> None:
    card = await start(world)
    await rate(world, card, "nailed")
    [stopped] = await world.command("U1", "mock stop")
    assert isinstance(stopped, MockSummary) and stopped.ended == "stopped"
    assert [r.rating for r in stopped.results] == ["nailed", None, None]
    [again] = await world.command("U1", "mock stop")
    assert isinstance(again, Notice) and "No mock interview is going" in again.text


async def test_a_second_start_resumes_the_open_session(world: CoreWorld) -> None:
    card = await start(world)
    note, current = await world.command("U1", "mock")
    assert isinstance(note, Notice) and "already have a mock interview going (question 1 of 3)" in note.text
    assert isinstance(current, QuestionCard) and current.question_id == card.question_id


async def test_a_session_survives_a_restart(
    world: CoreWorld, service_factory: Callable[..., PracticeService]
) -> None:
    card = await start(world)
    restarted = replace(world, service=service_factory())  # a new process on the same database
    response = await restarted.check("U1", card, GOOD)
    assert isinstance(response.message, FeedbackCard)
    assert isinstance((await rate(restarted, card)).message, QuestionCard)


async def test_a_session_expires_after_30_idle_minutes(world: CoreWorld) -> None:
    card = await start(world)
    world.clock.advance(timedelta(minutes=31))
    response = await world.check("U1", card, GOOD)
    assert isinstance(response.message, Notice) and "expired after 30 idle minutes" in response.message.text
    fresh = await start(world)  # a new one starts, not the expired one
    assert fresh.check is not None and fresh.check.context != card.check.context  # type: ignore[union-attr]


async def test_activity_keeps_a_session_alive(world: CoreWorld) -> None:
    card = await start(world)
    world.clock.advance(timedelta(minutes=25))
    await world.check("U1", card, GOOD)
    world.clock.advance(timedelta(minutes=25))
    assert isinstance((await rate(world, card)).message, QuestionCard)


async def test_someone_else_cannot_answer_or_rate_your_mock(world: CoreWorld) -> None:
    card = await start(world)
    assert card.check is not None
    checked = await world.check("U2", card, GOOD)
    rated = await world.rate("U2", card.question_id, card.check.context, "nailed")
    for response in (checked, rated):
        assert isinstance(response.message, Notice) and "someone else's" in response.message.text
    assert await world.store.user_ratings(world.key("U2")) == []


async def test_a_click_from_a_direct_message_counts_for_the_account_that_started_it(world: CoreWorld) -> None:
    """Discord DMs belong to no server: the same person there is still the session's owner."""
    card = await start(world)
    dm = Destination(world.channel.platform, "DM1", None)
    assert card.check is not None
    response = await world.rate("U1", card.question_id, card.check.context, "missed", dm)
    assert isinstance(response.message, QuestionCard)
    [stored] = await world.store.user_ratings(world.key("U1"))
    assert stored.rating == "missed"
