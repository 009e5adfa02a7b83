"""Practice that sticks on Slack: the real Bolt app over loopback HTTP (and Socket Mode), signed
requests in Slack's wire formats, the fake Web API behind it, and the store to check what stuck."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from adapters.slack.adapter import SlackAdapter
from adapters.slack.components import (
    CHECK_ACTION,
    REVIEW_ANSWER_ACTION,
    SHOW_ANSWER_ACTION,
    SUGGEST_CALLBACK,
)
from bot.records import Subscription, SubscriptionOptions
from bot.schedule.clock import FakeClock
from bot.seam import Destination, reply_key
from bot.service import PracticeService
from bot.store import SqlStore
from tests.support.slack_support import (
    BOT_USER,
    POST_AT,
    TEAM,
    Failure,
    FakeSlack,
    SlackWorld,
    action_payload,
    button_click,
    command_form,
    event_body,
    eventually,
    message_event,
    view_submission,
)

ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"
NAMES = {ALICE: "Alice Archer", BOB: "Bob Baker", CAROL: "Carol Chen"}


def user_key(user: str) -> str:
    return f"slack:{TEAM}:{user}"


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


async def show_answer(world: SlackWorld, question_id: str, user: str) -> dict[str, Any]:
    """Click "Show answer" on an asked question's card; return the private answer."""
    return await world.press(action_payload(world.fake, SHOW_ANSWER_ACTION, question_id, user))


async def rate_asked(world: SlackWorld, question_id: str, choice: str, user: str = ALICE) -> None:
    """`user` asks for the question's answer privately and rates it with the `choice` button."""
    answer = await show_answer(world, question_id, user)
    await world.press(button_click(world.fake, answer, f"mlq_rate_{choice}", user, ephemeral=True))


# Participation ----------------------------------------------------------------------------------------


async def test_replies_in_the_question_thread_are_mentioned_in_the_reveal(slack_daily: SlackWorld) -> None:
    """Two people answer in the thread (one also sent to the channel); the reveal mentions both."""
    question_ts = await slack_daily.question_thread()
    await slack_daily.answered_by(question_ts, ALICE)
    await slack_daily.answered_by(question_ts, BOB, subtype="thread_broadcast")
    answer = await slack_daily.reveal()
    assert f"2 people answered: <@{ALICE}>, <@{BOB}>" in text_of(answer)


async def test_with_mentions_off_the_reveal_names_people_without_notifying_them(
    slack_world: SlackWorld,
) -> None:
    """Display names from users.info instead of `<@…>`; a failed lookup shows the id."""
    slack_world.fake.names.update(NAMES)
    await slack_world.subscribe(SubscriptionOptions(mention_participants=False))
    question_ts = await slack_world.question_thread()
    await slack_world.answered_by(question_ts, ALICE, BOB)
    slack_world.fake.fail("users.info", Failure(error="user_not_found", user=ALICE))
    answer = await slack_world.reveal()
    assert f"2 people answered: {ALICE}, Bob Baker" in text_of(answer)
    assert "<@" not in text_of(answer)


async def test_bot_posts_edits_and_messages_outside_the_thread_are_not_counted(
    slack_daily: SlackWorld,
) -> None:
    """Only people's replies in the thread count; Carol's reply, sent last, is the only one."""
    question_ts = await slack_daily.question_thread()
    ignored = [
        message_event("U0OTHERBOT", "1700000200.000001", question_ts, bot_id="B0OTHER"),
        message_event(BOB, "1700000200.000002", question_ts, subtype="bot_message"),
        message_event(BOB, "1700000200.000003", question_ts, subtype="message_changed"),
        message_event(BOB, "1700000200.000004", question_ts, subtype="message_deleted"),
        message_event(ALICE, "1700000200.000005"),  # in the channel, not in a thread
        message_event(ALICE, question_ts, question_ts),  # the thread's root itself
    ]
    for event in ignored:
        assert await slack_daily.post_event(event) == 200
    await slack_daily.answered_by(question_ts, CAROL)
    thread = reply_key(slack_daily.channel, question_ts)
    assert await slack_daily.store.thread_repliers(thread) == [CAROL]


async def test_a_reply_in_a_thread_under_someone_elses_message_is_not_stored(
    slack_daily: SlackWorld,
) -> None:
    """Slack says whose message a thread hangs off (`parent_user_id`): only the bot's threads count."""
    question_ts = await slack_daily.question_thread()
    people_thread = message_event(ALICE, "1700000300.000001", "1700000299.000001", parent_user_id=BOB)
    assert await slack_daily.post_event(people_thread) == 200
    await slack_daily.answered_by(question_ts, ALICE, parent_user_id=BOT_USER)
    assert await slack_daily.store.replied_threads(f"slack:{TEAM}:{ALICE}") == {
        reply_key(slack_daily.channel, question_ts)
    }


async def test_a_thread_reply_over_socket_mode_is_counted(
    slack_socket: SlackAdapter,
    fake_slack: FakeSlack,
    service: PracticeService,
    store: SqlStore,
    clock: FakeClock,
    slack_channel: Destination,
    slack_subscription: Subscription,
) -> None:
    """The same listener serves Socket Mode: an `events_api` envelope with a reply is acked and counted."""
    clock.set(POST_AT)
    await service.run_due()
    (question,) = fake_slack.messages["C0GENERAL"]
    question_ts = str(question["ts"])
    event = message_event(ALICE, "1700000300.000001", question_ts)
    ack = await fake_slack.send_envelope("events_api", event_body(event))
    assert "envelope_id" in ack
    thread = reply_key(slack_channel, question_ts)

    async def counted() -> bool:
        return await store.thread_repliers(thread) == [ALICE]

    await eventually(counted)


# Ratings ----------------------------------------------------------------------------------------------


async def test_a_rating_is_recorded_for_the_clicker_and_a_second_click_changes_it(
    slack_daily: SlackWorld,
) -> None:
    """Nailed it, then Missed it under the reveal: one rating (now missed), confirmed privately."""
    await slack_daily.question_thread()
    answer = await slack_daily.reveal()
    first = await slack_daily.press(button_click(slack_daily.fake, answer, "mlq_rate_nailed"))
    assert first["response_type"] == "ephemeral" and first["replace_original"] is False
    assert "Recorded *Nailed it*" in text_of(first)
    second = await slack_daily.press(button_click(slack_daily.fake, answer, "mlq_rate_missed"))
    assert "Changed your rating to *Missed it*" in text_of(second)
    (rating,) = await slack_daily.store.user_ratings(user_key(ALICE))
    assert (rating.rating, rating.context, rating.post_id) == ("missed", "post:1", 1)
    card = await slack_daily.store.review_card(user_key(ALICE), rating.question_id)
    assert card is not None and card.last_context == "post:1"


async def test_another_users_click_records_only_their_own_rating(slack_daily: SlackWorld) -> None:
    """Bob clicks the buttons Alice clicked: Bob gets his own rating; Alice's stays as she left it."""
    await slack_daily.question_thread()
    answer = await slack_daily.reveal()
    await slack_daily.press(button_click(slack_daily.fake, answer, "mlq_rate_nailed", ALICE))
    await slack_daily.press(button_click(slack_daily.fake, answer, "mlq_rate_missed", BOB))
    assert [r.rating for r in await slack_daily.store.user_ratings(user_key(ALICE))] == ["nailed"]
    assert [r.rating for r in await slack_daily.store.user_ratings(user_key(BOB))] == ["missed"]


async def test_show_answer_on_an_asked_question_offers_the_rating_buttons(slack_world: SlackWorld) -> None:
    """The private answer carries the buttons; a click rates the question as asked today."""
    answer = await show_answer(slack_world, "keras-easy", ALICE)
    await slack_world.press(button_click(slack_world.fake, answer, "mlq_rate_partly", ALICE, ephemeral=True))
    (rating,) = await slack_world.store.user_ratings(user_key(ALICE))
    assert (rating.question_id, rating.rating, rating.context) == ("keras-easy", "partly", "ask:2026-11-23")


# Reviews ------------------------------------------------------------------------------------------------


async def test_review_with_nothing_due_says_when_the_next_one_is(slack_world: SlackWorld) -> None:
    """Missed it today: the question is due tomorrow, and `review` says so privately."""
    await rate_asked(slack_world, "keras-easy", "missed")
    reply = await slack_world.command("review")
    assert reply["response_type"] == "ephemeral"
    assert "Nothing to review right now" in text_of(reply) and "2026-11-24" in text_of(reply)


async def test_review_after_some_days_brings_back_the_overdue_question(slack_world: SlackWorld) -> None:
    """Two days after missing it, `review` shows that question privately with its buttons
    ("Check my answer" first)."""
    await rate_asked(slack_world, "keras-easy", "missed")
    slack_world.clock.advance(timedelta(days=2))
    reply = await slack_world.command("review")
    assert reply["response_type"] == "ephemeral"
    assert "Title of keras-easy" in text_of(reply) and "Review" in text_of(reply)
    actions = [e["action_id"] for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert actions == [
        CHECK_ACTION,
        REVIEW_ANSWER_ACTION,
        "mlq_rate_nailed",
        "mlq_rate_partly",
        "mlq_rate_missed",
    ]


async def test_show_answer_on_a_review_card_rates_it_as_a_review(slack_world: SlackWorld) -> None:
    """The review card's Show answer gives the answer with buttons dated as today's review."""
    await rate_asked(slack_world, "keras-easy", "missed")
    slack_world.clock.advance(timedelta(days=2))
    card = await slack_world.command("review")
    shown = await slack_world.press(
        button_click(slack_world.fake, card, REVIEW_ANSWER_ACTION, ephemeral=True)
    )
    assert "Short answer of keras-easy" in text_of(shown)
    await slack_world.press(button_click(slack_world.fake, shown, "mlq_rate_nailed", ephemeral=True))
    ratings = await slack_world.store.user_ratings(user_key(ALICE))
    assert [(r.rating, r.context) for r in ratings] == [
        ("missed", "ask:2026-11-23"),
        ("nailed", "review:2026-11-25"),
    ]


# Stats and leaderboards ---------------------------------------------------------------------------------


async def test_stats_are_private_and_count_only_the_callers_own_practice(slack_world: SlackWorld) -> None:
    """Alice rated one question, Bob missed two: Alice's stats show her one, privately."""
    await rate_asked(slack_world, "keras-easy", "nailed")
    for question_id in ("keras-hard", "tensorflow-hard"):
        await rate_asked(slack_world, question_id, "missed", BOB)
    reply = await slack_world.command("stats", ALICE)
    assert reply["response_type"] == "ephemeral"
    text = text_of(reply)
    assert "Questions rated: *1*" in text and "Keras 3 — 1 nailed, 0 partly, 0 missed" in text
    assert "TensorFlow" not in text and "1 missed" not in text and BOB not in text


async def test_the_leaderboard_is_public_names_people_without_mentions_and_leaves_out_who_opted_out(
    slack_daily: SlackWorld,
) -> None:
    """Alice, Bob and Carol answered; Bob opted out: the board names Alice and Carol only."""
    slack_daily.fake.names.update(NAMES)
    question_ts = await slack_daily.question_thread()
    await slack_daily.answered_by(question_ts, ALICE, BOB, CAROL)
    optout = await slack_daily.command("leaderboard optout", BOB)
    assert optout["response_type"] == "ephemeral"
    board = await slack_daily.command("leaderboard")
    assert board["response_type"] == "in_channel"
    text = text_of(board)
    assert "1. Alice Archer — 1 question" in text and "1. Carol Chen — 1 question" in text
    assert "Bob" not in text and BOB not in text and "<@" not in text


# Suggestions ----------------------------------------------------------------------------------------------


async def open_form(world: SlackWorld) -> dict[str, Any]:
    """`/mlquestion suggest` as Alice; return the modal opened with views.open."""
    assert await world.send(command_form(world.fake, "suggest", ALICE)) == 200
    await world.fake.wait_until(lambda: bool(world.fake.views))
    return world.fake.views[0]


async def test_suggest_opens_the_form_with_the_commands_trigger_id(slack_world: SlackWorld) -> None:
    """The command's trigger_id opens the modal; the channel travels in private_metadata."""
    fake = slack_world.fake
    form = command_form(fake, "suggest", ALICE)
    assert await slack_world.send(form) == 200
    await fake.wait_until(lambda: bool(fake.views))
    (view,) = fake.views
    assert view["trigger_id"] == parse_qs(form)["trigger_id"][0]
    assert view["callback_id"] == SUGGEST_CALLBACK
    assert json.loads(view["private_metadata"])["channel"] == "C0GENERAL"
    assert fake.responses == []


async def test_a_valid_suggestion_is_stored_and_thanked_privately(slack_world: SlackWorld) -> None:
    """Sending the form closes it (empty ack), stores the suggestion, and thanks Alice ephemerally."""
    view = await open_form(slack_world)
    submission = view_submission(
        view, ALICE, question="Why use dropout?", answer="It regularises.", topic="keras", difficulty="easy"
    )
    assert await slack_world.interact(submission) == (200, None)
    (suggestion,) = await slack_world.store.list_suggestions()
    assert (suggestion.question, suggestion.answer, suggestion.topic, suggestion.difficulty) == (
        "Why use dropout?",
        "It regularises.",
        "keras",
        "easy",
    )
    assert suggestion.user_key == user_key(ALICE)
    await slack_world.fake.wait_until(lambda: bool(slack_world.fake.calls_to("chat.postEphemeral")))
    (thanks,) = slack_world.fake.calls_to("chat.postEphemeral")
    assert (thanks["channel"], thanks["user"]) == ("C0GENERAL", ALICE) and "Thanks" in thanks["text"]


async def test_an_empty_answer_keeps_the_form_open_with_the_error_under_the_answer(
    slack_world: SlackWorld,
) -> None:
    """`response_action: errors` names the answer field; nothing is stored."""
    view = await open_form(slack_world)
    submission = view_submission(view, ALICE, question="Why use dropout?", answer=None)
    status, reply = await slack_world.interact(submission)
    assert status == 200 and reply is not None
    assert reply["response_action"] == "errors" and list(reply["errors"]) == ["answer"]
    assert "empty" in reply["errors"]["answer"]
    assert await slack_world.store.list_suggestions() == []


async def test_the_thanks_go_to_the_response_url_when_the_bot_is_not_in_the_channel(
    slack_world: SlackWorld,
) -> None:
    """chat.postEphemeral answers not_in_channel (commands work anywhere): the command's response_url
    carries the thanks instead."""
    view = await open_form(slack_world)
    slack_world.fake.fail("chat.postEphemeral", Failure(error="not_in_channel"))
    submission = view_submission(view, ALICE, question="Why use dropout?", answer="It regularises.")
    assert await slack_world.interact(submission) == (200, None)
    await slack_world.fake.wait_until(lambda: bool(slack_world.fake.responses))
    (thanks,) = slack_world.fake.responses
    assert thanks["response_type"] == "ephemeral" and "Thanks" in thanks["text"]
    assert len(await slack_world.store.list_suggestions()) == 1


# Settings ---------------------------------------------------------------------------------------------------


async def test_settings_show_the_holidays_skipped(slack_world: SlackWorld) -> None:
    """Subscribed with GB holidays: settings list Christmas Day among the days skipped soon."""
    slack_world.fake.admins.add("U0ADMIN")
    slack_world.fake.members.add("C0GENERAL")
    await slack_world.command("subscribe 09:00 Europe/London holidays GB", "U0ADMIN")
    reply = await slack_world.command("settings", "U0ADMIN")
    text = text_of(reply)
    assert "public holidays in GB" in text and "2026-12-25 — Christmas Day" in text
