"""Practice that sticks on Slack: the real Bolt app over loopback HTTP (and Socket Mode), signed
requests in Slack's wire formats, the fake Web API behind it, and the store to check what stuck."""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest

from adapters.slack.adapter import SlackAdapter
from adapters.slack.components import (
    CHECK_ACTION,
    REVIEW_ANSWER_ACTION,
    SHOW_ANSWER_ACTION,
    SUGGEST_CALLBACK,
)
from bot.content.bank import Filters
from bot.records import SubscriptionOptions
from bot.schedule.clock import FakeClock
from bot.schedule.rules import Schedule
from bot.seam import Destination, reply_key
from bot.service import PracticeService
from bot.store import SqlStore
from tests.support.slack_support import (
    BOT_USER,
    TEAM,
    Failure,
    FakeSlack,
    action_payload,
    button_click,
    click,
    command,
    command_form,
    event_body,
    eventually,
    interact,
    message_event,
    post_event,
    send,
    view_submission,
)

POST_AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin
REVEAL_AT = POST_AT + timedelta(hours=6)
ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"
REPLY_TS = itertools.count(1)
NAMES = {ALICE: "Alice Archer", BOB: "Bob Baker", CAROL: "Carol Chen"}


def user_key(user: str) -> str:
    return f"slack:{TEAM}:{user}"


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


PostDaily = Callable[..., Awaitable[str]]


@pytest.fixture
def post_daily(
    store: SqlStore,
    slack_channel: Destination,
    berlin_schedule: Schedule,
    clock: FakeClock,
    service: PracticeService,
    fake_slack: FakeSlack,
) -> PostDaily:
    """Subscribe #general (mentions on or off), post its daily question; return the question's ts."""

    async def post(mentions: bool = True) -> str:
        options = SubscriptionOptions(mention_participants=mentions)
        await store.save_subscription(slack_channel, berlin_schedule, Filters(), clock.now(), options)
        clock.set(POST_AT)
        await service.run_due()
        (question,) = fake_slack.messages["C0GENERAL"]
        return str(question["ts"])

    return post


async def reveal(service: PracticeService, clock: FakeClock, fake: FakeSlack) -> dict[str, Any]:
    """Reveal the daily answer; return the last message of it posted in the thread."""
    clock.set(REVEAL_AT)
    await service.run_due()
    return [call for call in fake.calls_to("chat.postMessage") if call.get("thread_ts")][-1]


async def reply_in_thread(
    client: aiohttp.ClientSession,
    adapter: SlackAdapter,
    store: SqlStore,
    user: str,
    thread_ts: str,
    **extra: Any,
) -> None:
    """`user` answers in the thread; wait until the reply is counted."""
    ts = f"1700000100.{next(REPLY_TS):06d}"
    assert await post_event(client, adapter, message_event(user, ts, thread_ts, **extra)) == 200
    thread = reply_key(Destination("slack", "C0GENERAL", TEAM), thread_ts)

    async def counted() -> bool:
        return user in await store.thread_repliers(thread)

    await eventually(counted)


async def press(
    client: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack, payload: dict[str, Any]
) -> dict[str, Any]:
    """Click a button; return the private reply posted to the click's response_url."""
    before = len(fake.responses)
    assert await click(client, adapter, payload) == 200
    await fake.wait_until(lambda: len(fake.responses) > before)
    return fake.responses[before]


async def show_answer(
    client: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack, question_id: str, user: str
) -> dict[str, Any]:
    """Click "Show answer" on an asked question's card; return the private answer."""
    return await press(client, adapter, fake, action_payload(fake, SHOW_ANSWER_ACTION, question_id, user))


async def rate_asked(
    client: aiohttp.ClientSession,
    adapter: SlackAdapter,
    fake: FakeSlack,
    question_id: str,
    choice: str,
    user: str = ALICE,
) -> None:
    """`user` asks for the question's answer privately and rates it with the `choice` button."""
    answer = await show_answer(client, adapter, fake, question_id, user)
    await press(client, adapter, fake, button_click(fake, answer, f"mlq_rate_{choice}", user, ephemeral=True))


# Participation ----------------------------------------------------------------------------------------


async def test_replies_in_the_question_thread_are_mentioned_in_the_reveal(
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    service: PracticeService,
    store: SqlStore,
    clock: FakeClock,
    http_client: aiohttp.ClientSession,
    post_daily: PostDaily,
) -> None:
    """Two people answer in the thread (one also sent to the channel); the reveal mentions both."""
    question_ts = await post_daily(mentions=True)
    await reply_in_thread(http_client, slack_http, store, ALICE, question_ts)
    await reply_in_thread(http_client, slack_http, store, BOB, question_ts, subtype="thread_broadcast")
    answer = await reveal(service, clock, fake_slack)
    assert f"2 people answered: <@{ALICE}>, <@{BOB}>" in text_of(answer)


async def test_with_mentions_off_the_reveal_names_people_without_notifying_them(
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    service: PracticeService,
    store: SqlStore,
    clock: FakeClock,
    http_client: aiohttp.ClientSession,
    post_daily: PostDaily,
) -> None:
    """Display names from users.info instead of `<@…>`; a failed lookup shows the id."""
    fake_slack.names.update(NAMES)
    question_ts = await post_daily(mentions=False)
    await reply_in_thread(http_client, slack_http, store, ALICE, question_ts)
    await reply_in_thread(http_client, slack_http, store, BOB, question_ts)
    fake_slack.fail("users.info", Failure(error="user_not_found", user=ALICE))
    answer = await reveal(service, clock, fake_slack)
    assert f"2 people answered: {ALICE}, Bob Baker" in text_of(answer)
    assert "<@" not in text_of(answer)


async def test_bot_posts_edits_and_messages_outside_the_thread_are_not_counted(
    slack_http: SlackAdapter,
    store: SqlStore,
    http_client: aiohttp.ClientSession,
    post_daily: PostDaily,
) -> None:
    """Only people's replies in the thread count; Carol's reply, sent last, is the only one."""
    question_ts = await post_daily()
    ignored = [
        message_event("U0OTHERBOT", "1700000200.000001", question_ts, bot_id="B0OTHER"),
        message_event(BOB, "1700000200.000002", question_ts, subtype="bot_message"),
        message_event(BOB, "1700000200.000003", question_ts, subtype="message_changed"),
        message_event(BOB, "1700000200.000004", question_ts, subtype="message_deleted"),
        message_event(ALICE, "1700000200.000005"),  # in the channel, not in a thread
        message_event(ALICE, question_ts, question_ts),  # the thread's root itself
    ]
    for event in ignored:
        assert await post_event(http_client, slack_http, event) == 200
    await reply_in_thread(http_client, slack_http, store, CAROL, question_ts)
    thread = reply_key(Destination("slack", "C0GENERAL", TEAM), question_ts)
    assert await store.thread_repliers(thread) == [CAROL]


async def test_a_reply_in_a_thread_under_someone_elses_message_is_not_stored(
    slack_http: SlackAdapter,
    store: SqlStore,
    http_client: aiohttp.ClientSession,
    post_daily: PostDaily,
) -> None:
    """Slack says whose message a thread hangs off (`parent_user_id`): only the bot's threads count."""
    question_ts = await post_daily()
    people_thread = message_event(ALICE, "1700000300.000001", "1700000299.000001", parent_user_id=BOB)
    assert await post_event(http_client, slack_http, people_thread) == 200
    await reply_in_thread(http_client, slack_http, store, ALICE, question_ts, parent_user_id=BOT_USER)
    assert await store.replied_threads(f"slack:{TEAM}:{ALICE}") == {
        reply_key(Destination("slack", "C0GENERAL", TEAM), question_ts)
    }


async def test_a_thread_reply_over_socket_mode_is_counted(
    slack_socket: SlackAdapter, fake_slack: FakeSlack, store: SqlStore, post_daily: PostDaily
) -> None:
    """The same listener serves Socket Mode: an `events_api` envelope with a reply is acked and counted."""
    question_ts = await post_daily()
    event = message_event(ALICE, "1700000300.000001", question_ts)
    ack = await fake_slack.send_envelope("events_api", event_body(event))
    assert "envelope_id" in ack
    thread = reply_key(Destination("slack", "C0GENERAL", TEAM), question_ts)

    async def counted() -> bool:
        return await store.thread_repliers(thread) == [ALICE]

    await eventually(counted)


# Ratings ----------------------------------------------------------------------------------------------


async def test_a_rating_is_recorded_for_the_clicker_and_a_second_click_changes_it(
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    service: PracticeService,
    store: SqlStore,
    clock: FakeClock,
    http_client: aiohttp.ClientSession,
    post_daily: PostDaily,
) -> None:
    """Nailed it, then Missed it under the reveal: one rating (now missed), confirmed privately."""
    await post_daily()
    answer = await reveal(service, clock, fake_slack)
    first = await press(
        http_client, slack_http, fake_slack, button_click(fake_slack, answer, "mlq_rate_nailed")
    )
    assert first["response_type"] == "ephemeral" and first["replace_original"] is False
    assert "Recorded *Nailed it*" in text_of(first)
    second = await press(
        http_client, slack_http, fake_slack, button_click(fake_slack, answer, "mlq_rate_missed")
    )
    assert "Changed your rating to *Missed it*" in text_of(second)
    (rating,) = await store.user_ratings(user_key(ALICE))
    assert (rating.rating, rating.context, rating.post_id) == ("missed", "post:1", 1)
    card = await store.review_card(user_key(ALICE), rating.question_id)
    assert card is not None and card.last_context == "post:1"


async def test_another_users_click_records_only_their_own_rating(
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    service: PracticeService,
    store: SqlStore,
    clock: FakeClock,
    http_client: aiohttp.ClientSession,
    post_daily: PostDaily,
) -> None:
    """Bob clicks the buttons Alice clicked: Bob gets his own rating; Alice's stays as she left it."""
    await post_daily()
    answer = await reveal(service, clock, fake_slack)
    await press(
        http_client, slack_http, fake_slack, button_click(fake_slack, answer, "mlq_rate_nailed", ALICE)
    )
    await press(http_client, slack_http, fake_slack, button_click(fake_slack, answer, "mlq_rate_missed", BOB))
    assert [r.rating for r in await store.user_ratings(user_key(ALICE))] == ["nailed"]
    assert [r.rating for r in await store.user_ratings(user_key(BOB))] == ["missed"]


async def test_show_answer_on_an_asked_question_offers_the_rating_buttons(
    slack_http: SlackAdapter, fake_slack: FakeSlack, store: SqlStore, http_client: aiohttp.ClientSession
) -> None:
    """The private answer carries the buttons; a click rates the question as asked today."""
    answer = await show_answer(http_client, slack_http, fake_slack, "keras-easy", ALICE)
    click_ = button_click(fake_slack, answer, "mlq_rate_partly", ALICE, ephemeral=True)
    await press(http_client, slack_http, fake_slack, click_)
    (rating,) = await store.user_ratings(user_key(ALICE))
    assert (rating.question_id, rating.rating, rating.context) == ("keras-easy", "partly", "ask:2026-11-23")


# Reviews ------------------------------------------------------------------------------------------------


async def test_review_with_nothing_due_says_when_the_next_one_is(
    slack_http: SlackAdapter, fake_slack: FakeSlack, http_client: aiohttp.ClientSession
) -> None:
    """Missed it today: the question is due tomorrow, and `review` says so privately."""
    await rate_asked(http_client, slack_http, fake_slack, "keras-easy", "missed")
    reply = await command(http_client, slack_http, fake_slack, "review")
    assert reply["response_type"] == "ephemeral"
    assert "Nothing to review right now" in text_of(reply) and "2026-11-24" in text_of(reply)


async def test_review_after_some_days_brings_back_the_overdue_question(
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    clock: FakeClock,
    http_client: aiohttp.ClientSession,
) -> None:
    """Two days after missing it, `review` shows that question privately with its buttons
    ("Check my answer" first)."""
    await rate_asked(http_client, slack_http, fake_slack, "keras-easy", "missed")
    clock.advance(timedelta(days=2))
    reply = await command(http_client, slack_http, fake_slack, "review")
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


async def test_show_answer_on_a_review_card_rates_it_as_a_review(
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    store: SqlStore,
    clock: FakeClock,
    http_client: aiohttp.ClientSession,
) -> None:
    """The review card's Show answer gives the answer with buttons dated as today's review."""
    await rate_asked(http_client, slack_http, fake_slack, "keras-easy", "missed")
    clock.advance(timedelta(days=2))
    card = await command(http_client, slack_http, fake_slack, "review")
    shown = await press(
        http_client,
        slack_http,
        fake_slack,
        button_click(fake_slack, card, REVIEW_ANSWER_ACTION, ephemeral=True),
    )
    assert "Short answer of keras-easy" in text_of(shown)
    await press(
        http_client,
        slack_http,
        fake_slack,
        button_click(fake_slack, shown, "mlq_rate_nailed", ephemeral=True),
    )
    ratings = await store.user_ratings(user_key(ALICE))
    assert [(r.rating, r.context) for r in ratings] == [
        ("missed", "ask:2026-11-23"),
        ("nailed", "review:2026-11-25"),
    ]


# Stats and leaderboards ---------------------------------------------------------------------------------


async def test_stats_are_private_and_count_only_the_callers_own_practice(
    slack_http: SlackAdapter, fake_slack: FakeSlack, http_client: aiohttp.ClientSession
) -> None:
    """Alice rated one question, Bob missed two: Alice's stats show her one, privately."""
    await rate_asked(http_client, slack_http, fake_slack, "keras-easy", "nailed")
    for question_id in ("keras-hard", "tensorflow-hard"):
        await rate_asked(http_client, slack_http, fake_slack, question_id, "missed", BOB)
    reply = await command(http_client, slack_http, fake_slack, "stats", ALICE)
    assert reply["response_type"] == "ephemeral"
    text = text_of(reply)
    assert "Questions rated: *1*" in text and "Keras 3 — 1 nailed, 0 partly, 0 missed" in text
    assert "TensorFlow" not in text and "1 missed" not in text and BOB not in text


async def test_the_leaderboard_is_public_names_people_without_mentions_and_leaves_out_who_opted_out(
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    store: SqlStore,
    http_client: aiohttp.ClientSession,
    post_daily: PostDaily,
) -> None:
    """Alice, Bob and Carol answered; Bob opted out: the board names Alice and Carol only."""
    fake_slack.names.update(NAMES)
    question_ts = await post_daily()
    for user in (ALICE, BOB, CAROL):
        await reply_in_thread(http_client, slack_http, store, user, question_ts)
    optout = await command(http_client, slack_http, fake_slack, "leaderboard optout", BOB)
    assert optout["response_type"] == "ephemeral"
    board = await command(http_client, slack_http, fake_slack, "leaderboard")
    assert board["response_type"] == "in_channel"
    text = text_of(board)
    assert "1. Alice Archer — 1 question" in text and "1. Carol Chen — 1 question" in text
    assert "Bob" not in text and BOB not in text and "<@" not in text


# Suggestions ----------------------------------------------------------------------------------------------


async def open_form(client: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack) -> dict[str, Any]:
    """`/mlquestion suggest` as Alice; return the modal opened with views.open."""
    assert await send(client, adapter, command_form(fake, "suggest", ALICE)) == 200
    await fake.wait_until(lambda: bool(fake.views))
    return fake.views[0]


async def test_suggest_opens_the_form_with_the_commands_trigger_id(
    slack_http: SlackAdapter, fake_slack: FakeSlack, http_client: aiohttp.ClientSession
) -> None:
    """The command's trigger_id opens the modal; the channel travels in private_metadata."""
    form = command_form(fake_slack, "suggest", ALICE)
    assert await send(http_client, slack_http, form) == 200
    await fake_slack.wait_until(lambda: bool(fake_slack.views))
    (view,) = fake_slack.views
    assert view["trigger_id"] == parse_qs(form)["trigger_id"][0]
    assert view["callback_id"] == SUGGEST_CALLBACK
    assert json.loads(view["private_metadata"])["channel"] == "C0GENERAL"
    assert fake_slack.responses == []


async def test_a_valid_suggestion_is_stored_and_thanked_privately(
    slack_http: SlackAdapter, fake_slack: FakeSlack, store: SqlStore, http_client: aiohttp.ClientSession
) -> None:
    """Sending the form closes it (empty ack), stores the suggestion, and thanks Alice ephemerally."""
    view = await open_form(http_client, slack_http, fake_slack)
    submission = view_submission(
        view, ALICE, question="Why use dropout?", answer="It regularises.", topic="keras", difficulty="easy"
    )
    assert await interact(http_client, slack_http, submission) == (200, None)
    (suggestion,) = await store.list_suggestions()
    assert (suggestion.question, suggestion.answer, suggestion.topic, suggestion.difficulty) == (
        "Why use dropout?",
        "It regularises.",
        "keras",
        "easy",
    )
    assert suggestion.user_key == user_key(ALICE)
    await fake_slack.wait_until(lambda: bool(fake_slack.calls_to("chat.postEphemeral")))
    (thanks,) = fake_slack.calls_to("chat.postEphemeral")
    assert (thanks["channel"], thanks["user"]) == ("C0GENERAL", ALICE) and "Thanks" in thanks["text"]


async def test_an_empty_answer_keeps_the_form_open_with_the_error_under_the_answer(
    slack_http: SlackAdapter, fake_slack: FakeSlack, store: SqlStore, http_client: aiohttp.ClientSession
) -> None:
    """`response_action: errors` names the answer field; nothing is stored."""
    view = await open_form(http_client, slack_http, fake_slack)
    submission = view_submission(view, ALICE, question="Why use dropout?", answer=None)
    status, reply = await interact(http_client, slack_http, submission)
    assert status == 200 and reply is not None
    assert reply["response_action"] == "errors" and list(reply["errors"]) == ["answer"]
    assert "empty" in reply["errors"]["answer"]
    assert await store.list_suggestions() == []


async def test_the_thanks_go_to_the_response_url_when_the_bot_is_not_in_the_channel(
    slack_http: SlackAdapter, fake_slack: FakeSlack, store: SqlStore, http_client: aiohttp.ClientSession
) -> None:
    """chat.postEphemeral answers not_in_channel (commands work anywhere): the command's response_url
    carries the thanks instead."""
    view = await open_form(http_client, slack_http, fake_slack)
    fake_slack.fail("chat.postEphemeral", Failure(error="not_in_channel"))
    submission = view_submission(view, ALICE, question="Why use dropout?", answer="It regularises.")
    assert await interact(http_client, slack_http, submission) == (200, None)
    await fake_slack.wait_until(lambda: bool(fake_slack.responses))
    (thanks,) = fake_slack.responses
    assert thanks["response_type"] == "ephemeral" and "Thanks" in thanks["text"]
    assert len(await store.list_suggestions()) == 1


# Settings ---------------------------------------------------------------------------------------------------


async def test_settings_show_the_holidays_skipped(
    slack_http: SlackAdapter, fake_slack: FakeSlack, http_client: aiohttp.ClientSession
) -> None:
    """Subscribed with GB holidays: settings list Christmas Day among the days skipped soon."""
    fake_slack.admins.add("U0ADMIN")
    fake_slack.members.add("C0GENERAL")
    await command(http_client, slack_http, fake_slack, "subscribe 09:00 Europe/London holidays GB", "U0ADMIN")
    reply = await command(http_client, slack_http, fake_slack, "settings", "U0ADMIN")
    text = text_of(reply)
    assert "public holidays in GB" in text and "2026-12-25 — Christmas Day" in text
