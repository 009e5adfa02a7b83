"""Check my answer, in the core: the button on every question card, the form it opens, private
feedback on the typed answer with the suggested rating pre-chosen, and the privacy rule (adapters
have their own tests)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.content.bank import QuestionBank
from bot.messages import AnswerForm, CardKind, FeedbackCard, Notice, NoticeKind, QuestionCard
from bot.schedule.clock import FakeClock
from bot.seam import Destination
from bot.service import Invocation, PracticeService
from bot.store.transfer import dumps, export_store
from tests.support.core_support import MONDAY, CoreWorld

GOOD = "You scale the features, and you fit the scaler on the training data only."
WRONG = "Scaling always improves accuracy, whatever the model."


async def ask(world: CoreWorld, user: str = "U1") -> QuestionCard:
    """`user` asks for a question on demand in C1; return the card."""
    [card] = await world.command(user, "")
    assert isinstance(card, QuestionCard)
    return card


async def test_an_on_demand_card_has_a_check_button_dated_today(world: CoreWorld) -> None:
    card = await ask(world)
    assert card.check is not None
    today = world.clock.now().date()
    assert (card.check.question_id, card.check.context) == (card.question_id, f"ask:{today}")


async def test_a_daily_card_checks_against_its_post(daily: CoreWorld) -> None:
    post = await daily.post_day(MONDAY)
    [card] = daily.adapter.questions
    assert card.kind is CardKind.DAILY and card.check is not None
    assert card.check.context == f"post:{post.id}"


async def test_a_review_card_has_a_check_button(world: CoreWorld) -> None:
    card = await ask(world)
    await world.rate("U1", card.question_id, f"ask:{world.clock.now().date()}", "missed")
    world.clock.advance(timedelta(days=2))
    [review] = await world.command("U1", "review")
    assert isinstance(review, QuestionCard) and review.check is not None
    assert review.check.context.startswith("review:")


async def test_the_check_button_opens_a_form_for_that_question(world: CoreWorld) -> None:
    card = await ask(world)
    assert card.check is not None
    invocation = Invocation(world.channel, "U1")
    response = await world.service.answer_form(invocation, card.question_id, card.check.context)
    assert response.private and isinstance(response.message, AnswerForm)
    assert (response.message.question_id, response.message.title) == (card.question_id, card.title)
    assert response.message.max_length == 4000


async def test_a_question_without_a_rubric_says_so_instead_of_a_form(
    service_factory: Callable[..., PracticeService],
    bank: QuestionBank,
    destination: Destination,
    clock: FakeClock,
) -> None:
    plain = QuestionBank(replace(q, rubric=None) for q in bank.questions)
    service = service_factory(bank=plain)
    response = await service.answer_form(
        Invocation(destination, "U1"), "keras-easy", f"ask:{clock.now().date()}"
    )
    assert isinstance(response.message, Notice) and response.message.kind is NoticeKind.ERROR
    assert "no answer rubric" in response.message.text


async def test_feedback_lists_covered_and_missed_points_privately(world: CoreWorld) -> None:
    card = await ask(world)
    response = await world.check("U1", card, GOOD)
    feedback = response.message
    assert response.private and isinstance(feedback, FeedbackCard)
    assert "✓ Scale features for distance-based models" in feedback.body
    assert "✓ Fit the scaler on the training data only" in feedback.body
    assert "✗ Tree models do not need scaling" in feedback.body
    assert feedback.answer.question_id == card.question_id  # the model answer comes with it


async def test_the_suggested_rating_is_pre_chosen_on_the_rating_buttons(world: CoreWorld) -> None:
    card = await ask(world)
    response = await world.check("U1", card, GOOD)
    assert isinstance(response.message, FeedbackCard) and card.check is not None
    rating = response.message.rating
    assert (rating.question_id, rating.context, rating.suggested) == (
        card.question_id,
        card.check.context,
        "nailed",
    )


async def test_a_misconception_is_flagged_with_its_correction_and_caps_the_suggestion(
    world: CoreWorld,
) -> None:
    card = await ask(world)
    response = await world.check("U1", card, GOOD + " " + WRONG)
    assert isinstance(response.message, FeedbackCard)
    assert "⚠" in response.message.body and "trees split the same either way" in response.message.body
    assert response.message.rating.suggested != "nailed"


async def test_clicking_the_suggested_rating_records_it(world: CoreWorld) -> None:
    card = await ask(world)
    response = await world.check("U1", card, GOOD)
    assert isinstance(response.message, FeedbackCard)
    rating = response.message.rating
    await world.rate("U1", rating.question_id, rating.context, rating.suggested or "")
    [stored] = await world.store.user_ratings(world.key("U1"))
    assert (stored.question_id, stored.rating) == (card.question_id, "nailed")


async def test_an_empty_answer_is_refused_and_nothing_is_checked(world: CoreWorld) -> None:
    card = await ask(world)
    response = await world.check("U1", card, " \n\x00")
    assert isinstance(response.message, Notice) and response.message.kind is NoticeKind.ERROR
    assert "empty" in response.message.text


async def test_an_answer_over_the_limit_is_refused_naming_the_limit(world: CoreWorld) -> None:
    card = await ask(world)
    response = await world.check("U1", card, "x" * 4001)
    assert isinstance(response.message, Notice) and "4001 characters" in response.message.text


async def test_a_post_button_used_in_another_channel_is_refused(daily: CoreWorld) -> None:
    post = await daily.post_day(MONDAY)
    assert post.question_id is not None
    elsewhere = Invocation(Destination("fake", "C9", "T1"), "U1")
    response = await daily.service.check_answer(elsewhere, post.question_id, f"post:{post.id}", GOOD)
    assert isinstance(response.message, Notice) and "another channel" in response.message.text


@pytest.mark.parametrize("context", ["post:abc", "ask:2026-13-45", "nonsense", "mock:1:0"])
async def test_a_forged_context_is_refused(
    service: PracticeService, destination: Destination, context: str
) -> None:
    response = await service.check_answer(Invocation(destination, "U1"), "keras-easy", context, GOOD)
    assert isinstance(response.message, Notice) and response.message.kind is NoticeKind.ERROR


async def test_the_daily_question_can_be_checked_before_and_after_its_reveal(daily: CoreWorld) -> None:
    post = await daily.post_day(MONDAY)
    assert post.question_id is not None
    invocation = Invocation(daily.channel, "U1")
    before = await daily.service.check_answer(invocation, post.question_id, f"post:{post.id}", GOOD)
    await daily.reveal(MONDAY)
    after = await daily.service.check_answer(invocation, post.question_id, f"post:{post.id}", GOOD)
    assert isinstance(before.message, FeedbackCard) and isinstance(after.message, FeedbackCard)


async def test_the_answer_text_is_never_stored_or_logged(
    world: CoreWorld, caplog: pytest.LogCaptureFixture
) -> None:
    """Like reply text: an export of the whole store and every log line (DEBUG) lack the answer."""
    caplog.set_level(logging.DEBUG)
    card = await ask(world)
    marker = "zebra-quartz-marker"
    response = await world.check("U1", card, f"{GOOD} {marker}")
    assert isinstance(response.message, FeedbackCard) and card.check is not None
    await world.rate("U1", card.question_id, card.check.context, "nailed")
    assert marker not in dumps(await export_store(world.store))
    assert all(marker not in record.getMessage() for record in caplog.records)
    assert any("answer checked" in record.getMessage() for record in caplog.records)
