"""The Slack app manifest: valid YAML, Socket Mode on, and a scope for every Web API method we call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import yaml

from adapters.slack.adapter import SlackAdapter
from adapters.slack.cli import MANIFEST
from adapters.slack.commands import GONE_EVENTS
from adapters.slack.home import HOME_EVENTS
from adapters.slack.practice import MESSAGE_EVENTS
from bot.cli import main as mlq
from bot.content.bank import Filters
from bot.records import SubscriptionOptions
from bot.schedule.clock import FakeClock
from bot.schedule.rules import Schedule
from bot.seam import Destination, reply_key
from bot.service import PracticeService
from bot.store import SqlStore
from tests.support.slack_support import (
    FakeSlack,
    command_form,
    eventually,
    interact,
    message_event,
    post_event,
    send,
    signed_headers,
    view_submission,
)

# Slack's documented bot scope for each Web API method (auth.test needs none; apps.connections.open
# uses the app-level token's connections:write).
SCOPE_OF_METHOD = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "views.open": None,  # a modal needs the trigger_id of a user's action, no scope
    "views.publish": None,  # a user's Home tab: no scope
    "users.info": "users:read",
    "conversations.info": "channels:read",
    "conversations.history": "channels:history",
    "conversations.replies": "channels:history",
    "conversations.open": "im:write",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}
SCOPE_OF_EVENT = {
    "app_home_opened": None,
    "channel_archive": "channels:read",
    "channel_deleted": "channels:read",
    "channel_left": "channels:read",
    "group_archive": "groups:read",
    "group_deleted": "groups:read",
    "group_left": "groups:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
}


@pytest.fixture
def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return loaded


def test_the_manifest_declares_the_command_interactivity_and_socket_mode(manifest: dict[str, Any]) -> None:
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert commands == ["/mlquestion"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True


def test_mlq_slack_manifest_prints_the_shipped_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert mlq(["slack", "manifest"]) == 0
    assert capsys.readouterr().out == MANIFEST.read_text(encoding="utf-8")


def test_every_event_the_adapter_handles_is_subscribed_with_its_scope(manifest: dict[str, Any]) -> None:
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    handled = {*GONE_EVENTS, *MESSAGE_EVENTS, *HOME_EVENTS}
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == handled
    assert {SCOPE_OF_EVENT[event] for event in handled} <= scopes | {None}


async def test_every_web_api_method_the_adapter_calls_has_its_scope(
    manifest: dict[str, Any],
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    service: PracticeService,
    store: SqlStore,
    berlin_schedule: Schedule,
    clock: FakeClock,
    http_client: aiohttp.ClientSession,
) -> None:
    """Run a day (subscribe as admin, post, reveal) and check each recorded method against the scopes."""
    fake_slack.admins.add("U0ADMIN")
    fake_slack.members.add("C0GENERAL")
    body = command_form(fake_slack, "subscribe 09:00 Europe/Berlin", "U0ADMIN")
    async with http_client.post(
        slack_http.address + "/slack/events", data=body, headers=signed_headers(body)
    ):
        pass
    await fake_slack.wait_until(lambda: bool(fake_slack.responses))
    await store.save_subscription(
        Destination("slack", "C0OTHER", "T0TEAM"), berlin_schedule, Filters(), clock.now()
    )
    clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    await service.run_due()
    clock.advance(timedelta(hours=6))
    await service.run_due()
    called = {call.method for call in fake_slack.calls}
    assert {"chat.postMessage", "chat.update", "users.info", "conversations.info"} <= called
    scopes = set(manifest["oauth_config"]["scopes"]["bot"]) | {None}
    assert {SCOPE_OF_METHOD[method] for method in called} <= scopes
    assert "commands" in scopes


async def test_every_web_api_method_the_practice_features_call_has_its_scope(
    manifest: dict[str, Any],
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    service: PracticeService,
    store: SqlStore,
    berlin_schedule: Schedule,
    clock: FakeClock,
    http_client: aiohttp.ClientSession,
) -> None:
    """A day with a thread reply and a reveal naming people (mentions off), then a suggestion sent
    through the modal: each recorded method against the scopes."""
    channel = Destination("slack", "C0GENERAL", "T0TEAM")
    await store.save_subscription(
        channel, berlin_schedule, Filters(), clock.now(), SubscriptionOptions(mention_participants=False)
    )
    clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    await service.run_due()
    question_ts = fake_slack.messages["C0GENERAL"][0]["ts"]
    await post_event(http_client, slack_http, message_event("U0ALICE", "1700000100.000001", question_ts))

    async def counted() -> bool:
        return bool(await store.thread_repliers(reply_key(channel, question_ts)))

    await eventually(counted)
    clock.advance(timedelta(hours=6))
    await service.run_due()
    assert await send(http_client, slack_http, command_form(fake_slack, "suggest")) == 200
    await fake_slack.wait_until(lambda: bool(fake_slack.views))
    submission = view_submission(fake_slack.views[0], question="Why?", answer="Because.")
    assert await interact(http_client, slack_http, submission) == (200, None)
    await fake_slack.wait_until(lambda: bool(fake_slack.calls_to("chat.postEphemeral")))
    called = {call.method for call in fake_slack.calls}
    assert {"users.info", "views.open", "chat.postEphemeral"} <= called
    scopes = set(manifest["oauth_config"]["scopes"]["bot"]) | {None}
    assert {SCOPE_OF_METHOD[method] for method in called} <= scopes
