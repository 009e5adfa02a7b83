"""The Slack adapter: the practice core on slack-bolt (async), in Socket Mode or HTTP mode.

It turns `/mlquestion`, button clicks and channel events into core calls, and core messages into
Block Kit (rendered by `slack_render`). The practice listeners (thread replies, ratings, reviews,
the suggestion modal) live in `slack_practice`. It keeps no state of its own beyond the bot's
identity and small bounded caches (display names, recently seen event ids).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render as R
from adapters.slack.practice import SlackPractice
from bot import commands as C
from bot.messages import AnswerCard, Notice, NoticeKind, QuestionCard, SuggestForm
from bot.ops.settings import Settings
from bot.schedule.daily import PLATFORM_PAUSE_PREFIX
from bot.seam import Delivery, Destination, DestinationUnavailable, PlatformSetupError, ThreadRef
from bot.service import Invocation, PracticeService

log = logging.getLogger(__name__)

PLATFORM = "slack"
DELIVERY_EVENT = "mlq_delivery"
# How far back a retry looks for a message an earlier attempt delivered (a day's chatter fits).
LOOKBACK_MESSAGES = 200
# Open connections to the Web API per process: enough for the fan-out's concurrent sends.
CONNECTIONS = 64
# Web API errors that mean "this channel can't take our posts until a human acts": the
# subscription is paused instead of retried.
UNAVAILABLE_CODES = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "invalid_auth",
        "token_revoked",
        "missing_scope",
        "restricted_action",
        "team_access_not_granted",
    }
)
# Channel events after which posting there can only fail.
GONE_EVENTS = (
    "channel_archive",
    "group_archive",
    "channel_deleted",
    "group_deleted",
    "channel_left",
    "group_left",
)
INVITE_HINT = (
    "I'm not a member of this channel, so I can't post its daily question. "
    "Invite me first with `/invite @mlquestion`, then run the command again. Nothing was changed."
)


class SlackConfigError(PlatformSetupError):
    """Slack is configured inconsistently; the message names the environment variables."""


@dataclass(frozen=True, slots=True)
class SlackConfig:
    bot_token: str
    mode: Literal["socket", "http"]
    api_url: str = "https://slack.com/api/"
    app_token: str | None = None
    signing_secret: str | None = None
    host: str = "0.0.0.0"  # noqa: S104 — HTTP mode serves Slack's requests on every interface
    port: int = 3000
    path: str = "/slack/events"
    admin_user_ids: frozenset[str] = frozenset()
    # Retries per call: bounded, so a platform outage never holds a send forever.
    rate_limit_retries: int = 2
    server_error_retries: int = 2
    connection_retries: int = 2


def slack_config(settings: Settings) -> SlackConfig:
    """Pick the mode from what is configured: Socket Mode with an app token, else HTTP mode."""
    if settings.slack_bot_token is None:
        raise SlackConfigError("SLACK_BOT_TOKEN is not set")
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    mode = settings.slack_mode
    if mode == "auto":
        mode = "socket" if app_token else "http"
    if mode == "socket" and not app_token:
        raise SlackConfigError("Socket Mode needs SLACK_APP_TOKEN (an xapp- app-level token)")
    if mode == "http" and not secret:
        raise SlackConfigError(
            "Slack needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode) "
            "besides SLACK_BOT_TOKEN"
        )
    return SlackConfig(
        bot_token=settings.slack_bot_token.get_secret_value(),
        mode=mode,
        api_url=settings.slack_api_url,
        app_token=app_token,
        signing_secret=secret,
        host=settings.slack_host,
        port=settings.slack_port,
        path=settings.slack_path,
        admin_user_ids=frozenset(settings.admin_user_ids),
    )


class SlackAdapter:
    """Implements the core's ChatAdapter for one Slack workspace (one bot token)."""

    platform = PLATFORM
    sole_handler = False  # HTTP mode behind a load balancer spreads one user over replicas

    def __init__(self, service: PracticeService, config: SlackConfig) -> None:
        self.service = service
        self.config = config
        self.client = AsyncWebClient(
            token=config.bot_token,
            base_url=config.api_url,
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(max_retry_count=config.connection_retries),
                AsyncRateLimitErrorRetryHandler(max_retry_count=config.rate_limit_retries),
                AsyncServerErrorRetryHandler(max_retry_count=config.server_error_retries),
            ],
        )
        self.app = AsyncApp(
            client=self.client,
            signing_secret=config.signing_secret or "",
            # Socket Mode requests come over an authenticated websocket and carry no signature.
            request_verification_enabled=config.mode == "http",
            logger=logging.getLogger("slack_bolt"),
        )
        self.bot_user_id: str | None = None
        self.practice = SlackPractice(service, self.client)
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None
        self._register_listeners()

    # ChatAdapter ---------------------------------------------------------------------------------

    async def post_question(
        self, destination: Destination, card: QuestionCard, delivery: Delivery | None = None
    ) -> ThreadRef:
        if delivery is not None and delivery.retry:
            found = await self._delivered_in_channel(destination, delivery.key)
            if found is not None:
                log.warning(
                    "found %s in %s (sent before a crash): not posting again", delivery.key, destination.key
                )
                return ThreadRef(destination, found, found)
        message = R.question_message(card)
        response = await self._call(
            destination, "chat_postMessage", channel=destination.channel_id, **_body(message, delivery)
        )
        ts = str(response["ts"])
        return ThreadRef(destination, ts, ts)

    async def post_answer(
        self, thread: ThreadRef, card: AnswerCard, delivery: Delivery | None = None
    ) -> None:
        thread_ts = thread.thread_id or thread.message_id
        present = (
            await self._delivered_in_thread(thread) if delivery is not None and delivery.retry else set()
        )
        for index, message in enumerate(await self.practice.render(card)):
            part = Delivery(f"{delivery.key}:{index}") if delivery is not None else None
            if part is not None and part.key in present:
                log.warning(
                    "found %s in thread %s (sent before a crash): not posting it again", part.key, thread_ts
                )
                continue
            await self._call(
                thread.destination,
                "chat_postMessage",
                channel=thread.destination.channel_id,
                thread_ts=thread_ts,
                **_body(message, part),
            )

    async def mark_revealed(self, thread: ThreadRef, card: QuestionCard) -> None:
        message = R.question_message(card)
        await self._call(
            thread.destination,
            "chat_update",
            channel=thread.destination.channel_id,
            ts=thread.message_id,
            **_body(message),
        )

    async def post_notice(
        self, destination: Destination, notice: Notice, thread: ThreadRef | None = None
    ) -> None:
        extra = {"thread_ts": thread.thread_id or thread.message_id} if thread else {}
        message = R.notice_message(notice)
        await self._call(
            destination, "chat_postMessage", channel=destination.channel_id, **extra, **_body(message)
        )

    async def start(self) -> None:
        """Check the token, then connect Socket Mode or serve HTTP; return once ready."""
        self._reuse_connections()
        try:
            identity = await self.client.auth_test()
        except SlackApiError as exc:
            raise SlackConfigError(
                f"Slack refused SLACK_BOT_TOKEN ({exc.response.get('error', 'unknown error')})"
            ) from None
        self.bot_user_id = str(identity.get("user_id") or "")
        if self.config.mode == "socket":
            self._socket = AsyncSocketModeHandler(self.app, self.config.app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]  # bolt's own hint gap
            log.info(
                "slack connected in Socket Mode as %s (team %s)", self.bot_user_id, identity.get("team_id")
            )
            return
        self._runner = web.AppRunner(self.web_app(), handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.config.host, self.config.port).start()
        log.info("slack HTTP mode listening on %s%s", self.address, self.config.path)

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.client.session is not None:
            await self.client.session.close()
            self.client.session = None

    async def connected(self) -> bool:
        if self._socket is not None:
            return await self._socket.client.is_connected()
        return self._runner is not None

    def web_app(self) -> web.Application:
        """The HTTP-mode server: Slack's requests on the configured path, verified by Bolt."""

        async def handle(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await self.app.async_dispatch(await to_bolt_request(request)))

        application = web.Application()
        application.router.add_post(self.config.path, handle)
        return application

    @property
    def address(self) -> str:
        """Where the HTTP-mode server listens (resolves port 0 to the real port)."""
        if self._runner is None or not self._runner.addresses:
            return ""
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}"

    # Inbound: commands, clicks, events --------------------------------------------------------------

    def _register_listeners(self) -> None:
        self.app.command("/mlquestion")(self._on_command)
        self.app.action(R.SHARE_ACTION)(self._on_share)
        self.practice.register(self.app)
        for event in GONE_EVENTS:
            self.app.event(event)(self._on_channel_gone)

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        # Acknowledge first: Slack shows an error if the command isn't acked within 3 seconds.
        await ack()
        text = str(body.get("text") or "")
        destination = Destination(PLATFORM, str(body["channel_id"]), str(body.get("team_id") or ""))
        user = str(body["user_id"])
        log.info("command: destination=%s user=%s text=%r", destination.key, user, text[:100])
        is_admin = False
        try:
            command: C.Command | None = C.parse_command(text)
        except C.CommandError:
            command = None  # the service replies with the parse error
        if isinstance(command, C.ADMIN_COMMANDS):
            is_admin = await self._is_admin(user)
            if (
                is_admin
                and isinstance(command, C.Subscribe | C.Resume)
                and not await self._is_member(destination)
            ):
                await respond(
                    response_type="ephemeral",
                    **_body(R.notice_message(Notice(INVITE_HINT, NoticeKind.ERROR))),
                )
                return
        for response in await self.service.handle_command(Invocation(destination, user, is_admin), text):
            if isinstance(response.message, SuggestForm):
                # A modal, opened with the command's trigger_id (valid for 3 seconds).
                refused = await self.practice.open_suggest_form(body, response.message)
                if refused is not None:
                    await respond(response_type="ephemeral", **_body(R.notice_message(refused)))
                continue
            kind = "ephemeral" if response.private else "in_channel"
            for message in await self.practice.render(response.message):
                await respond(response_type=kind, **_body(message))

    async def _on_share(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        destination = Destination(
            PLATFORM, str(body["channel"]["id"]), str(body.get("team", {}).get("id") or "")
        )
        # The ephemeral card's ts names the click's message: a second click on it posts nothing.
        container = body.get("container") or {}
        click_id = str(container.get("message_ts") or body.get("trigger_id"))
        invocation = Invocation(destination, str(body["user"]["id"]))
        response = await self.service.share(invocation, _action_value(body), click_id)
        for message in R.render(response.message):
            await respond(response_type="ephemeral", replace_original=False, **_body(message))

    async def _on_channel_gone(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        channel = event.get("channel")
        channel_id = channel.get("id") if isinstance(channel, dict) else channel
        destination = Destination(PLATFORM, str(channel_id), str(body.get("team_id") or ""))
        subscription = await self.service.store.get_subscription(destination)
        if subscription is None or subscription.paused:
            return
        reason = PLATFORM_PAUSE_PREFIX + str(event.get("type"))
        await self.service.store.set_paused(subscription.id, True, reason, self.service.clock.now())
        log.warning(
            "paused subscription=%s destination=%s: slack event %s",
            subscription.id,
            destination.key,
            event.get("type"),
        )

    # Helpers --------------------------------------------------------------------------------------

    async def _is_admin(self, user_id: str) -> bool:
        """Workspace admins and owners, and users named in MLQ_ADMIN_USER_IDS, administer channels."""
        if user_id in self.config.admin_user_ids:
            return True
        try:
            info = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info failed for user=%s: %s", user_id, exc.response.get("error"))
            return False
        user = info.get("user") or {}
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))

    async def _is_member(self, destination: Destination) -> bool:
        try:
            info = await self.client.conversations_info(channel=destination.channel_id)
        except SlackApiError as exc:
            # A private channel the bot is not in is invisible to it: channel_not_found.
            log.info("conversations.info on %s: %s", destination.key, exc.response.get("error"))
            return False
        channel = info.get("channel") or {}
        return bool(channel.get("is_member") or channel.get("is_im"))

    async def _delivered_in_channel(self, destination: Destination, key: str) -> str | None:
        """Return the ts of the channel's recent message tagged with `key`, if any."""
        try:
            history = await self.client.conversations_history(
                channel=destination.channel_id, limit=LOOKBACK_MESSAGES, include_all_metadata=True
            )
        except SlackApiError as exc:
            # Without history we can't tell: post again (a bounded duplicate beats a lost post).
            log.warning(
                "could not read %s to look for %s: %s", destination.key, key, exc.response.get("error")
            )
            return None
        for message in history.get("messages") or []:
            if _delivery_key(message) == key:
                return str(message["ts"])
        return None

    async def _delivered_in_thread(self, thread: ThreadRef) -> set[str]:
        """Return the delivery keys of the messages already in a thread."""
        try:
            replies = await self.client.conversations_replies(
                channel=thread.destination.channel_id,
                ts=thread.thread_id or thread.message_id,
                limit=LOOKBACK_MESSAGES,
                include_all_metadata=True,
            )
        except SlackApiError as exc:
            log.warning("could not read thread %s: %s", thread.message_id, exc.response.get("error"))
            return set()
        return {key for message in replies.get("messages") or [] if (key := _delivery_key(message))}

    def _reuse_connections(self) -> None:
        # Without a session slack-sdk opens (and TLS-handshakes) a new connection for every call.
        if self.client.session is None or self.client.session.closed:
            self.client.session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.client.timeout),
                connector=aiohttp.TCPConnector(limit=CONNECTIONS),
            )

    async def _call(self, destination: Destination, method: str, **arguments: Any) -> Any:
        """Call the Web API; errors meaning the channel is unusable become DestinationUnavailable."""
        self._reuse_connections()
        try:
            return await getattr(self.client, method)(**arguments)
        except SlackApiError as exc:
            code = str(exc.response.get("error") or f"http_{exc.response.status_code}")
            self.service.metrics.platform_errors.labels(PLATFORM, code).inc()
            if code in UNAVAILABLE_CODES:
                raise DestinationUnavailable(destination, code) from None
            raise SlackCallFailed(method, destination, code) from None


class SlackCallFailed(Exception):
    """A Web API call failed for a reason that may pass (retried by the core's next reconcile)."""

    def __init__(self, method: str, destination: Destination, code: str) -> None:
        super().__init__(f"{method.replace('_', '.', 1)} to {destination.key} failed: {code}")
        self.code = code


def _body(message: R.SlackMessage, delivery: Delivery | None = None) -> dict[str, Any]:
    body = message.payload()
    if delivery is not None:
        # Message metadata stays in the channel's history, where a retry can find it.
        body["metadata"] = {"event_type": DELIVERY_EVENT, "event_payload": {"key": delivery.key}}
    return body


def _delivery_key(message: dict[str, Any]) -> str | None:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != DELIVERY_EVENT:
        return None
    key = (metadata.get("event_payload") or {}).get("key")
    return str(key) if key else None


def _action_value(body: dict[str, Any]) -> str:
    actions = body.get("actions") or [{}]
    return str(actions[0].get("value") or "")
