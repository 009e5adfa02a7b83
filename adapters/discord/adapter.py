"""The Discord adapter: posts and reveals over Discord's REST API, answers commands and buttons.

Rendering is in `discord_render`, the commands, buttons and client in `discord_commands`, and
thread replies, ratings, reviews, stats, leaderboards and suggestions in `discord_practice`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from collections.abc import Awaitable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import discord
import yarl

from adapters.discord.commands import (
    BotClient,
    BotInteraction,
    Reply,
    deliver,
    sync_commands,
    tell,
)
from adapters.discord.practice import DiscordPractice, install, view_for
from adapters.discord.render import (
    Outgoing,
    answer_messages,
    notice_messages,
    question_embed,
    render,
    thread_name,
)
from bot.content.bank import Filters
from bot.messages import AnswerCard, Notice, NoticeKind, QuestionCard, Response
from bot.ops.settings import Settings, SettingsError
from bot.seam import Delivery, Destination, DestinationUnavailable, PlatformSetupError, ThreadRef
from bot.service import Invocation, PracticeService

log = logging.getLogger(__name__)

PLATFORM = "discord"
THREAD_MINUTES: Final = 1440  # threads hide after a day without messages
THREAD_ALREADY_CREATED = 160004
RETRY_LOOKBACK = 100  # how far back a retry looks for what an earlier attempt sent (one page)
NONCE_LIMIT = 25
_PART = re.compile(r"Part (\d+) of \d+")


class DiscordStartError(PlatformSetupError):
    """The bot could not log in or connect; the message says what to check (never the token)."""


@dataclass(frozen=True, slots=True)
class DiscordConfig:
    token: str = field(repr=False)
    application_id: int | None
    api_url: str
    dev_guild_id: int | None
    admin_user_ids: frozenset[str]
    # Sharding (from 2,500 servers; optional before): the total, and the ones this process runs.
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    gateway_url: str | None = None
    # Command replies that take longer than this are deferred (Discord allows 3 s for the first reply).
    defer_after: float = 1.5
    ready_timeout: float = 60.0


def discord_config(settings: Settings) -> DiscordConfig:
    """Build the adapter's configuration; raise SettingsError naming a missing or bad variable."""
    if settings.discord_token is None:
        raise SettingsError("DISCORD_TOKEN is not set (the bot token from the Discord developer portal)")
    return DiscordConfig(
        token=settings.discord_token.get_secret_value(),
        application_id=application_id(settings.discord_application_id),
        api_url=settings.discord_api_url,
        dev_guild_id=settings.discord_dev_guild_id,
        admin_user_ids=frozenset(settings.admin_user_ids),
        shard_count=settings.discord_shard_count,
        shard_ids=settings.discord_shard_ids or None,
        gateway_url=settings.discord_gateway_url,
    )


def application_id(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    if not value.strip().isdigit():
        raise SettingsError(f"DISCORD_APPLICATION_ID must be the numeric application id (got {value!r})")
    return int(value)


def use_api_url(url: str, gateway_url: str | None = None) -> None:
    """Point discord.py's REST calls at `url`. The gateway address comes from `GET /gateway/bot`,
    except with a fixed shard count, where discord.py uses its default unless `gateway_url` is set."""
    discord.http.Route.BASE = url.rstrip("/")
    if gateway_url is not None:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


async def login(config: DiscordConfig, client: BotClient) -> None:
    """Log in over REST; a refused token becomes a DiscordStartError naming DISCORD_TOKEN."""
    use_api_url(config.api_url, config.gateway_url)
    try:
        await client.login(config.token)
    except discord.LoginFailure:
        await client.close()
        raise DiscordStartError(
            "Discord refused the bot token (401 on GET /users/@me): check DISCORD_TOKEN"
        ) from None
    except BaseException:
        await client.close()
        raise


def new_client(interactions: DiscordAdapter | None, config: DiscordConfig) -> BotClient:
    """Return a client with every command and persistent button (`interactions` None: sync only)."""
    client = BotClient(interactions, config.application_id, config.shard_count, config.shard_ids)
    install(client)
    return client


async def sync_once(config: DiscordConfig, guild_id: int | None) -> list[str]:
    """Log in over REST only (no gateway), upload the command definitions, return their names."""
    client = new_client(None, config)
    await login(config, client)
    try:
        return [command.name for command in await sync_commands(client, guild_id)]
    finally:
        await client.close()


@contextlib.contextmanager
def reaching(destination: Destination) -> Iterator[None]:
    """Turn Discord's "you can't post there" answers into DestinationUnavailable for the core."""
    try:
        yield
    except discord.Forbidden as exc:
        raise DestinationUnavailable(destination, f"forbidden:{exc.code}") from exc
    except discord.NotFound as exc:
        raise DestinationUnavailable(destination, f"not_found:{exc.code}") from exc


class DiscordAdapter:
    """Implements the core's ChatAdapter on Discord, and handles commands and button clicks.

    Assumes one Discord application per process (discord.py's REST base URL is process-wide).
    Keeps in memory only the client and which channels already logged that threads are refused.
    """

    platform = PLATFORM
    sole_handler = True  # each guild belongs to one shard, and each shard to one process

    def __init__(self, service: PracticeService, config: DiscordConfig) -> None:
        self.service = service
        self.config = config
        self.client: BotClient | None = None
        self.practice = DiscordPractice(self)
        self._gateway: asyncio.Task[None] | None = None
        self._threadless: set[str] = set()

    # Lifetime ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Log in, sync the dev guild's commands if configured, connect; return once READY."""
        client = self.client = new_client(self, self.config)
        await login(self.config, client)
        if self.config.dev_guild_id is not None:
            names = await sync_commands(client, self.config.dev_guild_id)
            log.info("synced %d commands to dev guild %s", len(names), self.config.dev_guild_id)
        self._gateway = asyncio.create_task(client.connect(), name="discord-gateway")
        ready = asyncio.create_task(client.gateway_ready.wait())
        await asyncio.wait(
            {ready, self._gateway}, timeout=self.config.ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if not ready.done():
            ready.cancel()
            ended = self._gateway.done() and not self._gateway.cancelled()
            failure = self._gateway.exception() if ended else None
            await self.stop()
            raise DiscordStartError(
                f"the Discord gateway did not get ready within {self.config.ready_timeout:.0f} s"
                + (f": {type(failure).__name__}" if failure else "")
            ) from failure
        log.info("discord: connected as %s (application %s)", client.user, client.application_id)

    async def stop(self) -> None:
        """Close the gateway and the REST session; safe to call after a failed start."""
        if self.client is not None:
            await self.client.close()
        if self._gateway is not None:
            try:
                await asyncio.wait_for(self._gateway, timeout=10)
            except Exception:
                log.warning("discord: the gateway connection did not close cleanly", exc_info=True)
        self.client, self._gateway = None, None

    def _client(self) -> BotClient:
        if self.client is None:
            raise RuntimeError("the Discord adapter is not started")
        return self.client

    # ChatAdapter ----------------------------------------------------------------------------------

    async def post_question(
        self, destination: Destination, card: QuestionCard, delivery: Delivery | None = None
    ) -> ThreadRef:
        ref = delivery.key if delivery else None
        with reaching(destination):
            channel = await self._channel(destination)
            found = await self._delivered(channel, ref) if delivery and delivery.retry else {}
            message = found.get(1)
            if message is None:
                message = await channel.send(embed=question_embed(card, ref=ref), **_nonce(ref, 1))
            else:
                log.info("discord: %s is already in %s; not posting it again", ref, destination.key)
        if message.thread is not None:
            return ThreadRef(destination, str(message.id), str(message.thread.id))
        return ThreadRef(
            destination, str(message.id), await self._open_thread(destination, channel, message, card)
        )

    async def post_answer(
        self, thread: ThreadRef, card: AnswerCard, delivery: Delivery | None = None
    ) -> None:
        ref = delivery.key if delivery else None
        retry = delivery is not None and delivery.retry
        view = view_for(card)  # the rating buttons, under the last part
        try:
            await self._send(thread.destination, answer_messages(card, ref), thread, ref, retry, view)
        except DestinationUnavailable as exc:
            if thread.thread_id is None or not exc.code.startswith("not_found"):
                raise
            # Someone deleted the thread, not the channel: answer as a reply to the question instead.
            log.warning(
                "discord: thread %s of message=%s in %s is gone (%s); replying to the question instead",
                thread.thread_id,
                thread.message_id,
                thread.destination.key,
                exc.code,
            )
            threadless = ThreadRef(thread.destination, thread.message_id, None)
            await self._send(thread.destination, answer_messages(card, ref), threadless, ref, retry, view)

    async def mark_revealed(self, thread: ThreadRef, card: QuestionCard) -> None:
        channel = self._partial(thread.destination, thread.destination.channel_id)
        with reaching(thread.destination):
            await channel.get_partial_message(int(thread.message_id)).edit(
                embed=question_embed(card, thread.thread_id)
            )

    async def post_notice(
        self, destination: Destination, notice: Notice, thread: ThreadRef | None = None
    ) -> None:
        await self._send(destination, notice_messages(notice), thread)

    async def connected(self) -> bool:
        """Return True while every gateway shard is connected."""
        client = self.client
        if client is None or client.is_closed() or not client.gateway_ready.is_set():
            return False
        return all(not shard.is_closed() for shard in client.shards.values())

    async def _channel(self, destination: Destination) -> discord.abc.Messageable:
        client = self._client()
        channel_id = int(destination.channel_id)
        # The guild cache fills from the gateway; a channel not in it yet is fetched (one GET).
        channel = client.get_channel(channel_id) or await client.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            raise DestinationUnavailable(destination, f"unsupported_channel:{type(channel).__name__}")
        return channel

    def _partial(
        self, destination: Destination, channel_id: str, thread: bool = False
    ) -> discord.PartialMessageable:
        guild = int(destination.workspace_id) if destination.workspace_id else None
        kind = discord.ChannelType.public_thread if thread else discord.ChannelType.text
        return self._client().get_partial_messageable(int(channel_id), guild_id=guild, type=kind)

    async def _open_thread(
        self,
        destination: Destination,
        channel: discord.abc.Messageable,
        message: discord.Message,
        card: QuestionCard,
    ) -> str | None:
        """Open the answers thread, return its id; never raise: the question is already posted."""
        if not isinstance(channel, discord.TextChannel):
            self._note_threadless(destination, f"a {type(channel).__name__} has no message threads")
            return None
        try:
            thread = await message.create_thread(name=thread_name(card), auto_archive_duration=THREAD_MINUTES)
        except discord.Forbidden as exc:
            self._note_threadless(
                destination,
                f"Discord refused the thread (403, code {exc.code}); "
                "grant Create Public Threads and Send Messages in Threads",
            )
        except discord.HTTPException as exc:
            if exc.code == THREAD_ALREADY_CREATED:
                return str(message.id)  # an earlier attempt opened it; a message's thread takes its id
            log.warning(
                "discord: could not open a thread on message=%s in %s (%s, code %s); replying instead",
                message.id,
                destination.key,
                exc.status,
                exc.code,
            )
        else:
            return str(thread.id)
        return None

    def _note_threadless(self, destination: Destination, why: str) -> None:
        if destination.key not in self._threadless:
            self._threadless.add(destination.key)
            log.warning(
                "discord: no threads in %s: %s. Answers go in replies to the question.", destination.key, why
            )

    async def _send(
        self,
        destination: Destination,
        messages: list[Outgoing],
        thread: ThreadRef | None,
        ref: str | None = None,
        retry: bool = False,
        view: discord.ui.View | None = None,
    ) -> None:
        """Send in the thread, as replies to a thread-less question, or to the channel.

        With a delivery `ref` every part carries a nonce; a `retry` skips parts already sent. The
        `view` (buttons) goes under the last part.
        """
        reference: discord.MessageReference | None = None
        if thread is not None and thread.thread_id is not None:
            target = self._partial(destination, thread.thread_id, thread=True)
        else:
            target = self._partial(destination, destination.channel_id)
            if thread is not None:
                reference = discord.MessageReference(
                    message_id=int(thread.message_id),
                    channel_id=int(destination.channel_id),
                    guild_id=int(destination.workspace_id) if destination.workspace_id else None,
                    fail_if_not_exists=False,
                )
        with reaching(destination):
            sent = await self._delivered(target, ref) if retry else {}
            if sent:
                log.info(
                    "discord: parts %s of %s were already sent to %s", sorted(sent), ref, destination.key
                )
            for part, message in enumerate(messages, 1):
                if part not in sent:
                    extra = _nonce(ref, part) | ({"reference": reference} if part == 1 and reference else {})
                    if message.mentions is not None:
                        extra["allowed_mentions"] = message.mentions
                    if view is not None and part == len(messages):
                        extra["view"] = view
                    await target.send(message.content, embeds=list(message.embeds), **extra)

    async def _delivered(
        self, channel: discord.abc.Messageable, ref: str | None
    ) -> dict[int, discord.Message]:
        """Return our recent messages whose footer carries `ref`, by part number (1 if unsplit).

        Discord keeps a nonce only for a few minutes and never in the history, so after a crash the
        footer is what shows that an earlier attempt got through.
        """
        me = self._client().user
        found: dict[int, discord.Message] = {}
        if ref is None or me is None:
            return found
        marker = re.compile(rf"\bref {re.escape(ref)}(?![\w-])")
        async for message in channel.history(limit=RETRY_LOOKBACK):
            if message.author.id != me.id:
                continue
            for footer in (embed.footer.text or "" for embed in message.embeds):
                if marker.search(footer):
                    part = _PART.search(footer)
                    found[int(part.group(1)) if part else 1] = message
        return found

    # Interactions ---------------------------------------------------------------------------------

    async def ask(self, interaction: BotInteraction, filters: Filters, share: bool) -> None:
        invocation = self.invocation(interaction)
        if invocation is None:
            await tell(interaction, "Use `/mlquestion` in a server channel.")
            return

        async def work() -> list[Response]:
            response = await self.service.ask(invocation, filters)
            if share and isinstance(response.message, QuestionCard):
                click = str(interaction.id)
                response = await self.service.share(invocation, response.message.question_id, click)
            return [response]

        # Asking is quick: answer at once (one round trip) unless it runs late. Sharing posts to the
        # channel, which may wait on Discord's rate limits, so it defers first.
        await self.respond(interaction, work(), defer=share)

    async def channel_command(self, interaction: BotInteraction, text: str) -> None:
        invocation = self.invocation(interaction)
        if invocation is None or isinstance(interaction.channel, discord.Thread):
            await tell(interaction, "Run this in the text channel itself (not in a thread or a DM).")
            return
        await self.respond(interaction, self.service.handle_command(invocation, text), defer=False)

    async def show_answer(self, interaction: BotInteraction, question_id: str, review: bool = False) -> None:
        answer = self.service.answer(question_id, review=review)
        response = (
            Response(answer)
            if answer
            else Response(Notice(f"The question `{question_id}` is no longer in the bank.", NoticeKind.ERROR))
        )
        await self.respond(interaction, _ready([response]), defer=False)

    async def share(self, interaction: BotInteraction, question_id: str) -> None:
        invocation = self.invocation(interaction)
        if invocation is None:
            await tell(interaction, "Sharing works in a server channel only.")
            return
        # The clicked message identifies the click: a second click on it does not post again.
        click = str(interaction.message.id if interaction.message else interaction.id)
        work = self.service.share(invocation, question_id, click)
        await self.respond(interaction, _listed(work), defer=True)

    # Practice (see discord_practice) ----------------------------------------------------------------

    async def practice_command(self, interaction: BotInteraction, text: str) -> None:
        await self.practice.command(interaction, text)

    async def rate(self, interaction: BotInteraction, question_id: str, context: str, choice: str) -> None:
        await self.practice.rate(interaction, question_id, context, choice)

    async def form_submitted(self, interaction: BotInteraction) -> None:
        await self.practice.form_submitted(interaction)

    async def guild_message(self, message: discord.Message) -> None:
        await self.practice.guild_message(message)

    # Shared by the handlers -----------------------------------------------------------------------

    def invocation(self, interaction: BotInteraction) -> Invocation | None:
        if interaction.guild_id is None or interaction.channel_id is None:
            return None
        user = str(interaction.user.id)
        permissions = interaction.permissions  # the member's, resolved in this channel
        is_admin = permissions.administrator or permissions.manage_guild or user in self.config.admin_user_ids
        destination = Destination(PLATFORM, str(interaction.channel_id), str(interaction.guild_id))
        return Invocation(destination, user, is_admin)

    async def respond(
        self, interaction: BotInteraction, work: Awaitable[Sequence[Response | Reply]], *, defer: bool
    ) -> None:
        """Reply within Discord's 3 s: at once if the work is quick, else defer (privately) first.

        The work returns core responses (rendered here, with their buttons) or ready-made replies.
        """
        task = asyncio.ensure_future(work)
        deferred = defer or self.config.defer_after <= 0
        if not deferred:
            done, _ = await asyncio.wait({task}, timeout=self.config.defer_after)
            deferred = not done
        try:
            if deferred:
                await interaction.response.defer(ephemeral=True, thinking=True)
            replies = [
                r for item in await task for r in (_replies(item) if isinstance(item, Response) else [item])
            ]
            await deliver(interaction, replies, deferred)
        except Exception:
            log.exception(
                "discord interaction failed: guild=%s channel=%s user=%s",
                interaction.guild_id,
                interaction.channel_id,
                interaction.user.id,
            )
            if not task.done():
                await asyncio.wait({task})  # let the core finish what it started
            with contextlib.suppress(discord.HTTPException):
                await tell(interaction, "⚠️ Something went wrong on my side. Please try again in a minute.")


def _replies(response: Response) -> list[Reply]:
    """Render a core response; its buttons go under the last message."""
    outgoing = render(response.message)
    view = view_for(response.message)
    last = len(outgoing) - 1
    return [
        Reply(response.private, out, view if index == last else None) for index, out in enumerate(outgoing)
    ]


async def _ready(responses: list[Response]) -> list[Response]:
    return responses


async def _listed(work: Awaitable[Response]) -> list[Response]:
    return [await work]


def _nonce(ref: str | None, part: int) -> dict[str, Any]:
    """Return the `nonce` argument of one part of a delivery (Discord drops a repeat for minutes)."""
    if ref is None:
        return {}
    nonce = ref if part == 1 else f"{ref}.{part}"
    if len(nonce) > NONCE_LIMIT:
        nonce = hashlib.sha256(nonce.encode()).hexdigest()[:NONCE_LIMIT]
    return {"nonce": nonce}
