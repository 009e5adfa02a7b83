"""Mock interviews on Slack: `/mlquestion mock` runs in the person's direct messages with the bot
(ephemeral in the channel when Slack refuses the direct message), question by question — answer,
feedback and a follow-up, a rating that moves on — to a summary; `mock stop`; sessions that survive
a restart and expire after 30 idle minutes.

Through the real Bolt app over loopback HTTP (and once over Socket Mode), the fake Web API, and the
store to check what stuck.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest
import yaml

from adapters.slack.adapter import SlackAdapter
from adapters.slack.answering import IN_DIRECT_MESSAGES, SUMMARY_IN_DIRECT_MESSAGES
from adapters.slack.cli import MANIFEST
from adapters.slack.components import CHECK_ACTION
from bot.service import PracticeService
from tests.adapters.slack.test_feedback import (
    ALICE,
    BOB,
    PARTIAL,
    buttons,
    check_prompt,
    primary,
    tap,
    text_of,
    user_key,
)
from tests.adapters.slack.test_manifest import SCOPE_OF_METHOD
from tests.support.slack_support import (
    Failure,
    FakeSlack,
    SlackWorld,
    build_slack_adapter,
    button_click,
    command_form,
)

DM = "D0ALICE"  # the fake's direct messages between the bot and Alice


def direct_messages(fake: FakeSlack, user: str = ALICE) -> list[dict[str, Any]]:
    """Every message posted to `user`'s direct messages with the bot (by user id or DM id)."""
    return [m for m in fake.calls_to("chat.postMessage") if m["channel"] in (user, "D" + user[1:])]


def in_dm(fake: FakeSlack, message: dict[str, Any], action_id: str, user: str = ALICE) -> dict[str, Any]:
    """`user` clicking a button of a message the bot posted in Alice's direct messages."""
    return button_click(fake, message, action_id, user, channel=DM)


async def start(world: SlackWorld, text: str = "mock count 3") -> dict[str, Any]:
    """Alice runs `/mlquestion <text>` in #general; return the private note it leaves there."""
    return await world.command(text, ALICE)


async def answer_in_dm(world: SlackWorld, card: dict[str, Any]) -> dict[str, Any]:
    """Press the card's Answer, send a one-point answer; return the feedback posted in the DM."""
    view = await world.open_answer_form(in_dm(world.fake, card, CHECK_ACTION))
    *_, feedback = await world.submit_answer(view, PARTIAL, method="chat.postMessage")
    return feedback


async def rate_in_dm(world: SlackWorld, feedback: dict[str, Any]) -> dict[str, Any]:
    """Click the pre-chosen rating under the feedback; return what comes next in the DM."""
    (choice,) = primary(feedback)
    before = len(direct_messages(world.fake))
    assert await world.click(in_dm(world.fake, feedback, choice)) == 200
    await world.fake.wait_until(lambda: len(direct_messages(world.fake)) > before)
    return direct_messages(world.fake)[-1]


async def test_mock_starts_in_the_direct_messages_with_a_note_in_the_channel(slack_world: SlackWorld) -> None:
    """chat.postMessage to Alice's user id (the app's Messages tab): the intro, then question 1 with
    its Answer button; in #general only an ephemeral note says where it went."""
    note = await start(slack_world)
    assert note["response_type"] == "ephemeral" and IN_DIRECT_MESSAGES in note["text"]
    intro, card = direct_messages(slack_world.fake)
    assert intro["channel"] == card["channel"] == ALICE
    assert "Mock interview" in text_of(intro) and "3 questions" in text_of(intro)
    label, _, context = check_prompt(card)
    assert (label, context) == ("Answer", "mock:1:0")
    assert "Question 1 of 3 · mock interview" in text_of(card)
    assert slack_world.fake.calls_to("chat.postEphemeral") == []


async def test_a_whole_mock_interview_runs_in_the_direct_messages_to_its_summary(
    slack_world: SlackWorld,
) -> None:
    """Three times: Answer → feedback with a follow-up and "Partly" pre-chosen → click it → the next
    question; then the summary. The ratings join Alice's review schedule."""
    await start(slack_world)
    card = direct_messages(slack_world.fake)[-1]
    for number in (1, 2, 3):
        feedback = await answer_in_dm(slack_world, card)
        assert feedback["channel"] == DM
        text = text_of(feedback)
        assert f"Question {number} of 3 · mock interview" in text and "✓ Scale features" in text
        assert "The interviewer follows up:* a follow-up" in text
        assert primary(feedback) == ["mlq_rate_partly"]
        card = await rate_in_dm(slack_world, feedback)
        if number < 3:
            assert f"Recorded *Partly*. Question {number + 1} of 3" in text_of(card)
    assert card["text"] == "Mock interview finished" and buttons(card) == []
    assert text_of(card).count("*Partly*") == 3
    ratings = await slack_world.store.user_ratings(user_key(ALICE))
    assert [(r.rating, r.context) for r in ratings] == [
        ("partly", f"mock:{slack_world.clock.now().date()}")
    ] * 3


async def test_when_slack_refuses_the_direct_message_the_mock_runs_ephemerally_in_the_channel(
    slack_world: SlackWorld,
) -> None:
    """chat.postMessage to Alice answers messages_tab_disabled: a note says so with Slack's code,
    the intro and question follow ephemerally, and answering and rating work there."""
    slack_world.fake.fail("chat.postMessage", Failure(error="messages_tab_disabled", channel=ALICE))
    note = await start(slack_world)
    assert "couldn't send you a direct message" in text_of(note) and "messages_tab_disabled" in text_of(note)
    await slack_world.fake.wait_until(lambda: len(slack_world.fake.responses) == 3)
    _, intro, card = slack_world.fake.responses
    assert all(r["response_type"] == "ephemeral" for r in (intro, card))
    assert check_prompt(card)[0] == "Answer"
    view = await slack_world.open_answer_form(tap(slack_world.fake, card, CHECK_ACTION))
    (feedback,) = await slack_world.submit_answer(view, PARTIAL)
    assert (feedback["channel"], feedback["user"]) == ("C0GENERAL", ALICE)
    assert "The interviewer follows up" in text_of(feedback)
    following = await slack_world.press(tap(slack_world.fake, feedback, "mlq_rate_partly"))
    assert following["response_type"] == "ephemeral" and "Question 2 of 3" in text_of(following)
    assert len(await slack_world.store.user_ratings(user_key(ALICE))) == 1
    assert DM not in slack_world.fake.messages  # Slack took nothing for the direct messages


async def test_mock_stop_ends_it_with_the_summary_in_the_direct_messages(slack_world: SlackWorld) -> None:
    """One question answered and rated, then `mock stop`: the summary (stopped, one rated) in the
    DM, and a note in the channel saying so."""
    await start(slack_world)
    feedback = await answer_in_dm(slack_world, direct_messages(slack_world.fake)[-1])
    await rate_in_dm(slack_world, feedback)
    note = await slack_world.command("mock stop", ALICE)
    assert SUMMARY_IN_DIRECT_MESSAGES in note["text"]
    summary = direct_messages(slack_world.fake)[-1]
    assert summary["text"] == "Mock interview stopped"
    assert "*Partly*" in text_of(summary) and text_of(summary).count("*not rated*") == 2


async def test_a_second_mock_command_points_back_to_the_one_going(slack_world: SlackWorld) -> None:
    """`mock` again while one is going: the same question again in the DM, with a reminder."""
    await start(slack_world)
    first = direct_messages(slack_world.fake)[-1]
    await slack_world.command("mock", ALICE)
    reminder, again = direct_messages(slack_world.fake)[-2:]
    assert "already have a mock interview going" in text_of(reminder)
    assert check_prompt(again) == check_prompt(first)


async def test_a_mock_that_cannot_start_says_why_in_the_channel(slack_world: SlackWorld) -> None:
    """No question of the test bank is on the LLM-engineer track: the error stays ephemeral where the
    command was typed, and nothing goes to the direct messages."""
    reply = await start(slack_world, "mock llm-engineer")
    assert reply["response_type"] == "ephemeral" and "has 0 questions" in text_of(reply)
    assert direct_messages(slack_world.fake) == []


async def test_a_mock_button_still_works_after_a_restart(
    slack_world: SlackWorld, service_factory: Callable[..., PracticeService]
) -> None:
    """Started on one process; a new service and adapter on the same database take the Answer
    click, open the form and post the feedback in the DM."""
    await start(slack_world)
    card = direct_messages(slack_world.fake)[-1]
    await slack_world.adapter.stop()
    restarted = build_slack_adapter(service_factory(), slack_world.fake, "http")
    await restarted.start()
    try:
        feedback = await answer_in_dm(dataclasses.replace(slack_world, adapter=restarted), card)
    finally:
        await restarted.stop()
    assert "Question 1 of 3 · mock interview" in text_of(feedback) and "✓ Scale features" in text_of(feedback)


async def test_an_answer_button_after_30_idle_minutes_says_the_mock_expired(slack_world: SlackWorld) -> None:
    """31 minutes later the Answer click opens no form; Alice is told, privately, that it expired."""
    await start(slack_world)
    card = direct_messages(slack_world.fake)[-1]
    slack_world.clock.advance(timedelta(minutes=31))
    reply = await slack_world.press(in_dm(slack_world.fake, card, CHECK_ACTION))
    assert reply["response_type"] == "ephemeral" and "expired after 30 idle minutes" in text_of(reply)
    assert slack_world.fake.views == []


@pytest.mark.parametrize(
    ("who", "rated_first", "said"),
    [(BOB, False, "someone else's mock interview"), (ALICE, True, "earlier question")],
)
async def test_a_stale_or_foreign_mock_button_is_refused_privately(
    slack_world: SlackWorld,
    who: str,
    rated_first: bool,
    said: str,
) -> None:
    """Bob pressing Alice's Answer, or Alice pressing question 1's after rating it: no form."""
    await start(slack_world)
    card = direct_messages(slack_world.fake)[-1]
    if rated_first:
        feedback = await answer_in_dm(slack_world, card)
        await rate_in_dm(slack_world, feedback)
    opened = len(slack_world.fake.views)
    reply = await slack_world.press(in_dm(slack_world.fake, card, CHECK_ACTION, who))
    assert reply["response_type"] == "ephemeral" and said in text_of(reply)
    assert len(slack_world.fake.views) == opened


async def test_a_mock_rating_clicked_twice_records_it_once(slack_world: SlackWorld) -> None:
    """A doubled click on the feedback's rating: the second is refused privately, one rating stays."""
    await start(slack_world)
    feedback = await answer_in_dm(slack_world, direct_messages(slack_world.fake)[-1])
    await rate_in_dm(slack_world, feedback)
    reply = await slack_world.press(in_dm(slack_world.fake, feedback, "mlq_rate_nailed"))
    assert reply["response_type"] == "ephemeral" and "nothing was recorded" in text_of(reply)
    assert len(await slack_world.store.user_ratings(user_key(ALICE))) == 1


async def test_a_mock_interview_needs_only_the_manifests_scopes(slack_world: SlackWorld) -> None:
    """Start, answer, rate: every Web API method called is covered by the manifest's scopes, and the
    manifest turns on the (read-only) Messages tab the direct messages live in."""
    await start(slack_world)
    feedback = await answer_in_dm(slack_world, direct_messages(slack_world.fake)[-1])
    await rate_in_dm(slack_world, feedback)
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    scopes = set(manifest["oauth_config"]["scopes"]["bot"]) | {None}
    called = {call.method for call in slack_world.fake.calls}
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
