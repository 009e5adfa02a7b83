"""The Slack adapter in Socket Mode: envelopes over a real websocket from a local fake of Slack."""

from __future__ import annotations

import asyncio
import json
import logging
from urllib.parse import parse_qs

import pytest

from adapters.slack.adapter import SlackAdapter, SlackConfigError
from adapters.slack.components import SHOW_ANSWER_ACTION
from bot.content.bank import Filters
from bot.schedule.clock import FakeClock
from bot.schedule.rules import Schedule
from bot.seam import Destination
from bot.service import PracticeService
from bot.store import SqlStore
from tests.support.slack_support import (
    APP_TOKEN,
    Failure,
    FakeSlack,
    action_payload,
    build_slack_adapter,
    command_form,
    event_body,
    eventually,
)


def _command_payload(fake: FakeSlack, text: str, user: str = "U0ALICE") -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(command_form(fake, text, user)).items()}


async def test_the_websocket_url_comes_from_apps_connections_open_with_the_app_token(
    slack_socket: SlackAdapter, fake_slack: FakeSlack
) -> None:
    """The client asks the (configurable) Web API for its websocket URL using the xapp token."""
    (call,) = [c for c in fake_slack.calls if c.method == "apps.connections.open"]
    assert call.token == APP_TOKEN


async def test_a_slash_command_envelope_is_acked_and_answered(
    slack_socket: SlackAdapter, fake_slack: FakeSlack
) -> None:
    """The envelope is acked with its id; the question card goes to response_url, ephemeral."""
    ack = await fake_slack.send_envelope("slash_commands", _command_payload(fake_slack, "keras hard"))
    assert set(ack) >= {"envelope_id"}
    await fake_slack.wait_until(lambda: bool(fake_slack.responses))
    (reply,) = fake_slack.responses
    assert reply["response_type"] == "ephemeral" and "Title of keras-hard" in json.dumps(reply["blocks"])


async def test_an_interactive_envelope_runs_the_button(
    slack_socket: SlackAdapter, fake_slack: FakeSlack
) -> None:
    """A Show answer click arriving as an `interactive` envelope is acked and answered privately."""
    payload = action_payload(fake_slack, SHOW_ANSWER_ACTION, "keras-easy")
    await fake_slack.send_envelope("interactive", payload)
    await fake_slack.wait_until(lambda: bool(fake_slack.responses))
    assert "Short answer of keras-easy" in json.dumps(fake_slack.responses[0]["blocks"])


async def test_an_events_envelope_is_handled(
    slack_socket: SlackAdapter,
    fake_slack: FakeSlack,
    store: SqlStore,
    slack_channel: Destination,
    berlin_schedule: Schedule,
    clock: FakeClock,
) -> None:
    """The bot removed from a subscribed channel (`channel_left`) pauses that subscription."""
    subscription = await store.save_subscription(slack_channel, berlin_schedule, Filters(), clock.now())
    await fake_slack.send_envelope("events_api", event_body({"type": "channel_left", "channel": "C0GENERAL"}))

    async def paused() -> bool:
        current = await store.get_subscription_by_id(subscription.id)
        return current is not None and current.paused

    await eventually(paused)


@pytest.mark.parametrize("code", ["invalid_auth", "not_authed", "not_allowed_token_type"])
async def test_a_refused_app_token_stops_start_up_with_a_message_naming_it(
    service: PracticeService, fake_slack: FakeSlack, code: str
) -> None:
    """apps.connections.open refusing the xapp token ends start-up at once (no retrying every 10 s)."""
    adapter = build_slack_adapter(service, fake_slack, "socket")
    fake_slack.fail("apps.connections.open", Failure(error=code))
    try:
        async with asyncio.timeout(10):
            with pytest.raises(SlackConfigError) as error:
                await adapter.start()
    finally:
        await adapter.stop()
    assert "SLACK_APP_TOKEN" in str(error.value) and code in str(error.value)
    assert APP_TOKEN not in str(error.value)
    assert len(fake_slack.calls_to("apps.connections.open")) == 1


async def test_a_malformed_envelope_is_acked_and_dropped_with_one_warning(
    slack_socket: SlackAdapter, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """A slash command envelope without a channel: acknowledged, one warning, no traceback, no reply."""
    caplog.set_level(logging.INFO)
    payload = _command_payload(fake_slack, "keras")
    del payload["channel_id"]
    await fake_slack.send_envelope("slash_commands", payload)
    await asyncio.sleep(0.2)  # a listener that acked would fail after the ack: let it
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert [r.name for r in problems] == ["adapters.slack.inbound"]
    assert "channel_id" in problems[0].getMessage() and fake_slack.responses == []
