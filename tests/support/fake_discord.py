"""A fake Discord on loopback: REST under /api/v10 and a gateway websocket, recording every call.

It speaks what discord.py 2.7 expects: JSON answered with the exact Content-Type `application/json`
(discord.py parses nothing else), the gateway address handed out by `GET /gateway/bot`, HELLO →
heartbeat/IDENTIFY → READY → heartbeat ACKs, zlib-stream frames when the client asks for them, and
429s carrying `retry_after` and a `Via` header (without it discord.py takes a 429 for a ban).
Payload shapes come from `tests/data/discord/`. Messages are checked against Discord's limits
and refused with 400/50035 as Discord would.

Guild events go to the shard that owns the guild, as Discord documents them: READY lists the
guilds as unavailable, GUILD_CREATE follows with their channels and active threads; opening a
thread sends THREAD_CREATE, every message (the bot's and those `user_message` posts) MESSAGE_CREATE,
without its text unless the client asked for the privileged MESSAGE_CONTENT intent.

Direct messages: `POST /users/@me/channels` opens (or returns) the DM channel with a person; sending
there works unless `close_dms` made that person refuse them (403, code 50007, as Discord answers
when someone's privacy settings block DMs). Interactions in a DM carry no guild, and the person as
`user` rather than `member`. No gateway event goes out for DMs (the bot asks for no DM intent).

Files: a message with attachments comes as `multipart/form-data`, its JSON in the `payload_json`
part and each file in a `files[n]` part that the JSON's `attachments` list declares by `id` n (as
Discord documents uploads). The fake keeps the bytes (`attachment_bytes`) and answers with the
attachment objects Discord returns; an undeclared file, a declared one missing, or more than
`UPLOAD_LIMIT` bytes in one request is refused as Discord refuses them.

Permissions: the bot has the guild's @everyone permissions (it has no roles) changed by the
channel's overwrites; a channel it cannot see, or the channels of a guild it left, answer 403
Missing Access (50001), and a send, a thread or a history read without the permission for it 403
Missing Permissions (50013). `deny`, `leave_guild` and `delete_channel` change this as people do,
with the gateway event Discord sends. Rate limits are off unless a `DiscordLimits` is given (see
`tests/support/discord_limits.py`).
"""

from __future__ import annotations

import asyncio
import copy
import email.parser
import email.policy
import itertools
import json
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
from aiohttp import WSMsgType, web

from tests.support.discord_limits import DiscordLimits

DATA = Path(__file__).parent / "data" / "discord"
JSON_TYPE = "application/json"
API_PREFIX = "/api/v10"
EPHEMERAL = 64
LOADING = 128
MESSAGE_CONTENT_INTENT = 1 << 15
PRIVILEGED_INTENTS = {"GUILD_MEMBERS": 1 << 1, "GUILD_PRESENCES": 1 << 8, "MESSAGE_CONTENT": 1 << 15}
COMMAND_IDS = {"mlquestion": 1_300_000_000_000_000_301, "mlquestion-channel": 1_300_000_000_000_000_302}
DM_CHANNEL = 1
CANNOT_DM = 50007
FAKE_TOKEN = "fake-bot-token.0123456789.abcdefghijklmnop"  # made up: the fake accepts only this
UPLOAD_LIMIT = 10 * 1024 * 1024  # bytes per request: the `attachment_size_limit` of a server without boosts
MISSING_ACCESS, MISSING_PERMISSIONS = 50001, 50013
VIEW = discord.Permissions(view_channel=True).value
SEND = discord.Permissions(send_messages=True).value
SEND_IN_THREADS = discord.Permissions(send_messages_in_threads=True).value
CREATE_THREADS = discord.Permissions(create_public_threads=True).value
READ_HISTORY = discord.Permissions(read_message_history=True).value
ADMINISTRATOR = discord.Permissions(administrator=True).value
RATE_LIMITED = {"message": "You are being rate limited.", "retry_after": 0.2, "global": False}

# A route handler gets the path match and the JSON body (the query, for a GET); returns status, JSON.
Handler = Callable[[re.Match[str], Any], tuple[int, Any]]


def load(name: str) -> dict[str, Any]:
    """Return a fresh copy of a payload shape from tests/data/discord."""
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return data


# Discord's limits, checked on every message the fake receives (and reused by the render tests) -----


def embed_size(embed: dict[str, Any]) -> int:
    """Count an embed's characters the way Discord does for the 6,000 limit."""
    fields = embed.get("fields") or []
    return (
        len(embed.get("title") or "")
        + len(embed.get("description") or "")
        + sum(len(f.get("name") or "") + len(f.get("value") or "") for f in fields)
        + len((embed.get("footer") or {}).get("text") or "")
        + len((embed.get("author") or {}).get("name") or "")
    )


def message_problems(payload: dict[str, Any]) -> list[str]:
    """Return every way a message payload breaks Discord's limits (empty when it fits)."""
    problems: list[str] = []
    content = payload.get("content") or ""
    if len(content) > 2000:
        problems.append(f"content has {len(content)} > 2000 characters")
    embeds = payload.get("embeds") or []
    if len(embeds) > 10:
        problems.append(f"{len(embeds)} > 10 embeds")
    for index, embed in enumerate(embeds):
        limits = [
            ("title", len(embed.get("title") or ""), 256),
            ("description", len(embed.get("description") or ""), 4096),
            ("fields", len(embed.get("fields") or []), 25),
            ("footer", len((embed.get("footer") or {}).get("text") or ""), 2048),
            ("author", len((embed.get("author") or {}).get("name") or ""), 256),
        ]
        limits += [("field name", len(f.get("name") or ""), 256) for f in embed.get("fields") or []]
        limits += [("field value", len(f.get("value") or ""), 1024) for f in embed.get("fields") or []]
        problems += [
            f"embed {index} {what} is {size} > {limit}" for what, size, limit in limits if size > limit
        ]
    total = sum(embed_size(e) for e in embeds)
    if total > 6000:
        problems.append(f"embeds total {total} > 6000 characters")
    rows = payload.get("components") or []
    if len(rows) > 5:
        problems.append(f"{len(rows)} > 5 action rows")
    ids = [item.get("custom_id") for row in rows for item in row.get("components") or []]
    if len([i for i in ids if i is not None]) != len({i for i in ids if i is not None}):
        problems.append("custom_ids repeat within the message")
    for row in rows:
        for item in row.get("components") or []:
            custom_id = item.get("custom_id")
            if custom_id is not None and not 1 <= len(custom_id) <= 100:
                problems.append(f"custom_id {custom_id!r} is not 1-100 characters")
            if len(item.get("label") or "") > 80:
                problems.append("button label > 80 characters")
    return problems


def modal_problems(data: dict[str, Any]) -> list[str]:
    """Return every way a MODAL callback's data breaks Discord's documented rules."""
    problems: list[str] = []
    if not 1 <= len(data.get("custom_id") or "") <= 100:
        problems.append("modal custom_id is not 1-100 characters")
    if not 1 <= len(data.get("title") or "") <= 45:
        problems.append("modal title is not 1-45 characters")
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        problems.append(f"{len(components)} components (a modal has 1-5)")
    for component in components:
        if component.get("type") != 18:  # a Label around each input (action rows are deprecated)
            problems.append(f"top-level component of type {component.get('type')} (expected a Label, 18)")
            continue
        field = component.get("component") or {}
        if not 1 <= len(component.get("label") or "") <= 45:
            problems.append("label text is not 1-45 characters")
        if len(component.get("description") or "") > 100:
            problems.append("label description > 100 characters")
        if field.get("type") != 4 or field.get("style") not in (1, 2):
            problems.append("a label holds something other than a text input of style 1 or 2")
        if field.get("label") is not None:
            problems.append("a text input inside a label has its own label")
        if not 1 <= len(field.get("custom_id") or "") <= 100:
            problems.append("text input custom_id is not 1-100 characters")
        if not 1 <= field.get("max_length", 4000) <= 4000 or len(field.get("placeholder") or "") > 100:
            problems.append("text input max_length or placeholder out of range")
    return problems


# Recording --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One REST call as the fake saw it: path below /api/v10, parsed JSON body, answer status."""

    method: str
    path: str
    body: Any
    query: dict[str, str]
    status: int


@dataclass(frozen=True)
class Member:
    """A guild member who runs commands: id, name and resolved channel permissions."""

    id: str
    name: str
    permissions: int


@dataclass(frozen=True)
class Sent:
    """An interaction the fake dispatched; its token identifies the bot's replies to it."""

    id: int
    token: str


@dataclass
class _Failure:
    method: str
    path: str  # a regular expression matched against the whole path
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class _Rejected(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.body = status, {"code": code, "message": message}


class _Socket:
    """One gateway connection; frames are zlib-stream compressed when the client asked for it."""

    def __init__(self, ws: web.WebSocketResponse, compress: bool) -> None:
        self.ws = ws
        self.deflate = zlib.compressobj() if compress else None
        self.sequence = 0
        self.lock = asyncio.Lock()
        self.shard: tuple[int, int] | None = None  # (id, count) once identified
        self.intents = 0

    def serves(self, guild_id: int) -> bool:
        """Whether this connection is the shard Discord routes the guild's events to."""
        if self.shard is None or self.ws.closed:
            return False
        shard_id, count = self.shard
        return (guild_id >> 22) % count == shard_id

    async def send(self, op: int, data: Any, event: str | None = None) -> None:
        async with self.lock:
            sequence = None
            if op == 0:
                self.sequence += 1
                sequence = self.sequence
            text = json.dumps({"op": op, "d": data, "s": sequence, "t": event})
            if self.deflate is None:
                await self.ws.send_str(text)
            else:
                frame = self.deflate.compress(text.encode()) + self.deflate.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(frame)


class FakeDiscord:
    """Plays Discord for one test. Holds channels, messages and interactions in memory."""

    def __init__(self, token: str = FAKE_TOKEN, limits: DiscordLimits | None = None) -> None:
        self.token = token
        self.limits = limits
        self.left: set[int] = set()  # guilds the bot was removed from
        self.bot_user = load("bot_user")
        self.application = load("application")
        self.application_id = int(self.application["id"])
        self.calls: list[Call] = []
        self.guilds: dict[int, dict[str, Any]] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.events: list[tuple[str, dict[str, Any]]] = []  # guild events dispatched, in order
        self.identifies: list[dict[str, Any]] = []
        # Which gateway connection receives dispatched interactions (the latest by default).
        self.dispatch_to = -1
        self.gateway_queries: list[dict[str, str]] = []
        self.synced: dict[int | None, list[dict[str, Any]]] = {}
        self.closed_dms: set[str] = set()  # people whose privacy settings refuse the bot's DMs
        self.attachment_bytes: dict[str, bytes] = {}  # attachment id → the uploaded file
        self._uploads: dict[str, tuple[str, bytes]] = {}  # the current request's files[n] parts
        self._failures: list[_Failure] = []
        self._nonces: dict[tuple[str, str], dict[str, Any]] = {}
        self._interactions: dict[str, dict[str, Any]] = {}
        self._sockets: list[_Socket] = []
        self._ids = itertools.count(1_310_000_000_000_000_000)
        self._changed = asyncio.Condition()
        self._outbox: list[tuple[int, str, dict[str, Any]]] = []  # guild events a REST call caused
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("GET", re.compile(r"/users/@me"), self._me),
            ("POST", re.compile(r"/users/@me/channels"), self._open_dm),
            ("GET", re.compile(r"/oauth2/applications/@me"), self._app),
            ("GET", re.compile(r"/gateway/bot"), self._gateway_bot),
            ("GET", re.compile(r"/channels/(?P<channel>\d+)"), self._get_channel),
            ("POST", re.compile(r"/channels/(?P<channel>\d+)/messages"), self._create_message),
            ("GET", re.compile(r"/channels/(?P<channel>\d+)/messages"), self._history),
            (
                "PATCH",
                re.compile(r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)"),
                self._edit_message,
            ),
            (
                "POST",
                re.compile(r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)/threads"),
                self._thread,
            ),
            ("POST", re.compile(r"/interactions/(?P<id>\d+)/(?P<token>[^/]+)/callback"), self._callback),
            (
                "PATCH",
                re.compile(r"/webhooks/\d+/(?P<token>[^/]+)/messages/(?P<message>@original|\d+)"),
                self._edit_reply,
            ),
            ("POST", re.compile(r"/webhooks/\d+/(?P<token>[^/]+)"), self._followup),
            ("PUT", re.compile(r"/applications/\d+/commands"), self._sync),
            ("PUT", re.compile(r"/applications/\d+/guilds/(?P<guild>\d+)/commands"), self._sync),
        ]

    # Lifetime -------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        for socket in self._sockets:
            await socket.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # Set-up and failures -------------------------------------------------------------------------

    def add_text_channel(self, channel_id: int, guild_id: int, name: str = "ml-practice") -> dict[str, Any]:
        """Add a text channel, and its guild if new (sent in GUILD_CREATE to later connections)."""
        if guild_id not in self.guilds:
            guild = load("guild") | {"id": str(guild_id)}
            guild["roles"][0]["id"] = str(guild_id)  # @everyone has the guild's id
            self.guilds[guild_id] = guild
        channel = load("text_channel") | {"id": str(channel_id), "guild_id": str(guild_id), "name": name}
        self.channels[channel_id] = channel
        return channel

    async def add_thread(self, parent_id: int, owner: Member, name: str = "a thread") -> dict[str, Any]:
        """Open a thread someone else started in a channel (sends THREAD_CREATE to the guild's shard)."""
        parent = self._channel(parent_id)
        thread = load("thread_channel") | {
            "id": str(next(self._ids)),
            "guild_id": parent["guild_id"],
            "parent_id": parent["id"],
            "owner_id": owner.id,
            "name": name,
        }
        del thread["member"]  # the bot is not in it
        self.channels[int(thread["id"])] = thread
        await self._send_guild_event(
            int(parent["guild_id"]), "THREAD_CREATE", thread | {"newly_created": True}
        )
        return thread

    def close_dms(self, user: Member) -> None:
        """Make a person refuse direct messages from the bot (their privacy settings for the server)."""
        self.closed_dms.add(user.id)

    async def join_guild(self, guild_id: int, channel_ids: list[int]) -> None:
        """Add the bot to a guild with these text channels; sends GUILD_CREATE to its shard."""
        for channel_id in channel_ids:
            self.add_text_channel(channel_id, guild_id, f"ml-practice-{channel_id % 1000}")
        self.left.discard(guild_id)
        await self._send_guild_event(guild_id, "GUILD_CREATE", self._guild_create(guild_id))

    async def deny(self, channel_id: int, permissions: discord.Permissions) -> None:
        """Deny @everyone (and so the bot) `permissions` in a channel; sends CHANNEL_UPDATE."""
        channel = self._channel(channel_id)
        overwrite = {"id": channel["guild_id"], "type": 0, "allow": "0", "deny": str(permissions.value)}
        channel["permission_overwrites"] = [overwrite]
        await self._send_guild_event(int(channel["guild_id"]), "CHANNEL_UPDATE", channel)

    async def delete_channel(self, channel_id: int) -> None:
        """Delete a channel (then 404 Unknown Channel); sends CHANNEL_DELETE."""
        channel = self.channels.pop(channel_id)
        await self._send_guild_event(int(channel["guild_id"]), "CHANNEL_DELETE", channel)

    async def leave_guild(self, guild_id: int) -> None:
        """Remove the bot from a guild (its channels then answer 403); sends GUILD_DELETE."""
        await self._send_guild_event(guild_id, "GUILD_DELETE", {"id": str(guild_id)})
        self.left.add(guild_id)

    def bot_permissions(self, channel: dict[str, Any]) -> int:
        """The bot's permissions in a guild channel: @everyone's, then the channel's overwrites."""
        if "parent_id" in channel and channel["type"] == 11:  # a thread takes its parent's
            channel = self.channels.get(int(channel["parent_id"]), channel)
        guild = self.guilds[int(channel["guild_id"])]
        allowed = int(guild["roles"][0]["permissions"])
        if allowed & ADMINISTRATOR:
            return -1
        for overwrite in channel.get("permission_overwrites") or []:
            if overwrite["id"] in (channel["guild_id"], self.bot_user["id"]):
                allowed = (allowed & ~int(overwrite["deny"])) | int(overwrite["allow"])
        return allowed

    def dm_channel(self, user: Member) -> int | None:
        """Return the id of the bot's DM channel with a person, once the bot opened it."""
        for channel in self.channels.values():
            if channel["type"] == DM_CHANNEL and channel["recipients"][0]["id"] == user.id:
                return int(channel["id"])
        return None

    def fail_next(self, method: str, path: str, status: int, code: int, message: str) -> None:
        """Answer the next call matching (method, path regex) with a Discord error."""
        self._failures.append(_Failure(method, path, status, {"code": code, "message": message}))

    def rate_limit_next(self, method: str, path: str, retry_after: float = 0.2) -> None:
        """Answer the next matching call with a per-route 429, as Discord does (behind its proxy)."""
        headers = {
            "Retry-After": str(max(1, round(retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": str(retry_after),
            "X-RateLimit-Bucket": "fake-bucket",
            "X-RateLimit-Scope": "user",
            "Via": "1.1 google",
        }
        self._failures.append(
            _Failure(method, path, 429, RATE_LIMITED | {"retry_after": retry_after}, headers)
        )

    # Looking at what happened --------------------------------------------------------------------

    def calls_to(self, method: str, path: str) -> list[Call]:
        """Return the calls with this method whose path matches the regex `path` entirely."""
        return [c for c in self.calls if c.method == method and re.fullmatch(path, c.path)]

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 10) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(condition), timeout)

    async def wait_calls(self, method: str, path: str, count: int = 1) -> list[Call]:
        """Wait until `count` calls matching (method, path regex) were answered; return them."""
        await self.wait_for(lambda: len(self.calls_to(method, path)) >= count)
        return self.calls_to(method, path)

    async def reply_to(self, sent: Sent) -> dict[str, Any]:
        """Wait for the bot's reply to an interaction (its response, or the edited deferral)."""
        record = self._interactions[sent.token]
        await self.wait_for(lambda: record["type_sent"] in (4, 8) or record["edited"])
        return self.messages[record["original"]] if record["original"] else {}

    def callback(self, sent: Sent) -> Call:
        (call,) = self.calls_to("POST", rf"/interactions/{sent.id}/{re.escape(sent.token)}/callback")
        return call

    def forget(self, message: dict[str, Any]) -> None:
        """Remove a message as if it had never been sent (no trace in history or nonces)."""
        del self.messages[int(message["id"])]
        self._nonces = {k: m for k, m in self._nonces.items() if m["id"] != message["id"]}

    def in_channel(self, channel_id: int) -> list[dict[str, Any]]:
        """Return the bot's messages in a channel or thread, oldest first (interaction replies excluded)."""
        return [
            m
            for m in self.messages.values()
            if m["channel_id"] == str(channel_id)
            and "webhook_id" not in m
            and m["author"]["id"] == self.bot_user["id"]
        ]

    # Interactions --------------------------------------------------------------------------------

    async def command(
        self, name: str, user: Member, channel_id: int, subcommand: str | None = None, **options: Any
    ) -> Sent:
        """Dispatch a slash command, as Discord does when someone runs it."""
        return await self._dispatch(2, self._command_data(name, subcommand, options, None), user, channel_id)

    async def autocomplete(
        self, name: str, user: Member, channel_id: int, subcommand: str | None, focused: str, **options: Any
    ) -> Sent:
        return await self._dispatch(
            4, self._command_data(name, subcommand, options, focused), user, channel_id
        )

    async def click(self, message: dict[str, Any], custom_id: str, user: Member) -> Sent:
        """Dispatch a button press on a message the bot posted."""
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._dispatch(3, data, user, int(message["channel_id"]), message=message)

    async def form_opened(self, sent: Sent) -> dict[str, Any]:
        """Wait for the bot to answer an interaction with a form (callback type 9); return its data."""
        record = self._interactions[sent.token]
        await self.wait_for(lambda: record["type_sent"] is not None)
        body = self.callback(sent).body
        assert body["type"] == 9, f"answered with callback type {body['type']}, not a form"
        data: dict[str, Any] = body["data"]
        return data

    async def submit_form(
        self, custom_id: str, values: dict[str, str], user: Member, channel_id: int
    ) -> Sent:
        """Dispatch a MODAL_SUBMIT (interaction type 5): each text input's value inside its Label."""
        components = [
            {
                "type": 18,
                "id": 2 * index + 1,
                "component": {"type": 4, "id": 2 * index + 2, "custom_id": key, "value": value},
            }
            for index, (key, value) in enumerate(values.items())
        ]
        return await self._dispatch(5, {"custom_id": custom_id, "components": components}, user, channel_id)

    async def user_message(
        self,
        channel_id: int,
        user: Member,
        text: str = "my answer",
        *,
        bot: bool = False,
        webhook: bool = False,
    ) -> dict[str, Any]:
        """Post a message as someone else (a person, another bot, or a webhook), dispatched as
        MESSAGE_CREATE to the shard of its guild; returns the message as stored."""
        channel = self._channel(channel_id)
        author: dict[str, Any] = {
            "id": user.id,
            "username": user.name,
            "global_name": None if bot or webhook else user.name,
            "discriminator": "0",
            "avatar": None,
            "public_flags": 0,
        } | ({"bot": True} if bot or webhook else {})
        message = load("message") | {
            "id": str(next(self._ids)),
            "channel_id": channel["id"],
            "author": author,
            "content": text,
        }
        if webhook:
            message["webhook_id"] = user.id
        if channel["type"] == 11:
            message["position"] = sum(1 for m in self.messages.values() if m["channel_id"] == channel["id"])
        self.messages[int(message["id"])] = message
        event = message | {"guild_id": channel["guild_id"], "mentions": []}
        if not webhook:
            event["member"] = {
                "roles": [],
                "joined_at": "2026-01-05T10:00:00.000000+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
            }
        await self._send_guild_event(int(channel["guild_id"]), "MESSAGE_CREATE", event)
        return message

    def _command_data(
        self, name: str, subcommand: str | None, options: dict[str, Any], focused: str | None
    ) -> dict[str, Any]:
        kinds = {bool: 5, int: 4, str: 3}
        values = [
            {"type": kinds[type(v)], "name": k, "value": v} | ({"focused": True} if k == focused else {})
            for k, v in options.items()
        ]
        if subcommand is not None:
            values = [{"type": 1, "name": subcommand, "options": values}]
        return {
            "id": str(COMMAND_IDS.get(name, 1_300_000_000_000_000_399)),
            "name": name,
            "type": 1,
            "options": values,
        }

    async def _dispatch(
        self,
        kind: int,
        data: dict[str, Any],
        user: Member,
        channel_id: int,
        message: dict[str, Any] | None = None,
    ) -> Sent:
        channel = self.channels[channel_id]
        guild_id = channel.get("guild_id")
        sent = Sent(next(self._ids), f"interaction-token-{len(self._interactions)}")
        payload = load("interaction")
        payload.update(id=str(sent.id), type=kind, token=sent.token, guild_id=guild_id, data=data)
        payload.update(channel_id=str(channel_id), channel=channel | {"permissions": str(user.permissions)})
        if guild_id is None:  # a DM with the bot: no guild, the person as `user`, context BOT_DM
            for key in ("guild_id", "guild", "guild_locale"):
                del payload[key]
            person = payload.pop("member")["user"]
            payload["user"] = person | {"id": user.id, "username": user.name, "global_name": user.name}
            payload.update(channel=channel, context=1, authorizing_integration_owners={"0": "0"})
        else:
            payload["guild"]["id"] = guild_id
            payload["member"]["user"] |= {"id": user.id, "username": user.name, "global_name": user.name}
            payload["member"]["permissions"] = str(user.permissions)
            payload["authorizing_integration_owners"] = {"0": guild_id}
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        self._interactions[sent.token] = {
            "id": sent.id,
            "type": kind,
            "channel_id": channel_id,
            "type_sent": None,
            "original": None,
            "edited": False,
        }
        await self._sockets[self.dispatch_to].send(0, payload, "INTERACTION_CREATE")
        return sent

    # REST -----------------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        raw = await request.read()
        body = json.loads(raw) if raw and request.content_type == JSON_TYPE else None
        uploads: dict[str, tuple[str, bytes]] = {}
        if raw and request.content_type == "multipart/form-data":
            body, uploads = _multipart(request.headers["Content-Type"], raw)
        given = dict(request.query) if request.method == "GET" else body
        self._uploads = uploads  # read by the (synchronous) handler below, then dropped
        headers: dict[str, str] = {}
        refused = self.limits.admit(request.method, path) if self.limits else None
        try:
            if refused is not None:
                status, payload, headers = refused
            elif sum(len(data) for _, data in uploads.values()) > UPLOAD_LIMIT:
                status, payload = 413, {"message": "Request entity too large", "code": 40005}
            else:
                status, payload, headers = self._answer(
                    request.method, path, request.headers.get("Authorization"), given
                )
            if status < 300 and self._uploads:
                status, payload = 400, {"message": "Invalid Form Body: undeclared file", "code": 50035}
        finally:
            self._uploads = {}
        if self.limits is not None:
            if refused is None:
                headers = self.limits.headers(request.method, path) | headers
            self.limits.settle(status, headers)
        # Gateway events the call caused go out before its answer, as Discord's usually do.
        outbox, self._outbox = self._outbox, []
        for guild_id, event, data in outbox:
            await self._send_guild_event(guild_id, event, data)
        async with self._changed:
            self.calls.append(Call(request.method, path, body, dict(request.query), status))
            self._changed.notify_all()
        text = payload if isinstance(payload, str) else json.dumps(payload)
        # Built by hand: json_response() would add "; charset=utf-8", which discord.py does not parse.
        return web.Response(status=status, body=text.encode(), headers={"Content-Type": JSON_TYPE, **headers})

    def _answer(
        self, method: str, path: str, authorization: str | None, body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        for failure in self._failures:
            if failure.method == method and re.fullmatch(failure.path, path):
                self._failures.remove(failure)
                return failure.status, failure.body, failure.headers
        bot_route = not path.startswith(("/interactions/", "/webhooks/"))
        if bot_route and authorization != f"Bot {self.token}":
            return 401, {"message": "401: Unauthorized", "code": 0}, {}
        for route_method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                try:
                    status, payload = handler(match, body)
                except _Rejected as exc:
                    return exc.status, exc.body, {}
                return status, payload, {}
        return 404, {"message": "404: Not Found", "code": 0}, {}

    def _me(self, match: re.Match[str], body: Any) -> tuple[int, Any]:
        return 200, self.bot_user

    def _app(self, match: re.Match[str], body: Any) -> tuple[int, Any]:
        return 200, self.application

    def _gateway_bot(self, match: re.Match[str], body: Any) -> tuple[int, Any]:
        return 200, load("gateway_bot") | {"url": self.gateway_url}

    def _get_channel(self, match: re.Match[str], body: Any) -> tuple[int, Any]:
        return 200, self._reachable(int(match["channel"]))

    def _channel(self, channel_id: int) -> dict[str, Any]:
        if channel_id not in self.channels:
            raise _Rejected(404, 10003, "Unknown Channel")
        return self.channels[channel_id]

    def _reachable(self, channel_id: int, needs: int = 0) -> dict[str, Any]:
        """The channel, if the bot may do what `needs` says there (as a bot route checks it)."""
        channel = self._channel(channel_id)
        if "guild_id" not in channel:
            return channel
        allowed = self.bot_permissions(channel)
        if int(channel["guild_id"]) in self.left or not allowed & VIEW:
            raise _Rejected(403, MISSING_ACCESS, "Missing Access")
        if needs & ~allowed:
            raise _Rejected(403, MISSING_PERMISSIONS, "Missing Permissions")
        return channel

    def _create_message(self, match: re.Match[str], body: Any) -> tuple[int, Any]:
        channel = self._channel(int(match["channel"]))
        if "guild_id" in channel:
            self._reachable(int(channel["id"]), SEND_IN_THREADS if channel["type"] == 11 else SEND)
        if channel["type"] == DM_CHANNEL and channel["recipients"][0]["id"] in self.closed_dms:
            raise _Rejected(403, CANNOT_DM, "Cannot send messages to this user")
        key = (channel["id"], str(body.get("nonce")))
        if body.get("enforce_nonce") and key in self._nonces:
            return 200, self._nonces[key]  # Discord returns the first message instead of a duplicate
        message = self._new_message(channel, body)
        if body.get("enforce_nonce"):
            self._nonces[key] = message | {"nonce": body["nonce"]}
        if "guild_id" in channel:
            self._outbox.append(
                (int(channel["guild_id"]), "MESSAGE_CREATE", message | {"guild_id": channel["guild_id"]})
            )
        return 200, self._nonces.get(key, message)

    def _open_dm(self, match: re.Match[str], body: Any) -> tuple[int, Any]:
        """Open the DM channel with a person (the same one every time), as Discord does."""
        recipient = str(body["recipient_id"])
        for channel in self.channels.values():
            if channel["type"] == DM_CHANNEL and channel["recipients"][0]["id"] == recipient:
                return 200, channel
        person = {
            "id": recipient,
            "username": f"user{recipient[-4:]}",
            "global_name": None,
            "discriminator": "0",
            "avatar": None,
            "public_flags": 0,
        }
        channel = {"id": str(next(self._ids)), "type": DM_CHANNEL, "last_message_id": None, "flags": 0}
        channel["recipients"] = [person]
        self.channels[int(channel["id"])] = channel
        return 200, channel

    def _history(self, match: re.Match[str], query: dict[str, str]) -> tuple[int, Any]:
        channel = self._reachable(int(match["channel"]), READ_HISTORY)
        before = int(query.get("before", 2**63))
        found = [
            m for m in self.messages.values() if m["channel_id"] == channel["id"] and int(m["id"]) < before
        ]
        found.sort(key=lambda m: int(m["id"]), reverse=True)
        return 200, found[: int(query.get("limit", 50))]

    def _new_message(self, channel: dict[str, Any], body: dict[str, Any], flags: int = 0) -> dict[str, Any]:
        problems = message_problems(body)
        if problems:
            raise _Rejected(400, 50035, "Invalid Form Body: " + "; ".join(problems))
        message = load("message") | {
            "id": str(next(self._ids)),
            "channel_id": channel["id"],
            "author": self.bot_user,
            "content": body.get("content") or "",
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "flags": flags | (body.get("flags") or 0),
            "attachments": self._attachments(body, []),
        }
        if "message_reference" in body:
            message |= {"type": 19, "message_reference": body["message_reference"]}
        self.messages[int(message["id"])] = message
        return message

    def _edit_message(self, match: re.Match[str], body: Any) -> tuple[int, Any]:
        self._reachable(int(match["channel"]))
        message = self.messages.get(int(match["message"]))
        if message is None or message["channel_id"] != match["channel"]:
            raise _Rejected(404, 10008, "Unknown Message")
        return 200, self._edit(message, body)

    def _edit(self, message: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        problems = message_problems(body)
        if problems:
            raise _Rejected(400, 50035, "Invalid Form Body: " + "; ".join(problems))
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        if "attachments" in body:
            message["attachments"] = self._attachments(body, message.get("attachments") or [])
        message["flags"] &= ~LOADING
        message["edited_timestamp"] = "2026-11-23T08:00:01.000000+00:00"
        return message

    def _attachments(self, body: dict[str, Any], kept: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The attachment objects of a message: each declared `{"id": n}` takes the request's
        `files[n]`; an id of an attachment the message already has keeps it."""
        existing = {str(a["id"]): a for a in kept}
        out = []
        for item in body.get("attachments") or []:
            if str(item.get("id")) in existing:
                out.append(existing[str(item["id"])])
                continue
            upload = self._uploads.pop(f"files[{item.get('id')}]", None)
            if upload is None:
                raise _Rejected(400, 50035, "Invalid Form Body: an attachment without its file")
            filename, data = upload
            name = item.get("filename") or filename
            attachment_id = str(next(self._ids))
            self.attachment_bytes[attachment_id] = data
            url = f"http://127.0.0.1:{self.port}/attachments/{attachment_id}/{name}"
            out.append(
                {
                    "id": attachment_id,
                    "filename": name,
                    "size": len(data),
                    "url": url,
                    "proxy_url": url,
                    "content_type": "application/octet-stream",
                }
            )
        return out

    def _thread(self, match: re.Match[str], body: Any) -> tuple[int, Any]:
        channel = self._reachable(int(match["channel"]), CREATE_THREADS)
        message = self.messages.get(int(match["message"]))
        if message is None or message["channel_id"] != channel["id"]:
            raise _Rejected(404, 10008, "Unknown Message")
        if "thread" in message:
            raise _Rejected(400, 160004, "A thread has already been created for this message")
        thread = load("thread_channel") | {
            "id": message["id"],  # a thread started from a message takes the message's id
            "guild_id": channel["guild_id"],
            "parent_id": channel["id"],
            "owner_id": self.bot_user["id"],
            "name": body["name"],
        }
        thread["thread_metadata"]["auto_archive_duration"] = body["auto_archive_duration"]
        thread["member"] |= {"id": thread["id"], "user_id": self.bot_user["id"]}
        message["thread"] = thread
        self.channels[int(thread["id"])] = thread
        self._outbox.append((int(channel["guild_id"]), "THREAD_CREATE", thread | {"newly_created": True}))
        return 201, thread

    def _interaction(self, token: str) -> dict[str, Any]:
        if token not in self._interactions:
            raise _Rejected(404, 10062, "Unknown interaction")
        return self._interactions[token]

    def _callback(self, match: re.Match[str], body: Any) -> tuple[int, Any]:
        record = self._interaction(match["token"])
        if record["type_sent"] is not None:
            raise _Rejected(400, 40060, "Interaction has already been acknowledged.")
        kind, data = body["type"], body.get("data") or {}
        flags = data.get("flags") or 0
        if kind == 9:
            if record["type"] == 5:
                raise _Rejected(400, 50035, "Invalid Form Body: a form cannot answer a form")
            problems = modal_problems(data)
            if problems:
                raise _Rejected(400, 50035, "Invalid Form Body: " + "; ".join(problems))
        answer: dict[str, Any] = {
            "interaction": {
                "id": str(record["id"]),
                "type": record["type"],
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(flags & EPHEMERAL),
            }
        }
        if kind in (4, 5):
            channel = self._channel(record["channel_id"])
            message = self._new_message(
                channel, data if kind == 4 else {}, flags | (LOADING if kind == 5 else 0)
            )
            message["webhook_id"] = str(
                self.application_id
            )  # interaction replies come from the app's webhook
            record["original"] = int(message["id"])
            answer["interaction"]["response_message_id"] = message["id"]
            answer["resource"] = {"type": kind, "message": message}
        else:
            answer["resource"] = {"type": kind}
        record["type_sent"] = kind
        return 200, answer

    def _edit_reply(self, match: re.Match[str], body: Any) -> tuple[int, Any]:
        record = self._interaction(match["token"])
        wanted = record["original"] if match["message"] == "@original" else int(match["message"])
        if wanted is None or wanted not in self.messages:
            raise _Rejected(404, 10008, "Unknown Message")
        message = self._edit(self.messages[wanted], body)
        record["edited"] = record["edited"] or wanted == record["original"]
        return 200, message

    def _followup(self, match: re.Match[str], body: Any) -> tuple[int, Any]:
        record = self._interaction(match["token"])
        if record["type_sent"] is None:
            raise _Rejected(404, 10015, "Unknown Webhook")
        message = self._new_message(self._channel(record["channel_id"]), body)
        message["webhook_id"] = str(self.application_id)
        return 200, message

    def _sync(self, match: re.Match[str], body: Any) -> tuple[int, Any]:
        guild = int(match["guild"]) if "guild" in match.groupdict() else None
        self.synced[guild] = body
        stored = [
            command
            | {"id": str(next(self._ids)), "application_id": str(self.application_id), "version": "1"}
            | ({"guild_id": str(guild)} if guild else {})
            for command in body
        ]
        return 200, stored

    # Gateway --------------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.gateway_queries.append(dict(request.query))
        socket = _Socket(ws, request.query.get("compress") == "zlib-stream")
        self._sockets.append(socket)
        await socket.send(10, {"heartbeat_interval": 41250, "_trace": ['["fake-gateway",{"micros":0}]']})
        async for frame in ws:
            if frame.type is not WSMsgType.TEXT:
                continue
            message = json.loads(frame.data)
            if message["op"] == 1:
                await socket.send(11, None)
            elif message["op"] == 2:
                await self._identify(socket, message["d"])
            elif message["op"] == 6:
                await socket.send(0, {}, "RESUMED")
        return ws

    async def _identify(self, socket: _Socket, identify: dict[str, Any]) -> None:
        if identify.get("token") != self.token:
            await socket.ws.close(code=4004, message=b"Authentication failed.")
            return
        self.identifies.append({k: v for k, v in identify.items() if k != "token"})
        shard = identify.get("shard", [0, 1])
        socket.shard, socket.intents = (shard[0], shard[1]), identify.get("intents", 0)
        guilds = [g for g in self.guilds if socket.serves(g) and g not in self.left]
        ready = load("ready") | {
            "user": self.bot_user,
            "session_id": f"fake-session-{len(self.identifies)}",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": self.application["flags"]},
            "shard": shard,
            "guilds": [{"id": str(guild_id), "unavailable": True} for guild_id in guilds],
        }
        await socket.send(0, ready, "READY")
        for guild_id in guilds:
            await socket.send(0, self._guild_create(guild_id), "GUILD_CREATE")

    def _guild_create(self, guild_id: int) -> dict[str, Any]:
        """The guild as GUILD_CREATE sends it: its channels, active threads and the bot's member."""
        mine = [c for c in self.channels.values() if c.get("guild_id") == str(guild_id)]
        member: dict[str, Any] = {
            "user": self.bot_user,
            "nick": None,
            "avatar": None,
            "roles": [],
            "joined_at": "2026-01-05T10:00:00.000000+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
        }
        return self.guilds[guild_id] | {
            "channels": [c for c in mine if c["type"] == 0],
            "threads": [c for c in mine if c["type"] == 11 and not c["thread_metadata"]["archived"]],
            "members": [member],
        }

    async def _send_guild_event(self, guild_id: int, event: str, data: dict[str, Any]) -> None:
        """Send a guild event to the connection of the guild's shard (none connected: dropped)."""
        for socket in reversed(self._sockets):
            if socket.serves(guild_id):
                others = event == "MESSAGE_CREATE" and data["author"]["id"] != self.bot_user["id"]
                if others and not socket.intents & MESSAGE_CONTENT_INTENT:
                    data = data | {"content": ""}  # without the privileged intent: no text
                await socket.send(0, data, event)
                self.events.append((event, data))
                return


def _multipart(content_type: str, raw: bytes) -> tuple[Any, dict[str, tuple[str, bytes]]]:
    """Split a multipart/form-data body: the JSON of `payload_json`, and the files by part name."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    body: Any = None
    files: dict[str, tuple[str, bytes]] = {}
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes), f"part {name!r} has no body"
        if name == "payload_json":
            body = json.loads(data)
        else:
            files[str(name)] = (part.get_filename() or "", data)
    return body, files
