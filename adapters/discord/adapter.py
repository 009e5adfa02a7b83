"""The Discord adapter: posts and reveals over Discord's REST API, in threads where it can.

It starts a client with every command and button (`commands.new_client`), which hands interactions
to `DiscordInteractions`. Cards are rendered by `render`, and every send carries its delivery key
(`delivery`) so a retry finds what an earlier attempt sent instead of posting again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

import discord

from adapters.discord.access import Action, predicted_refusal, reaching
from adapters.discord.client import (
    PLATFORM,
    BotClient,
    DiscordConfig,
    DiscordStartError,
    login,
    sync_commands,
)
from adapters.discord.commands import new_client
from adapters.discord.components import view_for
from adapters.discord.delivery import delivered, nonce
from adapters.discord.interactions import DiscordInteractions
from adapters.discord.logs import keep_bodies_out_of_logs
from adapters.discord.pacing import paced
from adapters.discord.render import Outgoing, answer_messages, notice_messages, question_embed, thread_name
from bot.messages import AnswerCard, Notice, QuestionCard
from bot.ops.settings import Settings, SettingsError
from bot.seam import Delivery, Destination, DestinationUnavailable, ThreadRef
from bot.service import PracticeService

log = logging.getLogger(__name__)

THREAD_MINUTES: Final = 1440  # threads hide after a day without messages
THREAD_ALREADY_CREATED = 160004


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
        sends_in_flight=settings.discord_sends_in_flight,
    )


def application_id(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    if not value.strip().isdigit():
        raise SettingsError(f"DISCORD_APPLICATION_ID must be the numeric application id (got {value!r})")
    return int(value)


class DiscordAdapter:
    """Implements the core's ChatAdapter on Discord; its `interactions` answer commands and clicks.

    Assumes one Discord application per process (discord.py's REST base URL is process-wide).
    Keeps in memory only the client, which channels already logged that threads are refused, and
    the sends in flight (at most `sends_in_flight`, see `pacing`).
    """

    platform = PLATFORM
    sole_handler = True  # each guild belongs to one shard, and each shard to one process

    def __init__(self, service: PracticeService, config: DiscordConfig) -> None:
        self.service = service
        self.config = config
        keep_bodies_out_of_logs()
        self.client: BotClient | None = None
        self.interactions = DiscordInteractions(self)
        self._gateway: asyncio.Task[None] | None = None
        self._threadless: set[str] = set()
        self.in_flight = asyncio.Semaphore(config.sends_in_flight)

    # Lifetime ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Log in, sync the dev guild's commands if configured, connect; return once READY."""
        client = self.client = new_client(self.interactions, self.config)
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

    @paced
    async def post_question(
        self, destination: Destination, card: QuestionCard, delivery: Delivery | None = None
    ) -> ThreadRef:
        ref = delivery.key if delivery else None
        self._check(destination, destination.channel_id, Action.SEND)
        with reaching(destination):
            channel = await self._channel(destination)
            found = await delivered(channel, self._client().user, ref) if delivery and delivery.retry else {}
            message = found.get(1)
            if message is None:
                view = view_for(card)  # "Check my answer", where the card has it
                extra = nonce(ref, 1) | ({"view": view} if view is not None else {})
                message = await channel.send(embed=question_embed(card, ref=ref), **extra)
            else:
                log.info("discord: %s is already in %s; not posting it again", ref, destination.key)
        if message.thread is not None:
            return ThreadRef(destination, str(message.id), str(message.thread.id))
        return ThreadRef(
            destination, str(message.id), await self._open_thread(destination, channel, message, card)
        )

    @paced
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

    def limit_key(self, destination: Destination) -> str:
        # Discord's 50 requests/second are per bot, across every guild: one budget.
        return self.platform

    @paced
    async def mark_revealed(self, thread: ThreadRef, card: QuestionCard) -> None:
        channel = self._partial(thread.destination, thread.destination.channel_id)
        self._check(thread.destination, thread.destination.channel_id, Action.EDIT_OWN)
        with reaching(thread.destination):
            await channel.get_partial_message(int(thread.message_id)).edit(
                embed=question_embed(card, thread.thread_id)
            )

    @paced
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

    def _check(self, destination: Destination, channel_id: str, action: Action) -> None:
        """Raise DestinationUnavailable, without a request, if the cache shows Discord would refuse."""
        code = predicted_refusal(self._client(), destination.workspace_id, int(channel_id), action)
        if code is not None:
            log.info("discord: %s in %s would be refused (%s); not asked", action.value, channel_id, code)
            raise DestinationUnavailable(destination, code)

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
        refusal = predicted_refusal(self._client(), destination.workspace_id, channel.id, Action.OPEN_THREAD)
        if refusal is not None:
            self._note_threadless(
                destination, "grant Create Public Threads and Send Messages in Threads (seen in the cache)"
            )
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
        self._check(
            destination,
            thread.thread_id if thread and thread.thread_id else destination.channel_id,
            Action.SEND,
        )
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
            sent = await delivered(target, self._client().user, ref) if retry else {}
            if sent:
                log.info(
                    "discord: parts %s of %s were already sent to %s", sorted(sent), ref, destination.key
                )
            for part, message in enumerate(messages, 1):
                if part not in sent:
                    extra = nonce(ref, part) | ({"reference": reference} if part == 1 and reference else {})
                    if message.mentions is not None:
                        extra["allowed_mentions"] = message.mentions
                    if view is not None and part == len(messages):
                        extra["view"] = view
                    await target.send(message.content, embeds=list(message.embeds), **extra)
