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
from bot.records import Subscription
from bot.schedule.clock import FakeClock
from bot.seam import Destination
from bot.service import Invocation, PracticeService
from bot.store import SqlStore
from bot.store.transfer import dumps, export_store
from tests.core.practice.test_practice import MONDAY, command, key, post_day, reveal
from tests.support.fakes import RecordingAdapter

GOOD = "You scale the features, and you fit the scaler on the training data only."
WRONG = "Scaling always improves accuracy, whatever the model."


async def ask(service: PracticeService, destination: Destination, user: str = "U1") -> QuestionCard:
    [card] = await command(service, destination, user, "")
    assert isinstance(card, QuestionCard)
    return card


async def test_an_on_demand_card_has_a_check_button_dated_today(
    service: PracticeService, destination: Destination, clock: FakeClock
) -> None:
    card = await ask(service, destination)
    assert card.check is not None
    assert (card.check.question_id, card.check.context) == (card.question_id, f"ask:{clock.now().date()}")


async def test_a_daily_card_checks_against_its_post(
    service: PracticeService, clock: FakeClock, subscription: Subscription, adapter: RecordingAdapter
) -> None:
    post = await post_day(service, clock, MONDAY, subscription)
    [card] = adapter.questions
    assert card.kind is CardKind.DAILY and card.check is not None
    assert card.check.context == f"post:{post.id}"


async def test_a_review_card_has_a_check_button(
    service: PracticeService, destination: Destination, clock: FakeClock
) -> None:
    card = await ask(service, destination)
    await service.rate(Invocation(destination, "U1"), card.question_id, f"ask:{clock.now().date()}", "missed")
    clock.advance(timedelta(days=2))
    [review] = await command(service, destination, "U1", "review")
    assert isinstance(review, QuestionCard) and review.check is not None
    assert review.check.context.startswith("review:")


async def test_the_check_button_opens_a_form_for_that_question(
    service: PracticeService, destination: Destination
) -> None:
    card = await ask(service, destination)
    assert card.check is not None
    response = await service.answer_form(Invocation(destination, "U1"), card.question_id, card.check.context)
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


async def test_feedback_lists_covered_and_missed_points_privately(
    service: PracticeService, destination: Destination
) -> None:
    card = await ask(service, destination)
    assert card.check is not None
    response = await service.check_answer(
        Invocation(destination, "U1"), card.question_id, card.check.context, GOOD
    )
    feedback = response.message
    assert response.private and isinstance(feedback, FeedbackCard)
    assert "✓ Scale features for distance-based models" in feedback.body
    assert "✓ Fit the scaler on the training data only" in feedback.body
    assert "✗ Tree models do not need scaling" in feedback.body
    assert feedback.answer.question_id == card.question_id  # the model answer comes with it


async def test_the_suggested_rating_is_pre_chosen_on_the_rating_buttons(
    service: PracticeService, destination: Destination
) -> None:
    card = await ask(service, destination)
    assert card.check is not None
    response = await service.check_answer(
        Invocation(destination, "U1"), card.question_id, card.check.context, GOOD
    )
    assert isinstance(response.message, FeedbackCard)
    rating = response.message.rating
    assert (rating.question_id, rating.context, rating.suggested) == (
        card.question_id,
        card.check.context,
        "nailed",
    )


async def test_a_misconception_is_flagged_with_its_correction_and_caps_the_suggestion(
    service: PracticeService, destination: Destination
) -> None:
    card = await ask(service, destination)
    assert card.check is not None
    answer = GOOD + " " + WRONG
    response = await service.check_answer(
        Invocation(destination, "U1"), card.question_id, card.check.context, answer
    )
    assert isinstance(response.message, FeedbackCard)
    assert "⚠" in response.message.body and "trees split the same either way" in response.message.body
    assert response.message.rating.suggested != "nailed"


async def test_clicking_the_suggested_rating_records_it(
    service: PracticeService, destination: Destination, store: SqlStore
) -> None:
    card = await ask(service, destination)
    assert card.check is not None
    response = await service.check_answer(
        Invocation(destination, "U1"), card.question_id, card.check.context, GOOD
    )
    assert isinstance(response.message, FeedbackCard)
    rating = response.message.rating
    await service.rate(
        Invocation(destination, "U1"), rating.question_id, rating.context, rating.suggested or ""
    )
    [stored] = await store.user_ratings(key(destination, "U1"))
    assert (stored.question_id, stored.rating) == (card.question_id, "nailed")


async def test_an_empty_answer_is_refused_and_nothing_is_checked(
    service: PracticeService, destination: Destination
) -> None:
    card = await ask(service, destination)
    assert card.check is not None
    response = await service.check_answer(
        Invocation(destination, "U1"), card.question_id, card.check.context, " \n\x00"
    )
    assert isinstance(response.message, Notice) and response.message.kind is NoticeKind.ERROR
    assert "empty" in response.message.text


async def test_an_answer_over_the_limit_is_refused_naming_the_limit(
    service: PracticeService, destination: Destination
) -> None:
    card = await ask(service, destination)
    assert card.check is not None
    response = await service.check_answer(
        Invocation(destination, "U1"), card.question_id, card.check.context, "x" * 4001
    )
    assert isinstance(response.message, Notice) and "4001 characters" in response.message.text


async def test_a_post_button_used_in_another_channel_is_refused(
    service: PracticeService, clock: FakeClock, subscription: Subscription
) -> None:
    post = await post_day(service, clock, MONDAY, subscription)
    assert post.question_id is not None
    elsewhere = Invocation(Destination("fake", "C9", "T1"), "U1")
    response = await service.check_answer(elsewhere, post.question_id, f"post:{post.id}", GOOD)
    assert isinstance(response.message, Notice) and "another channel" in response.message.text


@pytest.mark.parametrize("context", ["post:abc", "ask:2026-13-45", "nonsense", "mock:1:0"])
async def test_a_forged_context_is_refused(
    service: PracticeService, destination: Destination, context: str
) -> None:
    response = await service.check_answer(Invocation(destination, "U1"), "keras-easy", context, GOOD)
    assert isinstance(response.message, Notice) and response.message.kind is NoticeKind.ERROR


async def test_the_daily_question_can_be_checked_before_and_after_its_reveal(
    service: PracticeService, clock: FakeClock, subscription: Subscription, destination: Destination
) -> None:
    post = await post_day(service, clock, MONDAY, subscription)
    assert post.question_id is not None
    before = await service.check_answer(
        Invocation(destination, "U1"), post.question_id, f"post:{post.id}", GOOD
    )
    await reveal(service, clock, MONDAY)
    after = await service.check_answer(
        Invocation(destination, "U1"), post.question_id, f"post:{post.id}", GOOD
    )
    assert isinstance(before.message, FeedbackCard) and isinstance(after.message, FeedbackCard)


async def test_the_answer_text_is_never_stored_or_logged(
    service: PracticeService,
    destination: Destination,
    store: SqlStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Like reply text: an export of the whole store and every log line (DEBUG) lack the answer."""
    caplog.set_level(logging.DEBUG)
    card = await ask(service, destination)
    assert card.check is not None
    marker = "zebra-quartz-marker"
    answer = f"{GOOD} {marker}"
    response = await service.check_answer(
        Invocation(destination, "U1"), card.question_id, card.check.context, answer
    )
    assert isinstance(response.message, FeedbackCard)
    await service.rate(Invocation(destination, "U1"), card.question_id, card.check.context, "nailed")
    assert marker not in dumps(await export_store(store))
    assert all(marker not in record.getMessage() for record in caplog.records)
    assert any("answer checked" in record.getMessage() for record in caplog.records)
