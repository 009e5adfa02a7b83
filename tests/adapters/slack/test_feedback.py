"""Check my answer on Slack: the button on every kind of question card, the answer modal it opens,
private feedback with the suggested rating pre-chosen, ratings recorded, bad input answered
privately, and the answer text kept out of the store and the logs.

Through the real Bolt app over loopback HTTP (the listeners are the same in Socket Mode: one test
drives them over the websocket), signed requests in Slack's wire formats, and the fake Web API.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
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
from bot.content.bank import Filters
from bot.messages import AnswerCard, FeedbackCard, RatingPrompt
from bot.schedule.clock import FakeClock
from bot.schedule.rules import Schedule
from bot.seam import Destination
from bot.service import PracticeService
from bot.store import SqlStore
from bot.store.transfer import dumps, export_store
from tests.support.slack_support import (
    TEAM,
    Failure,
    FakeSlack,
    action_payload,
    button_click,
    click,
    command,
    interact,
    view_submission,
)

POST_AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin
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


async def press(
    client: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack, payload: dict[str, Any]
) -> dict[str, Any]:
    """Click a button; return the private reply posted to the click's response_url."""
    before = len(fake.responses)
    assert await click(client, adapter, payload) == 200
    await fake.wait_until(lambda: len(fake.responses) > before)
    return fake.responses[before]


def tap(fake: FakeSlack, message: dict[str, Any], action_id: str, user: str = ALICE) -> dict[str, Any]:
    """Alice (or `user`) clicking a button of a private (ephemeral) message we sent her."""
    return button_click(fake, message, action_id, user, ephemeral=True)


async def open_answer_form(
    client: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack, payload: dict[str, Any]
) -> dict[str, Any]:
    """Click a check button (`payload`); return the modal it opened with views.open."""
    before = len(fake.views)
    assert await click(client, adapter, payload) == 200
    await fake.wait_until(lambda: len(fake.views) > before)
    return fake.views[-1]


async def submit_answer(
    client: aiohttp.ClientSession,
    adapter: SlackAdapter,
    fake: FakeSlack,
    view: dict[str, Any],
    answer: str,
    method: str = "chat.postEphemeral",
    user: str = ALICE,
) -> list[dict[str, Any]]:
    """Send the answer modal; the modal closes (empty ack); return the messages of the feedback,
    delivered with `method` (ephemeral in a channel, chat.postMessage in direct messages)."""
    before = len(fake.calls_to(method))
    assert await interact(client, adapter, view_submission(view, user, answer=answer)) == (200, None)

    def delivered() -> bool:
        sent = fake.calls_to(method)[before:]
        return bool(sent) and "mlq_rate_" in text_of(sent[-1])

    await fake.wait_until(delivered)
    return fake.calls_to(method)[before:]


async def ask(client: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack) -> dict[str, Any]:
    """`/mlquestion keras easy` as Alice: the private question card."""
    return await command(client, adapter, fake, "keras easy", ALICE)


@pytest.fixture
async def daily_card(
    store: SqlStore,
    slack_channel: Destination,
    berlin_schedule: Schedule,
    clock: FakeClock,
    service: PracticeService,
    fake_slack: FakeSlack,
    slack_http: SlackAdapter,
) -> dict[str, Any]:
    """#general's daily question, posted at 09:00 (post 1)."""
    await store.save_subscription(slack_channel, berlin_schedule, Filters(), clock.now())
    clock.set(POST_AT)
    await service.run_due()
    (card,) = fake_slack.calls_to("chat.postMessage")
    return card


# The button on every card ------------------------------------------------------------------------------


async def test_the_daily_card_has_a_check_button_for_its_post(
    daily_card: dict[str, Any], store: SqlStore
) -> None:
    """The daily question in the channel carries "Check my answer" with the question and its post."""
    post = await store.get_post(1)
    assert post is not None
    assert check_prompt(daily_card) == ("Check my answer", post.question_id, "post:1")


async def test_the_on_demand_card_has_a_check_button_dated_today(
    slack_http: SlackAdapter, fake_slack: FakeSlack, http_client: aiohttp.ClientSession
) -> None:
    """An asked question: "Check my answer" first, then "Show answer" and "Post to channel"."""
    card = await ask(http_client, slack_http, fake_slack)
    assert check_prompt(card) == ("Check my answer", "keras-easy", "ask:2026-11-23")
    assert [b["action_id"] for b in buttons(card)] == [CHECK_ACTION, SHOW_ANSWER_ACTION, SHARE_ACTION]


async def test_the_shared_card_has_a_check_button_for_its_post(
    slack_http: SlackAdapter, fake_slack: FakeSlack, http_client: aiohttp.ClientSession
) -> None:
    """The "Post to channel" button posts the question with a check button naming the new post."""
    card = await ask(http_client, slack_http, fake_slack)
    await press(http_client, slack_http, fake_slack, tap(fake_slack, card, SHARE_ACTION))
    (shared,) = fake_slack.calls_to("chat.postMessage")
    assert "Shared question" in shared["text"]
    assert check_prompt(shared) == ("Check my answer", "keras-easy", "post:1")


async def test_the_review_card_has_a_check_button_dated_today(
    slack_http: SlackAdapter, fake_slack: FakeSlack, clock: FakeClock, http_client: aiohttp.ClientSession
) -> None:
    """Missed two days ago: the review card's check button is dated as today's review."""
    answer = await press(
        http_client, slack_http, fake_slack, action_payload(fake_slack, SHOW_ANSWER_ACTION, "keras-easy")
    )
    await press(
        http_client,
        slack_http,
        fake_slack,
        tap(fake_slack, answer, "mlq_rate_missed"),
    )
    clock.advance(timedelta(days=2))
    review = await command(http_client, slack_http, fake_slack, "review", ALICE)
    assert check_prompt(review) == ("Check my answer", "keras-easy", "review:2026-11-25")


# The form --------------------------------------------------------------------------------------------


async def test_the_button_opens_the_answer_form_for_that_question(
    slack_http: SlackAdapter, fake_slack: FakeSlack, http_client: aiohttp.ClientSession
) -> None:
    """views.open with the click's trigger_id: titled "Check my answer", the question's title in a
    section, one multiline field of at most 4,000 characters, and where the click came from."""
    card = await ask(http_client, slack_http, fake_slack)
    payload = tap(fake_slack, card, CHECK_ACTION)
    view = await open_answer_form(http_client, slack_http, fake_slack, payload)
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
    assert fake_slack.responses == [card]  # nothing said in the channel


async def test_slack_refusing_the_form_is_said_privately(
    slack_http: SlackAdapter, fake_slack: FakeSlack, http_client: aiohttp.ClientSession
) -> None:
    """views.open answers expired_trigger_id: an ephemeral note says so (no traceback, no 500)."""
    card = await ask(http_client, slack_http, fake_slack)
    fake_slack.fail("views.open", Failure(error="expired_trigger_id"))
    reply = await press(http_client, slack_http, fake_slack, tap(fake_slack, card, CHECK_ACTION))
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
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    http_client: aiohttp.ClientSession,
    value: str,
    said: str,
) -> None:
    """A question gone from the bank, a post that isn't ours, a forged date, a value not ours."""
    reply = await press(http_client, slack_http, fake_slack, action_payload(fake_slack, CHECK_ACTION, value))
    assert reply["response_type"] == "ephemeral" and said in text_of(reply)
    assert fake_slack.views == []


# Feedback ----------------------------------------------------------------------------------------------


async def test_the_feedback_is_private_with_covered_and_missed_points_and_the_suggestion_pre_chosen(
    slack_http: SlackAdapter, fake_slack: FakeSlack, http_client: aiohttp.ClientSession
) -> None:
    """One key point of three: ✓/✗ lines, the model answer, and "Partly" as the primary button."""
    card = await ask(http_client, slack_http, fake_slack)
    view = await open_answer_form(http_client, slack_http, fake_slack, tap(fake_slack, card, CHECK_ACTION))
    (feedback,) = await submit_answer(http_client, slack_http, fake_slack, view, PARTIAL)
    assert (feedback["channel"], feedback["user"]) == ("C0GENERAL", ALICE)
    text = text_of(feedback)
    assert "✓ Scale features for distance-based models" in text
    assert "✗ Fit the scaler on the training data only" in text and "✗ Tree models" in text
    assert "Model answer — Title of keras-easy" in text and "Short answer of keras-easy" in text
    assert "Suggested: Partly" in text
    assert primary(feedback) == ["mlq_rate_partly"]
    assert fake_slack.calls_to("chat.postMessage") == []  # nothing in the channel for all to see


async def test_clicking_the_suggested_rating_records_it(
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    store: SqlStore,
    http_client: aiohttp.ClientSession,
) -> None:
    """The pre-chosen "Partly" under the feedback: recorded as the question asked today."""
    card = await ask(http_client, slack_http, fake_slack)
    view = await open_answer_form(http_client, slack_http, fake_slack, tap(fake_slack, card, CHECK_ACTION))
    (feedback,) = await submit_answer(http_client, slack_http, fake_slack, view, PARTIAL)
    reply = await press(
        http_client,
        slack_http,
        fake_slack,
        tap(fake_slack, feedback, "mlq_rate_partly"),
    )
    assert reply["response_type"] == "ephemeral" and "Recorded *Partly*" in text_of(reply)
    (rating,) = await store.user_ratings(user_key(ALICE))
    assert (rating.question_id, rating.rating, rating.context) == ("keras-easy", "partly", "ask:2026-11-23")


async def test_feedback_on_the_daily_question_rates_that_post(
    daily_card: dict[str, Any],
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    store: SqlStore,
    http_client: aiohttp.ClientSession,
) -> None:
    """Checked from the channel's daily card: ephemeral in #general, and the rating names post 1."""
    view = await open_answer_form(
        http_client, slack_http, fake_slack, button_click(fake_slack, daily_card, CHECK_ACTION)
    )
    (feedback,) = await submit_answer(http_client, slack_http, fake_slack, view, GOOD)
    assert primary(feedback) == ["mlq_rate_nailed"]
    await press(
        http_client,
        slack_http,
        fake_slack,
        tap(fake_slack, feedback, "mlq_rate_nailed"),
    )
    (rating,) = await store.user_ratings(user_key(ALICE))
    assert (rating.rating, rating.context, rating.post_id) == ("nailed", "post:1", 1)


async def test_the_feedback_goes_to_the_response_url_when_the_bot_is_not_in_the_channel(
    slack_http: SlackAdapter, fake_slack: FakeSlack, http_client: aiohttp.ClientSession
) -> None:
    """chat.postEphemeral answers not_in_channel (commands work anywhere): the click's response_url
    carries the feedback instead, still ephemeral."""
    card = await ask(http_client, slack_http, fake_slack)
    view = await open_answer_form(http_client, slack_http, fake_slack, tap(fake_slack, card, CHECK_ACTION))
    fake_slack.fail("chat.postEphemeral", Failure(error="not_in_channel"))
    assert await interact(http_client, slack_http, view_submission(view, ALICE, answer=GOOD)) == (200, None)
    await fake_slack.wait_until(lambda: len(fake_slack.responses) > 1)
    feedback = fake_slack.responses[1]
    assert feedback["response_type"] == "ephemeral" and "✓ Scale features" in text_of(feedback)


@pytest.mark.parametrize(("answer", "said"), [("   ", "empty"), ("x" * 4001, "at most 4000")])
async def test_an_empty_or_too_long_answer_keeps_the_form_open_with_the_problem_under_the_field(
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    http_client: aiohttp.ClientSession,
    answer: str,
    said: str,
) -> None:
    """`response_action: errors` names the answer field, so nothing typed is lost; nothing is sent."""
    card = await ask(http_client, slack_http, fake_slack)
    view = await open_answer_form(http_client, slack_http, fake_slack, tap(fake_slack, card, CHECK_ACTION))
    status, reply = await interact(http_client, slack_http, view_submission(view, ALICE, answer=answer))
    assert status == 200 and reply is not None
    assert reply["response_action"] == "errors" and list(reply["errors"]) == [ANSWER_FIELD]
    assert said in reply["errors"][ANSWER_FIELD]
    assert fake_slack.calls_to("chat.postEphemeral") == []


async def test_the_answer_is_never_stored_or_logged(
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    store: SqlStore,
    http_client: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An answer with a unique marker, checked and rated: no trace of it in an export of the whole
    store, nor in any log record (DEBUG and up, tracebacks included)."""
    caplog.set_level(logging.DEBUG)
    marker = "okapi-vermilion-7731"
    card = await ask(http_client, slack_http, fake_slack)
    view = await open_answer_form(http_client, slack_http, fake_slack, tap(fake_slack, card, CHECK_ACTION))
    (feedback,) = await submit_answer(http_client, slack_http, fake_slack, view, f"{GOOD} {marker}")
    await press(
        http_client,
        slack_http,
        fake_slack,
        tap(fake_slack, feedback, "mlq_rate_nailed"),
    )
    assert len(await store.user_ratings(user_key(ALICE))) == 1
    assert marker not in dumps(await export_store(store))
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
