"""Mock interviews on Slack: `/mlquestion mock` runs in the person's direct messages with the bot
(ephemeral in the channel when Slack refuses the direct message), question by question — answer,
feedback and a follow-up, a rating that moves on — to a summary; `mock stop`; sessions that survive
a restart and expire after 30 idle minutes.

Through the real Bolt app over loopback HTTP (and once over Socket Mode), the fake Web API, and the
store to check what stuck.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
import yaml

from adapters.slack.adapter import SlackAdapter
from adapters.slack.answering import IN_DIRECT_MESSAGES, SUMMARY_IN_DIRECT_MESSAGES
from adapters.slack.cli import MANIFEST
from adapters.slack.components import CHECK_ACTION
from bot.schedule.clock import FakeClock
from bot.service import PracticeService
from bot.store import SqlStore
from tests.adapters.slack.test_feedback import (
    ALICE,
    BOB,
    PARTIAL,
    buttons,
    check_prompt,
    open_answer_form,
    press,
    primary,
    submit_answer,
    tap,
    text_of,
    user_key,
)
from tests.adapters.slack.test_manifest import SCOPE_OF_METHOD
from tests.support.slack_support import (
    Failure,
    FakeSlack,
    build_slack_adapter,
    button_click,
    click,
    command,
    command_form,
)

DM = "D0ALICE"  # the fake's direct messages between the bot and Alice


def direct_messages(fake: FakeSlack, user: str = ALICE) -> list[dict[str, Any]]:
    """Every message posted to `user`'s direct messages with the bot (by user id or DM id)."""
    return [m for m in fake.calls_to("chat.postMessage") if m["channel"] in (user, "D" + user[1:])]


def in_dm(fake: FakeSlack, message: dict[str, Any], action_id: str, user: str = ALICE) -> dict[str, Any]:
    """`user` clicking a button of a message the bot posted in Alice's direct messages."""
    return button_click(fake, message, action_id, user, channel=DM)


async def start(
    client: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack, text: str = "mock count 3"
) -> dict[str, Any]:
    """Alice runs `/mlquestion <text>` in #general; return the private note it leaves there."""
    return await command(client, adapter, fake, text, ALICE)


async def answer_in_dm(
    client: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack, card: dict[str, Any]
) -> dict[str, Any]:
    """Press the card's Answer, send a one-point answer; return the feedback posted in the DM."""
    view = await open_answer_form(client, adapter, fake, in_dm(fake, card, CHECK_ACTION))
    *_, feedback = await submit_answer(client, adapter, fake, view, PARTIAL, method="chat.postMessage")
    return feedback


async def rate_in_dm(
    client: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack, feedback: dict[str, Any]
) -> dict[str, Any]:
    """Click the pre-chosen rating under the feedback; return what comes next in the DM."""
    (choice,) = primary(feedback)
    before = len(direct_messages(fake))
    assert await click(client, adapter, in_dm(fake, feedback, choice)) == 200
    await fake.wait_until(lambda: len(direct_messages(fake)) > before)
    return direct_messages(fake)[-1]


async def test_mock_starts_in_the_direct_messages_with_a_note_in_the_channel(
    slack_http: SlackAdapter, fake_slack: FakeSlack, http_client: aiohttp.ClientSession
) -> None:
    """chat.postMessage to Alice's user id (the app's Messages tab): the intro, then question 1 with
    its Answer button; in #general only an ephemeral note says where it went."""
    note = await start(http_client, slack_http, fake_slack)
    assert note["response_type"] == "ephemeral" and IN_DIRECT_MESSAGES in note["text"]
    intro, card = direct_messages(fake_slack)
    assert intro["channel"] == card["channel"] == ALICE
    assert "Mock interview" in text_of(intro) and "3 questions" in text_of(intro)
    label, _, context = check_prompt(card)
    assert (label, context) == ("Answer", "mock:1:0")
    assert "Question 1 of 3 · mock interview" in text_of(card)
    assert fake_slack.calls_to("chat.postEphemeral") == []


async def test_a_whole_mock_interview_runs_in_the_direct_messages_to_its_summary(
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    store: SqlStore,
    clock: FakeClock,
    http_client: aiohttp.ClientSession,
) -> None:
    """Three times: Answer → feedback with a follow-up and "Partly" pre-chosen → click it → the next
    question; then the summary. The ratings join Alice's review schedule."""
    await start(http_client, slack_http, fake_slack)
    card = direct_messages(fake_slack)[-1]
    for number in (1, 2, 3):
        feedback = await answer_in_dm(http_client, slack_http, fake_slack, card)
        assert feedback["channel"] == DM
        text = text_of(feedback)
        assert f"Question {number} of 3 · mock interview" in text and "✓ Scale features" in text
        assert "The interviewer follows up:* a follow-up" in text
        assert primary(feedback) == ["mlq_rate_partly"]
        card = await rate_in_dm(http_client, slack_http, fake_slack, feedback)
        if number < 3:
            assert f"Recorded *Partly*. Question {number + 1} of 3" in text_of(card)
    assert card["text"] == "Mock interview finished" and buttons(card) == []
    assert text_of(card).count("*Partly*") == 3
    ratings = await store.user_ratings(user_key(ALICE))
    assert [(r.rating, r.context) for r in ratings] == [("partly", f"mock:{clock.now().date()}")] * 3


async def test_when_slack_refuses_the_direct_message_the_mock_runs_ephemerally_in_the_channel(
    slack_http: SlackAdapter, fake_slack: FakeSlack, store: SqlStore, http_client: aiohttp.ClientSession
) -> None:
    """chat.postMessage to Alice answers messages_tab_disabled: a note says so with Slack's code,
    the intro and question follow ephemerally, and answering and rating work there."""
    fake_slack.fail("chat.postMessage", Failure(error="messages_tab_disabled", channel=ALICE))
    note = await start(http_client, slack_http, fake_slack)
    assert "couldn't send you a direct message" in text_of(note) and "messages_tab_disabled" in text_of(note)
    await fake_slack.wait_until(lambda: len(fake_slack.responses) == 3)
    _, intro, card = fake_slack.responses
    assert all(r["response_type"] == "ephemeral" for r in (intro, card))
    assert check_prompt(card)[0] == "Answer"
    view = await open_answer_form(http_client, slack_http, fake_slack, tap(fake_slack, card, CHECK_ACTION))
    (feedback,) = await submit_answer(http_client, slack_http, fake_slack, view, PARTIAL)
    assert (feedback["channel"], feedback["user"]) == ("C0GENERAL", ALICE)
    assert "The interviewer follows up" in text_of(feedback)
    following = await press(http_client, slack_http, fake_slack, tap(fake_slack, feedback, "mlq_rate_partly"))
    assert following["response_type"] == "ephemeral" and "Question 2 of 3" in text_of(following)
    assert len(await store.user_ratings(user_key(ALICE))) == 1
    assert DM not in fake_slack.messages  # Slack took nothing for the direct messages


async def test_mock_stop_ends_it_with_the_summary_in_the_direct_messages(
    slack_http: SlackAdapter, fake_slack: FakeSlack, http_client: aiohttp.ClientSession
) -> None:
    """One question answered and rated, then `mock stop`: the summary (stopped, one rated) in the
    DM, and a note in the channel saying so."""
    await start(http_client, slack_http, fake_slack)
    feedback = await answer_in_dm(http_client, slack_http, fake_slack, direct_messages(fake_slack)[-1])
    await rate_in_dm(http_client, slack_http, fake_slack, feedback)
    note = await command(http_client, slack_http, fake_slack, "mock stop", ALICE)
    assert SUMMARY_IN_DIRECT_MESSAGES in note["text"]
    summary = direct_messages(fake_slack)[-1]
    assert summary["text"] == "Mock interview stopped"
    assert "*Partly*" in text_of(summary) and text_of(summary).count("*not rated*") == 2


async def test_a_second_mock_command_points_back_to_the_one_going(
    slack_http: SlackAdapter, fake_slack: FakeSlack, http_client: aiohttp.ClientSession
) -> None:
    """`mock` again while one is going: the same question again in the DM, with a reminder."""
    await start(http_client, slack_http, fake_slack)
    first = direct_messages(fake_slack)[-1]
    await command(http_client, slack_http, fake_slack, "mock", ALICE)
    reminder, again = direct_messages(fake_slack)[-2:]
    assert "already have a mock interview going" in text_of(reminder)
    assert check_prompt(again) == check_prompt(first)


async def test_a_mock_that_cannot_start_says_why_in_the_channel(
    slack_http: SlackAdapter, fake_slack: FakeSlack, http_client: aiohttp.ClientSession
) -> None:
    """No question of the test bank is on the LLM-engineer track: the error stays ephemeral where the
    command was typed, and nothing goes to the direct messages."""
    reply = await start(http_client, slack_http, fake_slack, "mock llm-engineer")
    assert reply["response_type"] == "ephemeral" and "has 0 questions" in text_of(reply)
    assert direct_messages(fake_slack) == []


async def test_a_mock_button_still_works_after_a_restart(
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    service_factory: Callable[..., PracticeService],
    http_client: aiohttp.ClientSession,
) -> None:
    """Started on one process; a new service and adapter on the same database take the Answer
    click, open the form and post the feedback in the DM."""
    await start(http_client, slack_http, fake_slack)
    card = direct_messages(fake_slack)[-1]
    await slack_http.stop()
    restarted = build_slack_adapter(service_factory(), fake_slack, "http")
    await restarted.start()
    try:
        feedback = await answer_in_dm(http_client, restarted, fake_slack, card)
    finally:
        await restarted.stop()
    assert "Question 1 of 3 · mock interview" in text_of(feedback) and "✓ Scale features" in text_of(feedback)


async def test_an_answer_button_after_30_idle_minutes_says_the_mock_expired(
    slack_http: SlackAdapter, fake_slack: FakeSlack, clock: FakeClock, http_client: aiohttp.ClientSession
) -> None:
    """31 minutes later the Answer click opens no form; Alice is told, privately, that it expired."""
    await start(http_client, slack_http, fake_slack)
    card = direct_messages(fake_slack)[-1]
    clock.advance(timedelta(minutes=31))
    reply = await press(http_client, slack_http, fake_slack, in_dm(fake_slack, card, CHECK_ACTION))
    assert reply["response_type"] == "ephemeral" and "expired after 30 idle minutes" in text_of(reply)
    assert fake_slack.views == []


@pytest.mark.parametrize(
    ("who", "rated_first", "said"),
    [(BOB, False, "someone else's mock interview"), (ALICE, True, "earlier question")],
)
async def test_a_stale_or_foreign_mock_button_is_refused_privately(
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    http_client: aiohttp.ClientSession,
    who: str,
    rated_first: bool,
    said: str,
) -> None:
    """Bob pressing Alice's Answer, or Alice pressing question 1's after rating it: no form."""
    await start(http_client, slack_http, fake_slack)
    card = direct_messages(fake_slack)[-1]
    if rated_first:
        feedback = await answer_in_dm(http_client, slack_http, fake_slack, card)
        await rate_in_dm(http_client, slack_http, fake_slack, feedback)
    opened = len(fake_slack.views)
    reply = await press(http_client, slack_http, fake_slack, in_dm(fake_slack, card, CHECK_ACTION, who))
    assert reply["response_type"] == "ephemeral" and said in text_of(reply)
    assert len(fake_slack.views) == opened


async def test_a_mock_rating_clicked_twice_records_it_once(
    slack_http: SlackAdapter, fake_slack: FakeSlack, store: SqlStore, http_client: aiohttp.ClientSession
) -> None:
    """A doubled click on the feedback's rating: the second is refused privately, one rating stays."""
    await start(http_client, slack_http, fake_slack)
    feedback = await answer_in_dm(http_client, slack_http, fake_slack, direct_messages(fake_slack)[-1])
    await rate_in_dm(http_client, slack_http, fake_slack, feedback)
    reply = await press(http_client, slack_http, fake_slack, in_dm(fake_slack, feedback, "mlq_rate_nailed"))
    assert reply["response_type"] == "ephemeral" and "nothing was recorded" in text_of(reply)
    assert len(await store.user_ratings(user_key(ALICE))) == 1


async def test_a_mock_interview_needs_only_the_manifests_scopes(
    slack_http: SlackAdapter, fake_slack: FakeSlack, http_client: aiohttp.ClientSession
) -> None:
    """Start, answer, rate: every Web API method called is covered by the manifest's scopes, and the
    manifest turns on the (read-only) Messages tab the direct messages live in."""
    await start(http_client, slack_http, fake_slack)
    feedback = await answer_in_dm(http_client, slack_http, fake_slack, direct_messages(fake_slack)[-1])
    await rate_in_dm(http_client, slack_http, fake_slack, feedback)
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    scopes = set(manifest["oauth_config"]["scopes"]["bot"]) | {None}
    called = {call.method for call in fake_slack.calls}
    assert {"chat.postMessage", "views.open"} <= called
    assert {SCOPE_OF_METHOD[method] for method in called} <= scopes
    home = manifest["features"]["app_home"]
    assert home["messages_tab_enabled"] is True and home["messages_tab_read_only_enabled"] is True


async def test_mock_over_socket_mode_goes_to_the_direct_messages(
    slack_socket: SlackAdapter, fake_slack: FakeSlack
) -> None:
    """The same command listener serves Socket Mode: the intro and question 1 reach Alice's DM."""
    form = parse_qs(command_form(fake_slack, "mock count 3", ALICE))
    payload = {key: values[0] for key, values in form.items()}
    await fake_slack.send_envelope("slash_commands", payload)
    await fake_slack.wait_until(lambda: bool(fake_slack.responses))
    assert IN_DIRECT_MESSAGES in fake_slack.responses[0]["text"]
    assert check_prompt(direct_messages(fake_slack)[-1])[2] == "mock:1:0"
