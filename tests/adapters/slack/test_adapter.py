"""The Slack adapter in HTTP mode: the real Bolt app over loopback HTTP, a fake Slack Web API behind it."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from adapters.slack.adapter import SlackAdapter, SlackConfigError
from adapters.slack.components import SHARE_ACTION, SHOW_ANSWER_ACTION
from bot.records import Subscription
from bot.schedule.clock import FakeClock
from bot.seam import Destination
from bot.service import PracticeService
from bot.store import SqlStore
from tests.support.slack_support import (
    BOT_TOKEN,
    POST_AT,
    REVEAL_AT,
    TEAM,
    Failure,
    FakeSlack,
    SlackWorld,
    action_payload,
    build_slack_adapter,
    command_form,
    event_body,
    eventually,
    signed_headers,
)


def texts(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"])


# The daily flow ---------------------------------------------------------------------------------------


async def test_the_daily_question_is_posted_then_revealed_in_its_thread_and_the_parent_updated(
    slack_daily: SlackWorld,
) -> None:
    """Post → reveal with thread_ts = the question's ts → chat.update of that ts saying the answer is out."""
    post = await slack_daily.post_question()
    assert post["channel"] == "C0GENERAL" and "Daily question" in post["text"]
    assert "<!date^" in texts(post) and "Reply in this thread" in texts(post)
    await slack_daily.run_due_at(REVEAL_AT)
    replies = slack_daily.fake.calls_to("chat.postMessage")[1:]
    assert replies and all(reply["thread_ts"] == "1700000000.000001" for reply in replies)
    assert "Model answer" in texts(replies[0])
    (update,) = slack_daily.fake.calls_to("chat.update")
    assert update["ts"] == "1700000000.000001" and "The answer is out" in texts(update)


async def test_the_bot_token_is_sent_as_a_bearer_header(slack_daily: SlackWorld) -> None:
    """Every Web API call carries the configured bot token."""
    await slack_daily.run_due_at(POST_AT)
    assert {call.token for call in slack_daily.fake.calls} == {slack_daily.adapter.config.bot_token}


async def test_a_429_on_the_reveal_is_retried_after_retry_after_and_posted_once(
    slack_daily: SlackWorld,
) -> None:
    """slack-sdk's rate-limit handler waits Retry-After and retries; the answer lands once."""
    fake = slack_daily.fake
    await slack_daily.run_due_at(POST_AT)
    fake.fail("chat.postMessage", Failure(status=429, retry_after=0))
    assert (await slack_daily.run_due_at(REVEAL_AT))["reveal-revealed"] == 1
    attempts = [c for c in fake.calls_to("chat.postMessage") if c.get("thread_ts")]
    assert len(attempts) == 2 and attempts[0] == attempts[1]  # the refused request, sent again once
    await slack_daily.service.run_due()
    assert len([c for c in fake.calls_to("chat.postMessage") if c.get("thread_ts")]) == len(attempts)


async def test_not_in_channel_pauses_that_subscription_and_the_next_channel_still_posts(
    slack_daily: SlackWorld, slack_subscription: Subscription, caplog: pytest.LogCaptureFixture
) -> None:
    """The first channel answers not_in_channel: it is paused with a log line; the second gets its post."""
    other = await slack_daily.subscribe(where=Destination("slack", "C0OTHER", TEAM))
    slack_daily.fake.fail("chat.postMessage", Failure(error="not_in_channel", channel="C0GENERAL"))
    slack_daily.clock.set(POST_AT)
    with caplog.at_level(logging.ERROR):
        await slack_daily.service.run_due()
    first = await slack_daily.store.get_subscription_by_id(slack_subscription.id)
    assert first is not None and first.paused and first.paused_reason == "platform: not_in_channel"
    assert "not_in_channel" in caplog.text
    channels = sorted(c["channel"] for c in slack_daily.fake.calls_to("chat.postMessage"))
    assert channels == ["C0GENERAL", "C0OTHER"]
    second = await slack_daily.store.get_subscription_by_id(other.id)
    assert second is not None and not second.paused


@pytest.mark.parametrize("code", ["channel_not_found", "is_archived", "account_inactive", "invalid_auth"])
async def test_errors_meaning_the_channel_is_unusable_pause_without_retrying(
    slack_daily: SlackWorld, slack_subscription: Subscription, code: str
) -> None:
    """Each of these codes pauses the subscription; the next reconcile sends nothing more."""
    slack_daily.fake.fail("chat.postMessage", Failure(error=code))
    await slack_daily.run_due_at(POST_AT)
    await slack_daily.service.run_due()
    subscription = await slack_daily.store.get_subscription_by_id(slack_subscription.id)
    assert subscription is not None and subscription.paused_reason == f"platform: {code}"
    assert len(slack_daily.fake.calls_to("chat.postMessage")) == 1


async def test_a_server_error_is_retried_by_the_sdk_and_the_post_goes_out_once(
    slack_daily: SlackWorld,
) -> None:
    """A 503 then success: one question in the channel."""
    slack_daily.fake.fail("chat.postMessage", Failure(status=503))
    await slack_daily.run_due_at(POST_AT)
    calls = slack_daily.fake.calls_to("chat.postMessage")
    assert len(calls) == 2 and calls[0] == calls[1]


async def test_an_unknown_error_fails_the_post_for_a_later_retry_without_pausing(
    slack_daily: SlackWorld, slack_subscription: Subscription
) -> None:
    """`fatal_error` is not about the channel: the post is retried by the next reconcile and sent once."""
    slack_daily.fake.fail("chat.postMessage", Failure(error="fatal_error"))
    await slack_daily.run_due_at(POST_AT)
    slack_daily.clock.advance(timedelta(minutes=1))
    await slack_daily.service.run_due()
    subscription = await slack_daily.store.get_subscription_by_id(slack_subscription.id)
    assert subscription is not None and not subscription.paused
    assert len(slack_daily.fake.calls_to("chat.postMessage")) == 2


# /mlquestion ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "keras hard", "hard keras", "tensorflow", "medium"])
async def test_asking_gives_a_private_card_with_both_buttons(slack_world: SlackWorld, text: str) -> None:
    """Every ask form answers ephemerally with the question and the two buttons."""
    reply = await slack_world.command(text)
    assert reply["response_type"] == "ephemeral"
    body = texts(reply)
    assert SHOW_ANSWER_ACTION in body and SHARE_ACTION in body and "Your question" in body


async def test_filters_in_either_order_choose_the_same_question(slack_world: SlackWorld) -> None:
    """`keras hard` and `hard keras` both pick the one hard Keras question."""
    first = await slack_world.command("keras hard")
    second = await slack_world.command("hard keras", user="U0BOB")
    assert "Title of keras-hard" in texts(first) and "Title of keras-hard" in texts(second)


@pytest.mark.parametrize(("text", "expected"), [("topics", "scikit-learn"), ("help", "subscribe")])
async def test_topics_and_help_reply_privately(slack_world: SlackWorld, text: str, expected: str) -> None:
    """`topics` lists topic slugs; `help` lists the commands."""
    reply = await slack_world.command(text)
    assert reply["response_type"] == "ephemeral" and expected in texts(reply)


async def test_an_unknown_argument_gets_a_private_reply_listing_valid_ones(slack_world: SlackWorld) -> None:
    """`/mlquestion pytorch` names the bad word and the valid topics."""
    reply = await slack_world.command("pytorch")
    body = texts(reply)
    assert reply["response_type"] == "ephemeral" and "pytorch" in body and "keras" in body


async def test_control_characters_typed_in_a_command_never_reach_the_reply(slack_world: SlackWorld) -> None:
    """`/mlquestion py<NUL>torch<ESC>[31m`: stripped where it comes in; the echo has no NUL turned `*`."""
    reply = await slack_world.command("py\x00torch\x1b[31m")
    body = json.dumps(reply)
    assert "pytorch[31m" in body and "py*torch" not in body
    assert "\\u0000" not in body and "\\u001b" not in body


async def test_an_echoed_mention_in_a_reply_notifies_nobody(slack_world: SlackWorld) -> None:
    """`/mlquestion <!channel>` is echoed as an unknown word; its fallback text is escaped too."""
    reply = await slack_world.command("<!channel>")
    assert "<!channel>" not in reply["text"] and "&lt;!channel&gt;" in reply["text"]
    assert "<!channel>" not in texts(reply)


async def test_the_command_is_acknowledged_with_an_empty_200_before_the_reply(
    slack_world: SlackWorld,
) -> None:
    """The HTTP answer is the bare ack; the card goes to response_url."""
    body = command_form(slack_world.fake, "keras")
    url = slack_world.adapter.address + slack_world.adapter.config.path
    async with slack_world.client.post(url, data=body, headers=signed_headers(body)) as response:
        assert response.status == 200 and await response.text() == ""


async def test_show_answer_replies_privately_with_the_model_answer(slack_world: SlackWorld) -> None:
    """The click answers only the clicker and keeps their question card."""
    assert await slack_world.click(action_payload(slack_world.fake, SHOW_ANSWER_ACTION, "keras-easy")) == 200
    await slack_world.fake.wait_until(lambda: bool(slack_world.fake.responses))
    (reply,) = slack_world.fake.responses
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
    assert "Model answer" in texts(reply) and "Short answer of keras-easy" in texts(reply)


async def test_post_to_channel_posts_publicly_once_per_card(slack_world: SlackWorld) -> None:
    """The first click posts the question to the channel; a second click on the same card does not."""
    fake = slack_world.fake
    for _ in range(2):
        await slack_world.click(action_payload(fake, SHARE_ACTION, "keras-easy"))
    await fake.wait_until(lambda: len(fake.responses) == 2)
    (post,) = fake.calls_to("chat.postMessage")
    assert post["channel"] == "C0GENERAL" and "shared by <@U0ALICE>" in texts(post)
    assert {"Posted to the channel" in texts(r) for r in fake.responses} == {True, False}


async def test_a_shared_question_is_revealed_in_its_thread(slack_world: SlackWorld) -> None:
    """Post to channel uses the normal thread-reveal flow."""
    fake = slack_world.fake
    await slack_world.click(action_payload(fake, SHARE_ACTION, "keras-easy"))
    await fake.wait_until(lambda: bool(fake.responses))
    slack_world.clock.advance(slack_world.service.config.share_reveal_after)
    await slack_world.service.run_due()
    _question, *replies = fake.calls_to("chat.postMessage")
    assert replies and replies[0]["thread_ts"] == "1700000000.000001"


# Channel administration ---------------------------------------------------------------------------------


async def test_a_workspace_admin_subscribes_the_channel(slack_world: SlackWorld) -> None:
    """An admin (users.info is_admin) subscribes; the confirmation is public with date tokens."""
    slack_world.fake.admins.add("U0ADMIN")
    slack_world.fake.members.add("C0GENERAL")
    reply = await slack_world.command("subscribe 09:30 Europe/Berlin mon-fri", "U0ADMIN")
    subscription = await slack_world.store.get_subscription(slack_world.channel)
    assert subscription is not None and subscription.schedule.post_time.strftime("%H:%M") == "09:30"
    assert reply["response_type"] == "in_channel" and "<!date^" in texts(reply)


async def test_a_user_named_in_configuration_may_subscribe(slack_world: SlackWorld) -> None:
    """MLQ_ADMIN_USER_IDS grants administration without a workspace role."""
    slack_world.fake.members.add("C0GENERAL")
    await slack_world.command("subscribe", "U0CONFIGURED")
    assert await slack_world.store.get_subscription(slack_world.channel) is not None
    assert slack_world.fake.calls_to("users.info") == []


@pytest.mark.parametrize("text", ["subscribe 10:00", "unsubscribe", "pause", "resume"])
async def test_a_non_admin_is_refused_and_nothing_changes(slack_daily: SlackWorld, text: str) -> None:
    """A member without an admin role gets a private refusal; the subscription is untouched."""
    before = await slack_daily.store.get_subscription(slack_daily.channel)
    reply = await slack_daily.command(text, "U0MEMBER")
    assert reply["response_type"] == "ephemeral" and "Nothing was changed" in texts(reply)
    assert await slack_daily.store.get_subscription(slack_daily.channel) == before


async def test_subscribing_a_channel_the_bot_is_not_in_says_how_to_invite_it(slack_world: SlackWorld) -> None:
    """No membership → `/invite @mlquestion` hint and no subscription."""
    slack_world.fake.admins.add("U0ADMIN")
    reply = await slack_world.command("subscribe", "U0ADMIN")
    assert "/invite @mlquestion" in texts(reply)
    assert await slack_world.store.get_subscription(slack_world.channel) is None


async def test_settings_show_the_next_posts_as_date_tokens(slack_daily: SlackWorld) -> None:
    """Each reader sees the next post and reveal in their own time zone."""
    slack_daily.fake.admins.add("U0ADMIN")
    reply = await slack_daily.command("settings", "U0ADMIN")
    body = texts(reply)
    assert "Europe/Berlin" in body and body.count("<!date^") >= 2


async def test_a_bad_subscribe_argument_names_it(slack_world: SlackWorld) -> None:
    """`subscribe 25:00` is rejected with the bad value named."""
    slack_world.fake.admins.add("U0ADMIN")
    slack_world.fake.members.add("C0GENERAL")
    reply = await slack_world.command("subscribe 25:00", "U0ADMIN")
    assert "25:00" in texts(reply)


# Events and request verification ------------------------------------------------------------------------


async def test_archiving_a_subscribed_channel_pauses_it(
    slack_daily: SlackWorld, slack_subscription: Subscription
) -> None:
    """A signed `channel_archive` event pauses that channel's subscription."""
    body = json.dumps(event_body({"type": "channel_archive", "channel": "C0GENERAL", "user": "U0ADMIN"}))
    headers = {**signed_headers(body), "Content-Type": "application/json"}
    assert await slack_daily.send(body, **headers) == 200

    async def paused() -> bool:
        subscription = await slack_daily.store.get_subscription_by_id(slack_subscription.id)
        return subscription is not None and subscription.paused_reason == "platform: channel_archive"

    await eventually(paused)


def _forged(body: str) -> dict[str, str]:
    return {**signed_headers(body), "X-Slack-Signature": "v0=" + "0" * 64}


def _stale(body: str) -> dict[str, str]:
    return signed_headers(body, timestamp=int(time.time()) - 6 * 60)


def _missing(body: str) -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded"}


def _wrong_secret(body: str) -> dict[str, str]:
    return signed_headers(body, secret="someone-elses-secret")


@pytest.mark.parametrize("headers", [_forged, _stale, _missing, _wrong_secret])
async def test_unverifiable_requests_get_401_and_change_nothing(
    slack_world: SlackWorld, headers: Any
) -> None:
    """Forged signature, old timestamp, missing headers: 401, no reply, no API call, no subscription."""
    fake = slack_world.fake
    fake.admins.add("U0ADMIN")
    fake.members.add("C0GENERAL")
    body = command_form(fake, "subscribe", "U0ADMIN")
    assert await slack_world.send(body, **headers(body)) == 401
    assert fake.responses == [] and fake.calls_to("users.info") == []
    assert await slack_world.store.get_subscription(slack_world.channel) is None


async def test_a_rejected_token_stops_start_up_with_a_message_naming_the_variable(
    service: PracticeService, fake_slack: FakeSlack
) -> None:
    """invalid_auth at start-up → SlackConfigError naming SLACK_BOT_TOKEN, never the token."""
    adapter = build_slack_adapter(service, fake_slack, "http")
    fake_slack.fail("auth.test", Failure(error="invalid_auth"))
    with pytest.raises(SlackConfigError) as error:
        await adapter.start()
    assert "SLACK_BOT_TOKEN" in str(error.value) and BOT_TOKEN not in str(error.value)


async def test_after_a_crash_the_post_already_in_the_channel_is_found_by_its_metadata_key(
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    service_factory: Callable[..., PracticeService],
    store: SqlStore,
    clock: FakeClock,
    slack_subscription: Subscription,
) -> None:
    """A process died after chat.postMessage succeeded; the takeover reads the history, posts nothing new,
    and the reveal goes into the original message's thread."""
    clock.set(POST_AT)
    crashed = service_factory(adapters={"slack": slack_http}, owner="crashed")
    lease = crashed.config.lease
    claim = await store.claim_post(
        slack_subscription.id, POST_AT.date(), POST_AT, REVEAL_AT, clock.now(), lease, "crashed"
    )
    assert claim is not None
    await store.set_post_question(claim.post_id, "keras-easy")
    await store.mark_posts_sending([claim.post_id], clock.now())
    await slack_http.client.chat_postMessage(
        channel="C0GENERAL",
        text="Daily question",
        metadata={"event_type": "mlq_delivery", "event_payload": {"key": f"mlq-post-{claim.post_id}"}},
    )
    clock.advance(lease + timedelta(seconds=1))
    survivor = service_factory(adapters={"slack": slack_http}, owner="survivor")
    assert (await survivor.run_due())["posted"] == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 1 and fake_slack.calls_to("conversations.history")
    clock.set(REVEAL_AT)
    await survivor.run_due()
    assert fake_slack.calls_to("chat.postMessage")[-1]["thread_ts"] == "1700000000.000001"
