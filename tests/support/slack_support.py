"""Fixtures for the Slack adapter tests: a fake Slack Web API and Socket Mode server on loopback.

The fake speaks the documented wire formats: Web API methods under `/api/<method>` (form, query or
JSON arguments; `{"ok": false, "error": …}` failures; 429 with `Retry-After`), `response_url`
webhooks, and the Socket Mode websocket (hello, envelopes, `{"envelope_id": …}` acks). Inbound
requests (slash commands, `block_actions`, `view_submission`, Events API callbacks) are built as
Slack sends them and signed with the signing secret.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

import aiohttp
import pytest
from aiohttp import web

from adapters.slack.adapter import SlackAdapter, SlackConfig
from bot.content.bank import Filters
from bot.records import DEFAULT_OPTIONS, Subscription, SubscriptionOptions
from bot.schedule.clock import FakeClock
from bot.schedule.rules import Schedule
from bot.seam import Destination, reply_key
from bot.service import PracticeService
from bot.store import SqlStore
from tests.support.log_scan import SCAN
from tests.support.slack_views import view_problems

if TYPE_CHECKING:
    from tests.support.slack_workspaces import FakeWorkspaces
from tests.support.slack_limits import SlackLimits

BOT_TOKEN = "xoxb-test-bot-token-not-real"
APP_TOKEN = "xapp-test-app-token-not-real"
SIGNING_SECRET = "test-signing-secret-not-real"
TEAM = "T0TEAM"
BOT_USER = "U0BOT"
WRITE_METHODS = frozenset({"chat.postMessage", "chat.update"})
SCAN.register(BOT_TOKEN, APP_TOKEN, SIGNING_SECRET)

# Monday 23 November 2026: 09:00 in Berlin is 08:00 UTC; the default reveal is 6 h later.
POST_AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
REVEAL_AT = POST_AT + timedelta(hours=6)


@dataclass
class Failure:
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    channel: str | None = None  # fail only calls to this channel (any channel if None)
    user: str | None = None  # fail only calls about this user (users.info; any if None)


@dataclass
class WebCall:
    method: str
    args: dict[str, Any]
    token: str | None


@dataclass
class FakeSlack:
    """Plays Slack on 127.0.0.1; records every call and can be told to fail the next ones."""

    calls: list[WebCall] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    admins: set[str] = field(default_factory=set)
    members: set[str] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)  # user id → display name (users.info)
    views: list[dict[str, Any]] = field(default_factory=list)  # modals opened with views.open
    published: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # views.publish: user, view
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Files by id: files.getUploadURLExternal's filename and length, the uploaded bytes, and where
    # files.completeUploadExternal shared them (channel_id, initial_comment, title).
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    upload_status: int = 200  # what the upload URL answers (e.g. 413 to refuse the bytes)
    write_delay: float = 0.0
    # Several workspaces installed through OAuth, each with its own tokens and channels (None: one
    # workspace, any token accepted).
    workspaces: FakeWorkspaces | None = None
    # Slack's rate limits, enforced when set (off by default: most tests are about other things).
    # A call's workspace is its token's (`token_teams`), else its channel's (`channel_teams`), else TEAM.
    limits: SlackLimits | None = None
    token_teams: dict[str, str] = field(default_factory=dict)
    channel_teams: dict[str, str] = field(default_factory=dict)
    ratelimited: list[WebCall] = field(default_factory=list)  # calls answered 429 by `limits`
    port: int = 0
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _trip_left: int = 0
    _trip_action: Callable[[], None] | None = None

    # Control ---------------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/response/{uuid.uuid4().hex[:8]}"

    def disarm(self) -> None:
        self._trip_action = None

    def trip_on_write(self, writes: int, action: Callable[[], None]) -> None:
        """Run `action` when the n-th message write from now has been accepted, before answering it."""
        self._trip_left, self._trip_action = writes, action

    def fail(self, method: str, *failures: Failure) -> None:
        """Answer the next calls of `method` with these failures, in order."""
        self.failures.setdefault(method, []).extend(failures)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [call.args for call in self.calls if call.method == method]

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 10) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(condition), timeout)

    async def send_envelope(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Push a Socket Mode envelope to the connected client and return its ack."""
        await self.wait_until(lambda: bool(self._sockets))
        envelope_id = uuid.uuid4().hex
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
            "payload": payload,
        }
        await self._sockets[-1].send_str(json.dumps(envelope))
        await self.wait_until(lambda: envelope_id in self.acks)
        return self.acks[envelope_id]

    # Server ----------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for socket in self._sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _record(self, change: Callable[[], None]) -> None:
        async with self._changed:
            change()
            self._changed.notify_all()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = {k: v[0] for k, v in parse_qs(request.query_string).items()}
        raw = await request.text()
        if request.content_type == "application/json" and raw:
            args.update(json.loads(raw))
        elif raw:
            args.update({k: v[0] for k, v in parse_qs(raw).items()})
        token = request.headers.get("Authorization", "").removeprefix("Bearer ") or args.get("token")
        if self.limits is not None:
            channel = str(args.get("channel") or "")
            team = self.token_teams.get(token or "") or self.channel_teams.get(channel) or TEAM
            retry_after = self.limits.check(team, method, channel)
            if retry_after is not None:
                await self._record(lambda: self.ratelimited.append(WebCall(method, args, token)))
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(retry_after)},
                )
        await self._record(lambda: self.calls.append(WebCall(method, args, token)))
        refused = self.workspaces.refusal(method, args, token) if self.workspaces is not None else None
        if refused is not None:
            return web.json_response({"ok": False, "error": refused})
        pending = self.failures.get(method) or []
        matching = [
            f
            for f in pending
            if f.channel in (None, args.get("channel")) and f.user in (None, args.get("user"))
        ]
        if matching:
            failure = matching[0]
            pending.remove(failure)
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            body = {
                "ok": False,
                "error": failure.error or ("ratelimited" if failure.status == 429 else "fatal_error"),
            }
            return web.json_response(body, status=failure.status, headers=headers)
        if method == "views.publish":
            return await self._publish(args)
        if method in WRITE_METHODS and self.write_delay:
            await asyncio.sleep(self.write_delay)
        answer = {"ok": True, **self._answer(method, args, token)}
        if method in WRITE_METHODS and self._trip_action is not None:
            self._trip_left -= 1
            if self._trip_left == 0:
                # The platform has taken the write; the caller dies before it hears back.
                action, self._trip_action = self._trip_action, None
                action()
        return web.json_response(answer)

    async def _publish(self, args: dict[str, Any]) -> web.Response:
        """views.publish: a home tab view for one user, checked as Slack checks it."""
        sent = args.get("view")
        view = json.loads(sent) if isinstance(sent, str) else sent
        problems = view_problems(view)
        if not args.get("user_id"):
            problems.append("user_id is required")
        if problems:
            body = {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": problems}}
            return web.json_response(body)
        assert isinstance(view, dict)  # view_problems refuses anything else
        user = str(args["user_id"])
        await self._record(lambda: self.published.append((user, view)))
        return web.json_response({"ok": True, "view": {**view, "id": f"V{len(self.published):08d}"}})

    def home_of(self, user: str) -> dict[str, Any]:
        """The view last published as `user`'s home tab."""
        views = [view for who, view in self.published if who == user]
        assert views, f"no home view published for {user}"
        return views[-1]

    def _answer(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        if self.workspaces is not None and method in self.workspaces.methods:
            return self.workspaces.answer(method, args, token)
        if method == "auth.test":
            return {"user_id": BOT_USER, "team_id": TEAM, "bot_id": "B0BOT", "url": "https://fake.slack/"}
        if method == "apps.connections.open":
            return {"url": f"ws://127.0.0.1:{self.port}/socket"}
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._ts):06d}"
            message = {"ts": ts, "text": args.get("text"), "thread_ts": args.get("thread_ts")}
            if args.get("metadata"):
                metadata = args["metadata"]
                message["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
            channel = dm_channel(str(args.get("channel")))
            self.messages.setdefault(channel, []).append(message)
            return {"channel": channel, "ts": ts, "message": message}
        if method == "conversations.history":  # newest first
            posted = self.messages.get(str(args.get("channel")), [])
            return self._page([m for m in reversed(posted) if not m["thread_ts"]], args)
        if method == "conversations.replies":  # the parent, then its replies oldest first
            posted = self.messages.get(str(args.get("channel")), [])
            return self._page([m for m in posted if args.get("ts") in (m["ts"], m["thread_ts"])], args)
        if method == "chat.update":
            return {"channel": args.get("channel"), "ts": args.get("ts")}
        if method == "users.info":
            user = str(args.get("user"))
            name = self.names.get(user, "")
            profile = {"display_name": name, "real_name": name}
            return {
                "user": {
                    "id": user,
                    "name": user.lower(),
                    "is_admin": user in self.admins,
                    "is_owner": False,
                    "profile": profile,
                }
            }
        if method == "views.open":
            view = args.get("view")
            view = json.loads(view) if isinstance(view, str) else dict(view or {})
            self.views.append({**view, "trigger_id": args.get("trigger_id")})
            return {"view": {**view, "id": f"V{len(self.views):08d}", "state": {"values": {}}}}
        if method == "chat.postEphemeral":
            return {"message_ts": f"1700000000.{next(self._ts):06d}"}
        if method == "conversations.info":
            channel = str(args.get("channel"))
            return {"channel": {"id": channel, "is_member": channel in self.members}}
        if method == "conversations.open":
            return {"channel": {"id": dm_channel(str(args.get("users")))}}
        if method == "files.getUploadURLExternal":
            url = self._upload_url(args)
            if self.workspaces is not None and "file_id" in url:
                self.workspaces.uploading(url["file_id"], token)
            return url
        if method == "files.completeUploadExternal":
            return self._complete_upload(args)
        return {}

    def _upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        """Slack answers with a one-off upload URL and the file's id; the bytes go to the URL next."""
        if not args.get("filename") or not str(args.get("length") or "").isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{len(self.files) + 1:08d}"
        self.files[file_id] = {"filename": args["filename"], "length": int(args["length"]), "data": None}
        return {"upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        """Share uploaded files in a channel: each must have been uploaded whole, at its length."""
        listed = args.get("files")
        listed = json.loads(listed) if isinstance(listed, str) else list(listed or [])
        shared = []
        for item in listed:
            stored = self.files.get(str(item.get("id")))
            if stored is None or stored["data"] is None or len(stored["data"]) != stored["length"]:
                return {"ok": False, "error": "invalid_arguments"}
            stored.update(
                channel_id=args.get("channel_id"),
                initial_comment=args.get("initial_comment"),
                title=item.get("title"),
            )
            shared.append({"id": item["id"], "name": stored["filename"], "title": item.get("title")})
        return {"files": shared}

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if file_id not in self.files:
            return web.Response(status=404, text="not found")
        if self.upload_status != 200:
            return web.Response(status=self.upload_status, text="refused")
        data = await request.read()
        await self._record(lambda: self.files[file_id].__setitem__("data", data))
        return web.Response(text=f"OK - {len(data)}")

    def _page(self, messages: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
        """One page of messages: `limit` of them (Slack's default 100), at most the limits' page."""
        size = int(args.get("limit") or 100)
        if self.limits is not None:
            size = min(size, self.limits.history_page)
        return {"messages": messages[:size], "has_more": len(messages) > size}

    async def _response(self, request: web.Request) -> web.Response:
        body = await request.json()
        await self._record(lambda: self.responses.append(body))
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0APP"}}
        await socket.send_str(json.dumps(hello))
        await self._record(lambda: self._sockets.append(socket))
        async for message in socket:
            if message.type is aiohttp.WSMsgType.TEXT:
                ack: dict[str, Any] = json.loads(message.data)
                await self._record(partial(self.acks.__setitem__, ack["envelope_id"], ack))
        return socket


def dm_channel(channel: str) -> str:
    """Where Slack posts a message sent to `channel`: a user id (U…/W…) means the bot's direct
    messages with that person (its App Home Messages tab), a D… conversation of its own."""
    return "D" + channel[1:] if channel[:1] in ("U", "W") else channel


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10) -> None:
    """Wait until an async check holds (for work a listener does after acknowledging)."""
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.02)


# Inbound requests, signed as Slack signs them -----------------------------------------------------------


def signed_headers(
    body: str | bytes, secret: str = SIGNING_SECRET, timestamp: int | str | None = None
) -> dict[str, str]:
    """The headers Slack sends: v0 HMAC-SHA256 over `v0:{timestamp}:{body}` (the body's raw bytes)."""
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + raw, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def command_form(
    fake: FakeSlack,
    text: str,
    user: str = "U0ALICE",
    channel: str = "C0GENERAL",
    channel_name: str = "general",
) -> str:
    return urlencode(
        {
            "token": "deprecated-verification-token",
            "team_id": TEAM,
            "team_domain": "acme",
            "channel_id": channel,
            "channel_name": channel_name,
            "user_id": user,
            "user_name": user.lower(),
            "command": "/mlquestion",
            "text": text,
            "api_app_id": "A0APP",
            "response_url": fake.response_url(),
            "trigger_id": f"trigger.{uuid.uuid4().hex[:8]}",
        }
    )


def action_payload(
    fake: FakeSlack,
    action_id: str,
    value: str,
    user: str = "U0ALICE",
    channel: str = "C0GENERAL",
    message_ts: str = "1699999999.000001",
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "api_app_id": "A0APP",
        "token": "deprecated-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": True,
        },
        "trigger_id": f"trigger.{uuid.uuid4().hex[:8]}",
        "channel": {"id": channel, "name": "general"},
        "response_url": fake.response_url(),
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": f"mlq_question:{value}",
                "value": value,
                "text": {"type": "plain_text", "text": "button"},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def event_body(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "token": "deprecated-verification-token",
        "team_id": TEAM,
        "api_app_id": "A0APP",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:8].upper()}",
        "event_time": int(time.time()),
    }


def message_event(
    user: str,
    ts: str,
    thread_ts: str | None = None,
    channel: str = "C0GENERAL",
    **extra: Any,
) -> dict[str, Any]:
    """A `message` event as the Events API delivers it (`message.channels`); a reply has `thread_ts`."""
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": "an answer the bot must not keep",
        "ts": ts,
        "team": TEAM,
        "event_ts": ts,
        "channel_type": "channel",
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    event.update(extra)
    return event


def button_click(
    fake: FakeSlack,
    message: dict[str, Any],
    action_id: str,
    user: str = "U0ALICE",
    channel: str = "C0GENERAL",
    ephemeral: bool = False,
) -> dict[str, Any]:
    """The `block_actions` payload of `user` clicking the button `action_id` of a message we sent."""
    for block in message["blocks"]:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                break
        else:
            continue
        break
    else:
        raise AssertionError(f"no button {action_id} in the message")
    payload = action_payload(fake, action_id, element["value"], user, channel)
    payload["actions"][0].update(block_id=block["block_id"], text=element["text"])
    ts = message.get("ts") or payload["container"]["message_ts"]
    payload["container"].update(message_ts=ts, is_ephemeral=ephemeral)
    if not ephemeral:
        payload["message"] = {
            "type": "message",
            "ts": ts,
            "text": message.get("text"),
            "blocks": message["blocks"],
        }
    return payload


def view_submission(view: dict[str, Any], user: str = "U0ALICE", **values: str | None) -> dict[str, Any]:
    """The `view_submission` payload of `user` sending an opened modal with these input values
    (by block id: typed text, or the value of the option chosen in a select; None leaves it empty)."""
    state: dict[str, dict[str, Any]] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        value = values.get(block["block_id"])
        if element["type"] == "static_select":
            chosen = [o for o in element["options"] if o["value"] == value]
            entry: dict[str, Any] = {
                "type": "static_select",
                "selected_option": chosen[0] if chosen else None,
            }
        else:
            entry = {"type": element["type"], "value": value}
        state[block["block_id"]] = {element["action_id"]: entry}
    submitted = {
        **{k: v for k, v in view.items() if k != "trigger_id"},
        "id": "V00000001",
        "team_id": TEAM,
        "state": {"values": state},
        "hash": "1700000000.abcdefgh",
        "app_id": "A0APP",
        "bot_id": "B0BOT",
    }
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
        "api_app_id": "A0APP",
        "token": "deprecated-verification-token",
        "trigger_id": f"trigger.{uuid.uuid4().hex[:8]}",
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
    }


# Sending requests to the adapter's HTTP endpoint ----------------------------------------------------------


async def send(
    client: aiohttp.ClientSession, adapter: SlackAdapter, body: str | bytes, **headers: str
) -> int:
    """POST a body to the adapter's Slack endpoint, signed unless headers are given."""
    status, _ = await exchange(client, adapter, body, **headers)
    return status


async def exchange(
    client: aiohttp.ClientSession, adapter: SlackAdapter, body: str | bytes, **headers: str
) -> tuple[int, str]:
    """POST a body (signed unless headers are given); return the status and the response text."""
    url = adapter.address + adapter.config.path
    async with client.post(url, data=body, headers=headers or signed_headers(body)) as response:
        return response.status, await response.text()


async def command(
    client: aiohttp.ClientSession,
    adapter: SlackAdapter,
    fake: FakeSlack,
    text: str,
    user: str = "U0ALICE",
    channel_name: str = "general",
) -> dict[str, Any]:
    """Run `/mlquestion text` and return the first message posted to its response_url."""
    before = len(fake.responses)
    assert await send(client, adapter, command_form(fake, text, user, channel_name=channel_name)) == 200
    await fake.wait_until(lambda: len(fake.responses) > before)
    return fake.responses[before]


async def click(client: aiohttp.ClientSession, adapter: SlackAdapter, payload: dict[str, Any]) -> int:
    """Send an interaction payload (block_actions) as Slack does: form-encoded `payload=<json>`."""
    return await send(client, adapter, urlencode({"payload": json.dumps(payload)}))


async def interact(
    client: aiohttp.ClientSession, adapter: SlackAdapter, payload: dict[str, Any]
) -> tuple[int, dict[str, Any] | None]:
    """Send an interaction whose HTTP answer matters (view_submission): status and JSON body, if any."""
    status, text = await exchange(client, adapter, urlencode({"payload": json.dumps(payload)}))
    return status, (json.loads(text) if text else None)


async def raw_post(
    adapter: SlackAdapter, headers: dict[str, str], parts: Iterable[bytes], timeout: float = 5
) -> int:
    """POST over a bare socket: the headers, then the body `parts` one at a time, stopping as soon as
    the server answers (it may answer before the body is sent); return the answer's status code.

    Raises TimeoutError if the server has not answered `timeout` seconds after the last part.
    """
    host, port = adapter.address.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        head = f"POST {adapter.config.path} HTTP/1.1\r\nHost: {host}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        writer.write(head.encode())
        answer = asyncio.ensure_future(reader.readline())
        for part in parts:
            if answer.done():
                break
            try:
                writer.write(part)
                await writer.drain()
            except ConnectionError:
                break  # the server answered and closed: read what it said
            await asyncio.sleep(0)
        status_line = await asyncio.wait_for(answer, timeout)
        return int(status_line.split()[1])
    finally:
        writer.close()


def chunked(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    """`body` in HTTP/1.1 chunked transfer coding, without the final empty chunk."""
    for start in range(0, len(body), size):
        piece = body[start : start + size]
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"


async def post_event(
    client: aiohttp.ClientSession, adapter: SlackAdapter, event: dict[str, Any], event_id: str | None = None
) -> int:
    """Deliver an Events API callback (JSON, signed) to the adapter."""
    body = json.dumps(event_body(event, event_id))
    return await send(client, adapter, body, **{**signed_headers(body), "Content-Type": "application/json"})


# Fixtures --------------------------------------------------------------------------------------------


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()


@dataclass
class StoppedClock:
    """A monotonic clock that moves only when told (for the rate limits' budgets)."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def limits_clock() -> StoppedClock:
    return StoppedClock()


@pytest.fixture
def limited_slack(fake_slack: FakeSlack, limits_clock: StoppedClock) -> FakeSlack:
    """The fake Slack enforcing Slack's stated limits, on a clock that moves only when told."""
    fake_slack.limits = SlackLimits(clock=limits_clock)
    return fake_slack


@pytest.fixture
def slack_channel() -> Destination:
    return Destination("slack", "C0GENERAL", TEAM)


def build_slack_adapter(
    service: PracticeService, fake: FakeSlack, mode: str = "http", **overrides: Any
) -> SlackAdapter:
    config = SlackConfig(
        bot_token=BOT_TOKEN,
        mode=mode,  # type: ignore[arg-type]
        api_url=fake.api_url,
        app_token=APP_TOKEN if mode == "socket" else None,
        signing_secret=SIGNING_SECRET if mode == "http" else None,
        host="127.0.0.1",
        port=0,
        **overrides,
    )
    adapter = SlackAdapter(service, config)
    service.register_adapter(adapter)
    return adapter


@pytest.fixture
async def slack_http(service: PracticeService, fake_slack: FakeSlack) -> AsyncIterator[SlackAdapter]:
    """The adapter in HTTP mode, serving on a random loopback port, talking to the fake Web API."""
    adapter = build_slack_adapter(service, fake_slack, "http", admin_user_ids=frozenset({"U0CONFIGURED"}))
    await adapter.start()
    yield adapter
    await adapter.stop()


@pytest.fixture
async def slack_socket(service: PracticeService, fake_slack: FakeSlack) -> AsyncIterator[SlackAdapter]:
    """The adapter in Socket Mode, connected to the fake's websocket."""
    adapter = build_slack_adapter(service, fake_slack, "socket")
    await adapter.start()
    yield adapter
    await adapter.stop()


@pytest.fixture
async def http_client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


# The running world, for tests that drive the bot as the schedule, Slack and people would --------------

_REPLY_TS = itertools.count(1)


@dataclass(frozen=True)
class SlackWorld:
    """The adapter serving on loopback with the fake Slack behind it, the service, store and fake clock,
    and the HTTP client that sends the adapter Slack's signed requests (as Alice unless told).

    Keeps no state of its own: what happened is in the fake, the store and the clock.
    """

    adapter: SlackAdapter
    fake: FakeSlack
    service: PracticeService
    store: SqlStore
    clock: FakeClock
    client: aiohttp.ClientSession
    channel: Destination  # #general, C0GENERAL
    schedule: Schedule

    # The daily cycle ---------------------------------------------------------------------------------

    async def subscribe(
        self, options: SubscriptionOptions = DEFAULT_OPTIONS, where: Destination | None = None
    ) -> Subscription:
        """Subscribe #general (or `where`) to the 09:00 Berlin weekday schedule."""
        return await self.store.save_subscription(
            where or self.channel, self.schedule, Filters(), self.clock.now(), options
        )

    async def run_due_at(self, when: datetime) -> dict[str, int]:
        """Set the clock to `when` and run what is due; return the service's counts."""
        self.clock.set(when)
        return await self.service.run_due()

    async def post_question(self) -> dict[str, Any]:
        """Run the 09:00 post; return the question as the bot sent it (chat.postMessage's arguments)."""
        await self.run_due_at(POST_AT)
        (question,) = self.fake.calls_to("chat.postMessage")
        return question

    async def question_thread(self) -> str:
        """Run the 09:00 post; return the question's ts, which its thread's replies carry."""
        await self.run_due_at(POST_AT)
        (question,) = self.fake.messages["C0GENERAL"]
        return str(question["ts"])

    async def answered_by(self, thread_ts: str, *people: str, **extra: Any) -> None:
        """Each person replies in the thread (a `message` event, with `extra` fields); wait until each
        reply is counted before the next."""
        thread = reply_key(self.channel, thread_ts)
        for person in people:
            ts = f"1700000100.{next(_REPLY_TS):06d}"
            assert await self.post_event(message_event(person, ts, thread_ts, **extra)) == 200

            async def counted(person: str = person) -> bool:
                return person in await self.store.thread_repliers(thread)

            await eventually(counted)

    async def reveal(self) -> dict[str, Any]:
        """Run the reveal; return the last message of it the bot posted in the thread."""
        await self.run_due_at(REVEAL_AT)
        return [call for call in self.fake.calls_to("chat.postMessage") if call.get("thread_ts")][-1]

    # Requests as Slack sends them --------------------------------------------------------------------

    async def send(self, body: str | bytes, **headers: str) -> int:
        """POST a body to the adapter's endpoint, signed unless headers are given; return the status."""
        return await send(self.client, self.adapter, body, **headers)

    async def command(
        self, text: str, user: str = "U0ALICE", channel_name: str = "general"
    ) -> dict[str, Any]:
        """Run `/mlquestion text` as `user`; return the first message posted to its response_url."""
        return await command(self.client, self.adapter, self.fake, text, user, channel_name)

    async def click(self, payload: dict[str, Any]) -> int:
        """Send a block_actions payload; return the status."""
        return await click(self.client, self.adapter, payload)

    async def press(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Click a button; return the private reply posted to the click's response_url."""
        before = len(self.fake.responses)
        assert await self.click(payload) == 200
        await self.fake.wait_until(lambda: len(self.fake.responses) > before)
        return self.fake.responses[before]

    async def interact(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        """Send an interaction whose HTTP answer matters (view_submission): status and JSON body."""
        return await interact(self.client, self.adapter, payload)

    async def post_event(self, event: dict[str, Any], event_id: str | None = None) -> int:
        """Deliver an Events API callback; return the status."""
        return await post_event(self.client, self.adapter, event, event_id)

    # Check my answer ---------------------------------------------------------------------------------

    async def open_answer_form(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Click a check button (`payload`); return the modal it opened with views.open."""
        before = len(self.fake.views)
        assert await self.click(payload) == 200
        await self.fake.wait_until(lambda: len(self.fake.views) > before)
        return self.fake.views[-1]

    async def submit_answer(
        self,
        view: dict[str, Any],
        answer: str,
        method: str = "chat.postEphemeral",
        user: str = "U0ALICE",
    ) -> list[dict[str, Any]]:
        """Send the answer modal; the modal closes (empty ack); return the messages of the feedback,
        delivered with `method` (ephemeral in a channel, chat.postMessage in direct messages)."""
        before = len(self.fake.calls_to(method))
        assert await self.interact(view_submission(view, user, answer=answer)) == (200, None)

        def delivered() -> bool:
            sent = self.fake.calls_to(method)[before:]
            return bool(sent) and "mlq_rate_" in json.dumps(sent[-1]["blocks"], ensure_ascii=False)

        await self.fake.wait_until(delivered)
        return self.fake.calls_to(method)[before:]


@pytest.fixture
def slack_world(
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    service: PracticeService,
    store: SqlStore,
    clock: FakeClock,
    http_client: aiohttp.ClientSession,
    slack_channel: Destination,
    berlin_schedule: Schedule,
) -> SlackWorld:
    """The adapter in HTTP mode with everything around it (see SlackWorld); nothing subscribed yet."""
    return SlackWorld(
        slack_http, fake_slack, service, store, clock, http_client, slack_channel, berlin_schedule
    )


@pytest.fixture
async def slack_subscription(
    store: SqlStore, slack_channel: Destination, berlin_schedule: Schedule, clock: FakeClock
) -> Subscription:
    """#general gets a question at 09:00 Berlin on weekdays, revealed 6 h later; mentions on."""
    return await store.save_subscription(slack_channel, berlin_schedule, Filters(), clock.now())


@pytest.fixture
def slack_daily(slack_world: SlackWorld, slack_subscription: Subscription) -> SlackWorld:
    """The adapter in HTTP mode with #general subscribed (see `slack_subscription`)."""
    return slack_world
