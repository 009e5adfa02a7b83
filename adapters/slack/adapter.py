"""The Slack adapter: the practice core on slack-bolt (async), in Socket Mode or HTTP mode.

It posts and reveals over the Web API with the token of the channel's workspace (`workspaces`:
one bot token, or one per team installed through OAuth, see `oauth`), rendering core messages as
Block Kit (`render`) and tagging each send with its delivery key (`delivery`). The listeners for
`/mlquestion`, sharing and channel events live in `commands`; thread replies, ratings, reviews and
the suggestion modal in `practice`; "Check my answer" and mock interviews in direct messages in
`answering`; the App Home tab in `home`; export and forget-me in `yourdata`; what arrives is
bounded, authenticated and checked in `inbound` before Bolt sees it. It keeps no state of its own
beyond the bot's identity and small bounded caches (display names, recently seen event ids, who
opened the App Home, each team's bot token for a short while).
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack import render as R
from adapters.slack.admins import SlackAdmins
from adapters.slack.answering import SlackAnswering
from adapters.slack.commands import SlackCommands

# Re-exported: tests and benchmarks build the adapter with these from here.
from adapters.slack.config import SlackConfig as SlackConfig
from adapters.slack.config import SlackConfigError as SlackConfigError
from adapters.slack.delivery import delivered_in_channel, delivered_in_thread, tagged
from adapters.slack.home import SlackHome
from adapters.slack.inbound import FrontDoor, RefusalLog, well_formed_middleware
from adapters.slack.oauth import Revocations, oauth_settings, workspace_clients
from adapters.slack.pacing import PacedRetryHandler, Pacer
from adapters.slack.practice import SlackPractice
from adapters.slack.workspaces import NotInstalled, SlackClients
from adapters.slack.yourdata import SlackYourData
from bot.messages import AnswerCard, Notice, QuestionCard
from bot.seam import Delivery, Destination, DestinationUnavailable, ThreadRef
from bot.service import PracticeService

log = logging.getLogger(__name__)

PLATFORM = "slack"
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
# slack-sdk and slack-bolt log whole requests and message bodies at DEBUG (our replies and people's
# messages included): they stay at INFO even when the bot logs at DEBUG.
SDK_LOGGERS = ("slack_sdk", "slack_bolt")


class SlackAdapter:
    """Implements the core's ChatAdapter for one Slack workspace (one bot token) or for every
    workspace that installed the app (OAuth; `engine` holds the installation tables)."""

    platform = PLATFORM
    sole_handler = False  # HTTP mode behind a load balancer spreads one user over replicas

    def __init__(
        self, service: PracticeService, config: SlackConfig, engine: AsyncEngine | None = None
    ) -> None:
        self.service = service
        self.config = config
        self.pacer = Pacer(config.rates)
        self.client = AsyncWebClient(
            token=config.bot_token,
            base_url=config.api_url,
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(max_retry_count=config.connection_retries),
                PacedRetryHandler(max_retry_count=config.rate_limit_retries),
                AsyncServerErrorRetryHandler(max_retry_count=config.server_error_retries),
            ],
        )
        _quiet_sdk_debug_logs()
        oauth = None
        if config.oauth is not None:
            if engine is None:
                raise SlackConfigError("installing to many workspaces needs the bot's database")
            oauth = oauth_settings(config.oauth, engine)
        self.clients = workspace_clients(self.client, oauth) if oauth else SlackClients(self.client)
        self.app = AsyncApp(
            client=self.client,
            oauth_settings=oauth,
            signing_secret=config.signing_secret or "",
            # HTTP mode: `inbound.FrontDoor` verifies each request on its raw bytes before Bolt sees
            # it (Bolt's own check would parse first and log refused bodies). Socket Mode requests
            # come over an authenticated websocket and carry no signature.
            request_verification_enabled=False,
            logger=logging.getLogger("slack_bolt"),
        )
        self.refusals = RefusalLog()
        if config.mode == "socket":
            # HTTP requests are checked at the front door; envelopes only get this far.
            self.app.middleware(well_formed_middleware(self.refusals))
        self.bot_user_id: str | None = None
        self.answering = SlackAnswering(service, self.clients)
        admins = SlackAdmins(self.clients, config.admin_user_ids)
        self.home = SlackHome(service, self.clients, admins)
        self.practice = SlackPractice(service, self.clients, self.answering, rated=self.home.refresh)
        self.yourdata = SlackYourData(service, self.clients)
        self.commands = SlackCommands(
            service, self.clients, self.practice, self.answering, admins, self.yourdata
        )
        self.revocations = Revocations(service, self.clients) if oauth else None
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None
        self._register_listeners()

    # ChatAdapter ---------------------------------------------------------------------------------

    def limit_key(self, destination: Destination) -> str:
        # Slack's limits are per workspace (per method, and posts per channel inside it).
        return f"{PLATFORM}:{destination.workspace_id or '-'}"

    async def post_question(
        self, destination: Destination, card: QuestionCard, delivery: Delivery | None = None
    ) -> ThreadRef:
        client = await self._client_for(destination)
        if delivery is not None and delivery.retry:
            found = await delivered_in_channel(client, self.pacer, destination, delivery.key)
            if found is not None:
                log.warning(
                    "found %s in %s (sent before a crash): not posting again", delivery.key, destination.key
                )
                return ThreadRef(destination, found, found)
        message = R.question_message(card)
        response = await self._call(
            client,
            destination,
            "chat_postMessage",
            channel=destination.channel_id,
            **tagged(message, delivery),
        )
        ts = str(response["ts"])
        return ThreadRef(destination, ts, ts)

    async def post_answer(
        self, thread: ThreadRef, card: AnswerCard, delivery: Delivery | None = None
    ) -> None:
        thread_ts = thread.thread_id or thread.message_id
        retry = delivery is not None and delivery.retry
        client = await self._client_for(thread.destination)
        present = await delivered_in_thread(client, self.pacer, thread) if retry else set()
        for index, message in enumerate(await self.practice.render(card, thread.destination.workspace_id)):
            part = Delivery(f"{delivery.key}:{index}") if delivery is not None else None
            if part is not None and part.key in present:
                log.warning(
                    "found %s in thread %s (sent before a crash): not posting it again", part.key, thread_ts
                )
                continue
            await self._call(
                client,
                thread.destination,
                "chat_postMessage",
                channel=thread.destination.channel_id,
                thread_ts=thread_ts,
                **tagged(message, part),
            )

    async def mark_revealed(self, thread: ThreadRef, card: QuestionCard) -> None:
        message = R.question_message(card)
        await self._call(
            await self._client_for(thread.destination),
            thread.destination,
            "chat_update",
            channel=thread.destination.channel_id,
            ts=thread.message_id,
            **message.payload(),
        )

    async def post_notice(
        self, destination: Destination, notice: Notice, thread: ThreadRef | None = None
    ) -> None:
        extra = {"thread_ts": thread.thread_id or thread.message_id} if thread else {}
        message = R.notice_message(notice)
        await self._call(
            await self._client_for(destination),
            destination,
            "chat_postMessage",
            channel=destination.channel_id,
            **extra,
            **message.payload(),
        )

    async def start(self) -> None:
        """Check the token, then connect Socket Mode or serve HTTP; return once ready."""
        self._reuse_connections()
        if self.clients.multi_workspace:
            # No token to check: each workspace's arrives when it installs the app.
            await self._serve_http()
            return
        try:
            identity = await self.client.auth_test()
        except SlackApiError as exc:
            raise SlackConfigError(
                f"Slack refused SLACK_BOT_TOKEN ({exc.response.get('error', 'unknown error')})"
            ) from None
        self.bot_user_id = str(identity.get("user_id") or "")
        if self.config.mode == "socket":
            self._socket = AsyncSocketModeHandler(self.app, self.config.app_token)
            # The first websocket URL, asked for here so a refused app token stops start-up (left to
            # itself, the SDK would retry a refused token every 10 seconds forever).
            self._socket.client.wss_uri = await self._websocket_url()
            await self._socket.connect_async()  # type: ignore[no-untyped-call]  # bolt's own hint gap
            log.info(
                "slack connected in Socket Mode as %s (team %s)", self.bot_user_id, identity.get("team_id")
            )
            return
        await self._serve_http()

    async def _serve_http(self) -> None:
        # lingering_time=0: a request refused from its headers (413, a bad signature) is answered and
        # its connection closed, instead of aiohttp reading and discarding its body for up to 10 s.
        self._runner = web.AppRunner(self.web_app(), handle_signals=False, access_log=None, lingering_time=0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.config.host, self.config.port).start()
        log.info("slack HTTP mode listening on %s%s", self.address, self.config.path)
        if self.config.oauth is not None:
            log.info("slack installs to many workspaces: Add to Slack at %s", self.install_url)

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
        """The HTTP-mode server: Slack's requests on the configured path, bounded and verified on
        their raw bytes (`inbound.FrontDoor`), then dispatched by Bolt."""
        door = FrontDoor(self.app, self.config.signing_secret or "", self.config.path, refusals=self.refusals)
        return door.web_app()

    @property
    def install_url(self) -> str:
        """Where "Add to Slack" starts (multi-workspace mode), once the HTTP server listens."""
        return self.address + self.config.oauth.install_path if self.config.oauth else ""

    @property
    def address(self) -> str:
        """Where the HTTP-mode server listens (resolves port 0 to the real port)."""
        if self._runner is None or not self._runner.addresses:
            return ""
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}"

    # Inbound: commands, clicks, events --------------------------------------------------------------

    def _register_listeners(self) -> None:
        self.commands.register(self.app)  # /mlquestion, "Post to channel", channel-gone events
        self.practice.register(self.app)  # thread replies, answers, ratings, the suggestion modal
        self.answering.register(self.app)  # "Check my answer" and its modal
        self.yourdata.register(self.app)  # forget-me's confirm and cancel buttons
        self.home.register(self.app)  # the App Home tab and its "Start a review" button
        if self.revocations is not None:
            self.revocations.register(self.app)  # app_uninstalled, tokens_revoked

    # Helpers --------------------------------------------------------------------------------------

    async def _websocket_url(self) -> str:
        """A Socket Mode websocket URL from apps.connections.open; a refused app token is fatal."""
        try:
            response = await self.client.apps_connections_open(app_token=self.config.app_token or "")
        except SlackApiError as exc:
            raise SlackConfigError(
                f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error', 'unknown error')}): "
                "Socket Mode needs an app-level token (xapp-…) with the connections:write scope"
            ) from None
        return str(response["url"])

    def _reuse_connections(self) -> None:
        # Without a session slack-sdk opens (and TLS-handshakes) a new connection for every call.
        if self.client.session is None or self.client.session.closed:
            self.client.session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.client.timeout),
                connector=aiohttp.TCPConnector(limit=CONNECTIONS),
            )

    async def _client_for(self, destination: Destination) -> AsyncWebClient:
        """The client with the destination's workspace token; a workspace without one (uninstalled,
        revoked, refused at refresh) can't take posts: DestinationUnavailable."""
        self._reuse_connections()
        try:
            return await self.clients.for_team(destination.workspace_id)
        except NotInstalled as exc:
            self.service.metrics.platform_errors.labels(PLATFORM, exc.reason).inc()
            raise DestinationUnavailable(destination, exc.reason) from None

    async def _call(
        self, client: AsyncWebClient, destination: Destination, method: str, **arguments: Any
    ) -> Any:
        """Call the Web API in its turn (`pacing`); errors meaning the channel is unusable become
        DestinationUnavailable."""
        self._reuse_connections()
        try:
            name = method.replace("_", ".", 1)
            async with self.pacer.call(destination.workspace_id, name, destination.channel_id):
                return await getattr(client, method)(**arguments)
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


def _quiet_sdk_debug_logs() -> None:
    """Pin the SDKs' loggers at INFO or above, whatever the root level is or becomes."""
    for name in SDK_LOGGERS:
        library = logging.getLogger(name)
        if library.level < logging.INFO:  # NOTSET (0) included: it would follow the root down to DEBUG
            library.setLevel(logging.INFO)
