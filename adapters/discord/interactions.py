"""How Discord's interactions are handled: `DiscordInteractions` runs commands, button clicks and
forms through the core and replies within Discord's 3 seconds, privately unless shared.

The client hands every interaction (and every message in a server) to it; the practice commands,
ratings, forms and thread replies it passes on to `DiscordPractice`, the answer checks and a mock
interview's clicks to `DiscordFeedback`, and `/mlquestion-mock` to `DiscordMock`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, Protocol

import discord

from adapters.discord.client import PLATFORM, BotClient, BotInteraction, DiscordConfig, Reply, deliver, tell
from adapters.discord.components import replies_for
from adapters.discord.feedback import DiscordFeedback
from adapters.discord.forms import answer_form_target
from adapters.discord.mock import DiscordMock
from adapters.discord.practice import DiscordPractice
from bot.content.bank import Filters
from bot.messages import Notice, NoticeKind, QuestionCard, Response
from bot.practice.mock import is_mock_context
from bot.practice.yourdata import cancelled
from bot.seam import Destination
from bot.service import Invocation, PracticeService

log = logging.getLogger(__name__)


class Host(Protocol):
    """What the handler uses of the adapter: its service and settings, and the client once started."""

    service: PracticeService
    config: DiscordConfig
    client: BotClient | None


class DiscordInteractions:
    """The client's `Interactions`: runs commands, clicks and forms through the core and replies.

    Reads the adapter's settings (who administers, when to defer) and its live client; keeps no state.
    """

    platform = PLATFORM

    def __init__(self, host: Host) -> None:
        self.host = host
        self.service = host.service
        self.config = host.config
        self.practice = DiscordPractice(self)
        self.feedback = DiscordFeedback(self)
        self.mock = DiscordMock(self)

    @property
    def client(self) -> BotClient | None:
        """The adapter's client while it is started (the practice handlers need the bot's user)."""
        return self.host.client

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

    # Practice (see practice.py) -----------------------------------------------------------------------

    async def practice_command(self, interaction: BotInteraction, text: str) -> None:
        await self.practice.command(interaction, text)

    async def rate(self, interaction: BotInteraction, question_id: str, context: str, choice: str) -> None:
        if is_mock_context(context):  # clicked in direct messages too: the interview moves on
            await self.feedback.rate(interaction, question_id, context, choice)
        else:
            await self.practice.rate(interaction, question_id, context, choice)

    async def form_submitted(self, interaction: BotInteraction) -> None:
        data: Mapping[str, Any] = interaction.data or {}
        target = answer_form_target(data.get("custom_id"))
        if target is not None:
            await self.feedback.answer_submitted(interaction, *target)
        else:
            await self.practice.form_submitted(interaction)

    # Answer feedback and mock interviews (see feedback.py, mock.py) -------------------------------------

    async def check_clicked(self, interaction: BotInteraction, question_id: str, context: str) -> None:
        await self.feedback.open_form(interaction, question_id, context)

    async def mock_command(self, interaction: BotInteraction, text: str) -> None:
        await self.mock.command(interaction, text)

    async def guild_message(self, message: discord.Message) -> None:
        await self.practice.guild_message(message)

    # Your data (see yourdata.py) -----------------------------------------------------------------------

    async def forget_clicked(self, interaction: BotInteraction, confirm: bool) -> None:
        """Forget the person who clicked (never anyone the message names), or keep everything."""
        invocation = self.channel_invocation(interaction)
        if invocation is None:
            await tell(interaction, "This works in a server only; nothing was deleted.")
            return
        work = self.service.forget(invocation) if confirm else _ready_one(cancelled())
        await self.respond(interaction, _listed(work), defer=False)

    # Shared by the handlers -----------------------------------------------------------------------

    def channel_invocation(self, interaction: BotInteraction) -> Invocation | None:
        """The caller, in the channel itself when it acts from a thread (see DiscordPractice)."""
        return self.practice.channel_invocation(interaction)

    def invocation(self, interaction: BotInteraction) -> Invocation | None:
        if interaction.guild_id is None or interaction.channel_id is None:
            return None
        user = str(interaction.user.id)
        permissions = interaction.permissions  # the member's, resolved in this channel
        is_admin = permissions.administrator or permissions.manage_guild or user in self.config.admin_user_ids
        destination = Destination(PLATFORM, str(interaction.channel_id), str(interaction.guild_id))
        return Invocation(destination, user, is_admin)

    async def respond(
        self,
        interaction: BotInteraction,
        work: Awaitable[Sequence[Response | Reply]],
        *,
        defer: bool,
        privately: bool = True,
    ) -> None:
        """Reply within Discord's 3 s: at once if the work is quick, else defer first (`privately`,
        unless in direct messages, where nobody else reads).

        The work returns core responses (rendered here, with their buttons) or ready-made replies.
        """
        task = asyncio.ensure_future(work)
        deferred = defer or self.config.defer_after <= 0
        if not deferred:
            done, _ = await asyncio.wait({task}, timeout=self.config.defer_after)
            deferred = not done
        try:
            if deferred:
                await interaction.response.defer(ephemeral=privately, thinking=True)
            replies = [
                reply
                for item in await task
                for reply in (replies_for(item) if isinstance(item, Response) else [item])
            ]
            await deliver(interaction, replies, deferred, privately)
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


async def _ready(responses: list[Response]) -> list[Response]:
    return responses


async def _ready_one(response: Response) -> Response:
    return response


async def _listed(work: Awaitable[Response]) -> list[Response]:
    return [await work]
