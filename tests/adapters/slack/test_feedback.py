"""Check my answer on Slack: the button on every kind of question card, the answer modal it opens,
private feedback with the suggested rating pre-chosen, ratings recorded, bad input answered
privately, and the answer text kept out of the store and the logs.

Through the real Bolt app over loopback HTTP (the listeners are the same in Socket Mode: one test
drives them over the websocket), signed requests in Slack's wire formats, and the fake Web API.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest

from adapters.slack import render as R
from adapters.slack.adapter import SlackAdapter
from adapters.slack.blocks import MAX_BLOCKS, MESSAGE_TEXT_BUDGET
from adapters.slack.components import (
    ANSWER_CALLBACK,
    ANSWER_FIELD,
    ANSWER_TITLE,
    CHECK_ACTION,
    SHARE_ACTION,
    SHOW_ANSWER_ACTION,
)
from adapters.slack.mrkdwn import MAX_SECTION_TEXT
from bot.messages import AnswerCard, FeedbackCard, RatingPrompt
from bot.store.transfer import dumps, export_store
from tests.support.slack_support import (
    TEAM,
    Failure,
    FakeSlack,
    SlackWorld,
    action_payload,
    button_click,
    view_submission,
)

ALICE, BOB = "U0ALICE", "U0BOB"
# Against the test rubric (tests/conftest.py): two of three key points, then one of three.
GOOD = "You scale the features, and you fit the scaler on the training data only."
PARTIAL = "You scale the features."


def user_key(user: str) -> str:
    return f"slack:{TEAM}:{user}"


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def check_prompt(message: dict[str, Any]) -> tuple[str, str, str]:
    """The (label, question id, context) of the message's check button."""
    (button,) = [b for b in buttons(message) if b["action_id"] == CHECK_ACTION]
    value = json.loads(button["value"])
    return button["text"]["text"], value["question_id"], value["context"]


def primary(message: dict[str, Any]) -> list[str]:
    """The action ids of the message's primary (pre-chosen) buttons."""
    return [b["action_id"] for b in buttons(message) if b.get("style") == "primary"]


def tap(fake: FakeSlack, message: dict[str, Any], action_id: str, user: str = ALICE) -> dict[str, Any]:
    """Alice (or `user`) clicking a button of a private (ephemeral) message we sent her."""
    return button_click(fake, message, action_id, user, ephemeral=True)


async def ask(world: SlackWorld) -> dict[str, Any]:
    """`/mlquestion keras easy` as Alice: the private question card."""
    return await world.command("keras easy", ALICE)


async def check(world: SlackWorld, card: dict[str, Any]) -> dict[str, Any]:
    """Click the private card's "Check my answer"; return the answer form it opened."""
    return await world.open_answer_form(tap(world.fake, card, CHECK_ACTION))


@pytest.fixture
async def daily_card(slack_daily: SlackWorld) -> dict[str, Any]:
    """#general's daily question, posted at 09:00 (post 1)."""
    return await slack_daily.post_question()


# The button on every card ------------------------------------------------------------------------------


async def test_the_daily_card_has_a_check_button_for_its_post(
    daily_card: dict[str, Any], slack_daily: SlackWorld
) -> None:
    """The daily question in the channel carries "Check my answer" with the question and its post."""
    post = await slack_daily.store.get_post(1)
    assert post is not None
    assert check_prompt(daily_card) == ("Check my answer", post.question_id, "post:1")


async def test_the_on_demand_card_has_a_check_button_dated_today(slack_world: SlackWorld) -> None:
    """An asked question: "Check my answer" first, then "Show answer" and "Post to channel"."""
    card = await ask(slack_world)
    assert check_prompt(card) == ("Check my answer", "keras-easy", "ask:2026-11-23")
    assert [b["action_id"] for b in buttons(card)] == [CHECK_ACTION, SHOW_ANSWER_ACTION, SHARE_ACTION]


async def test_the_shared_card_has_a_check_button_for_its_post(slack_world: SlackWorld) -> None:
    """The "Post to channel" button posts the question with a check button naming the new post."""
    card = await ask(slack_world)
    await slack_world.press(tap(slack_world.fake, card, SHARE_ACTION))
    (shared,) = slack_world.fake.calls_to("chat.postMessage")
    assert "Shared question" in shared["text"]
    assert check_prompt(shared) == ("Check my answer", "keras-easy", "post:1")


async def test_the_review_card_has_a_check_button_dated_today(slack_world: SlackWorld) -> None:
    """Missed two days ago: the review card's check button is dated as today's review."""
    answer = await slack_world.press(action_payload(slack_world.fake, SHOW_ANSWER_ACTION, "keras-easy"))
    await slack_world.press(tap(slack_world.fake, answer, "mlq_rate_missed"))
    slack_world.clock.advance(timedelta(days=2))
    review = await slack_world.command("review", ALICE)
    assert check_prompt(review) == ("Check my answer", "keras-easy", "review:2026-11-25")


# The form --------------------------------------------------------------------------------------------


async def test_the_button_opens_the_answer_form_for_that_question(slack_world: SlackWorld) -> None:
    """views.open with the click's trigger_id: titled "Check my answer", the question's title in a
    section, one multiline field of at most 4,000 characters, and where the click came from."""
    card = await ask(slack_world)
    payload = tap(slack_world.fake, card, CHECK_ACTION)
    view = await slack_world.open_answer_form(payload)
    assert view["trigger_id"] == payload["trigger_id"]
    assert view["callback_id"] == ANSWER_CALLBACK and view["title"]["text"] == ANSWER_TITLE
    assert len(ANSWER_TITLE) <= 24
    assert "Title of keras-easy" in json.dumps(view["blocks"])
    (field,) = [b for b in view["blocks"] if b["type"] == "input"]
    assert field["block_id"] == ANSWER_FIELD
    assert field["element"]["multiline"] is True and field["element"]["max_length"] == 4000
    metadata = json.loads(view["private_metadata"])
    assert (metadata["question_id"], metadata["context"], metadata["channel"]) == (
        "keras-easy",
        "ask:2026-11-23",
        "C0GENERAL",
    )
    assert slack_world.fake.responses == [card]  # nothing said in the channel


async def test_slack_refusing_the_form_is_said_privately(slack_world: SlackWorld) -> None:
    """views.open answers expired_trigger_id: an ephemeral note says so (no traceback, no 500)."""
    card = await ask(slack_world)
    slack_world.fake.fail("views.open", Failure(error="expired_trigger_id"))
    reply = await slack_world.press(tap(slack_world.fake, card, CHECK_ACTION))
    assert reply["response_type"] == "ephemeral" and "expired_trigger_id" in text_of(reply)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ('{"question_id":"gone-question","context":"ask:2026-11-23"}', "no longer in the bank"),
        ('{"question_id":"keras-easy","context":"post:999"}', "belongs to no question I posted"),
        ('{"question_id":"keras-easy","context":"ask:2999-01-01"}', "in the future"),
        ("not json at all", "not one I made"),
    ],
)
async def test_a_stale_or_forged_button_is_answered_privately_without_a_form(
    slack_world: SlackWorld, value: str, said: str
) -> None:
    """A question gone from the bank, a post that isn't ours, a forged date, a value not ours."""
    reply = await slack_world.press(action_payload(slack_world.fake, CHECK_ACTION, value))
    assert reply["response_type"] == "ephemeral" and said in text_of(reply)
    assert slack_world.fake.views == []


# Feedback ----------------------------------------------------------------------------------------------


async def test_the_feedback_is_private_with_covered_and_missed_points_and_the_suggestion_pre_chosen(
    slack_world: SlackWorld,
) -> None:
    """One key point of three: ✓/✗ lines, the model answer, and "Partly" as the primary button."""
    view = await check(slack_world, await ask(slack_world))
    (feedback,) = await slack_world.submit_answer(view, PARTIAL)
    assert (feedback["channel"], feedback["user"]) == ("C0GENERAL", ALICE)
    text = text_of(feedback)
    assert "✓ Scale features for distance-based models" in text
    assert "✗ Fit the scaler on the training data only" in text and "✗ Tree models" in text
    assert "Model answer — Title of keras-easy" in text and "Short answer of keras-easy" in text
    assert "Suggested: Partly" in text
    assert primary(feedback) == ["mlq_rate_partly"]
    assert slack_world.fake.calls_to("chat.postMessage") == []  # nothing in the channel for all to see


async def test_clicking_the_suggested_rating_records_it(slack_world: SlackWorld) -> None:
    """The pre-chosen "Partly" under the feedback: recorded as the question asked today."""
    view = await check(slack_world, await ask(slack_world))
    (feedback,) = await slack_world.submit_answer(view, PARTIAL)
    reply = await slack_world.press(tap(slack_world.fake, feedback, "mlq_rate_partly"))
    assert reply["response_type"] == "ephemeral" and "Recorded *Partly*" in text_of(reply)
    (rating,) = await slack_world.store.user_ratings(user_key(ALICE))
    assert (rating.question_id, rating.rating, rating.context) == ("keras-easy", "partly", "ask:2026-11-23")


async def test_feedback_on_the_daily_question_rates_that_post(
    daily_card: dict[str, Any], slack_daily: SlackWorld
) -> None:
    """Checked from the channel's daily card: ephemeral in #general, and the rating names post 1."""
    view = await slack_daily.open_answer_form(button_click(slack_daily.fake, daily_card, CHECK_ACTION))
    (feedback,) = await slack_daily.submit_answer(view, GOOD)
    assert primary(feedback) == ["mlq_rate_nailed"]
    await slack_daily.press(tap(slack_daily.fake, feedback, "mlq_rate_nailed"))
    (rating,) = await slack_daily.store.user_ratings(user_key(ALICE))
    assert (rating.rating, rating.context, rating.post_id) == ("nailed", "post:1", 1)


async def test_the_feedback_goes_to_the_response_url_when_the_bot_is_not_in_the_channel(
    slack_world: SlackWorld,
) -> None:
    """chat.postEphemeral answers not_in_channel (commands work anywhere): the click's response_url
    carries the feedback instead, still ephemeral."""
    fake = slack_world.fake
    view = await check(slack_world, await ask(slack_world))
    fake.fail("chat.postEphemeral", Failure(error="not_in_channel"))
    assert await slack_world.interact(view_submission(view, ALICE, answer=GOOD)) == (200, None)
    await fake.wait_until(lambda: len(fake.responses) > 1)
    feedback = fake.responses[1]
    assert feedback["response_type"] == "ephemeral" and "✓ Scale features" in text_of(feedback)


@pytest.mark.parametrize(("answer", "said"), [("   ", "empty"), ("x" * 4001, "at most 4000")])
async def test_an_empty_or_too_long_answer_keeps_the_form_open_with_the_problem_under_the_field(
    slack_world: SlackWorld, answer: str, said: str
) -> None:
    """`response_action: errors` names the answer field, so nothing typed is lost; nothing is sent."""
    view = await check(slack_world, await ask(slack_world))
    status, reply = await slack_world.interact(view_submission(view, ALICE, answer=answer))
    assert status == 200 and reply is not None
    assert reply["response_action"] == "errors" and list(reply["errors"]) == [ANSWER_FIELD]
    assert said in reply["errors"][ANSWER_FIELD]
    assert slack_world.fake.calls_to("chat.postEphemeral") == []


async def test_the_answer_is_never_stored_or_logged(
    slack_world: SlackWorld, caplog: pytest.LogCaptureFixture
) -> None:
    """An answer with a unique marker, checked and rated: no trace of it in an export of the whole
    store, nor in any log record (DEBUG and up, tracebacks included)."""
    caplog.set_level(logging.DEBUG)
    marker = "okapi-vermilion-7731"
    view = await check(slack_world, await ask(slack_world))
    (feedback,) = await slack_world.submit_answer(view, f"{GOOD} {marker}")
    await slack_world.press(tap(slack_world.fake, feedback, "mlq_rate_nailed"))
    assert len(await slack_world.store.user_ratings(user_key(ALICE))) == 1
    assert marker not in dumps(await export_store(slack_world.store))
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logged = [formatter.format(record) for record in caplog.records]
    assert any("answer checked" in line for line in logged)
    assert [line for line in logged if marker in line] == []


# Socket Mode ------------------------------------------------------------------------------------------


async def test_the_check_button_and_form_work_over_socket_mode(
    slack_socket: SlackAdapter, fake_slack: FakeSlack
) -> None:
    """The same listeners serve Socket Mode: the click opens the form; an empty answer comes back in
    the envelope's ack as field errors."""
    value = '{"question_id":"keras-easy","context":"ask:2026-11-23"}'
    await fake_slack.send_envelope("interactive", action_payload(fake_slack, CHECK_ACTION, value))
    await fake_slack.wait_until(lambda: bool(fake_slack.views))
    ack = await fake_slack.send_envelope(
        "interactive", view_submission(fake_slack.views[0], ALICE, answer="")
    )
    assert ack["payload"]["response_action"] == "errors" and ANSWER_FIELD in ack["payload"]["errors"]


# Limits --------------------------------------------------------------------------------------------------


def test_long_feedback_and_answer_are_split_within_slacks_limits() -> None:
    """8,000 characters of feedback and a 60,000-character model answer: several valid messages, the
    rating buttons under the last only, the suggested one pre-chosen."""
    answer = AnswerCard("q", "T", tuple((f"Part {n}", "word " * 2_000) for n in range(6)))
    body = "**Key points**\n" + "\n".join(f"✗ point {n} " + "y" * 150 for n in range(50))
    card = FeedbackCard("q", "T", body, answer, RatingPrompt("q", "ask:2026-11-23", "missed"), "Why?")
    messages = R.render(card)
    assert len(messages) > 3
    for message in messages:
        assert len(message.blocks) <= MAX_BLOCKS
        assert sum(len(str(block)) for block in message.blocks) <= MESSAGE_TEXT_BUDGET + MAX_SECTION_TEXT
        assert all(len(b.get("text", {}).get("text", "")) <= MAX_SECTION_TEXT for b in message.blocks)
    rated = [m for m in messages if "mlq_rate_" in json.dumps(m.blocks)]
    assert rated == [messages[-1]]
    styles = {
        e["action_id"]: e.get("style")
        for b in messages[-1].blocks
        if b["type"] == "actions"
        for e in b["elements"]
    }
    assert styles["mlq_rate_missed"] == "primary" and styles["mlq_rate_nailed"] is None
    everything = json.dumps([m.blocks for m in messages], ensure_ascii=False)
    assert everything.count("✗ point") == 50 and "The interviewer follows up" in everything
