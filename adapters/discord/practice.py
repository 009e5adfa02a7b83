"""Discord's side of "practice that sticks": thread replies counted, ratings, and the review,
stats, leaderboard, suggest and link commands with the suggestion form they open.

The interaction handler (`interactions.DiscordInteractions`) owns a `DiscordPractice` and hands it
these interactions; `install` adds the commands to a client (the rating buttons and the form are in
`components`). Everything goes through the core's grammar and service.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, Final, Protocol

import discord
from discord import app_commands

from adapters.discord.client import BotClient, BotInteraction, Reply, handler_of, tell
from adapters.discord.forms import (
    ANSWER_CHARS,
    QUESTION_CHARS,
    SUGGEST_FORM,
    SuggestModal,
    form_echo,
    form_values,
)
from bot.messages import Notice, NoticeKind, Response, SuggestForm
from bot.seam import Destination
from bot.service import Invocation, PracticeService
from bot.text import shown

log = logging.getLogger(__name__)

REVIEW_COMMAND: Final = "mlquestion-review"
STATS_COMMAND: Final = "mlquestion-stats"
LEADERBOARD_COMMAND: Final = "mlquestion-leaderboard"
OPTOUT_COMMAND: Final = "mlquestion-leaderboard-optout"
SUGGEST_COMMAND: Final = "mlquestion-suggest"
LINK_COMMAND: Final = "mlquestion-link"
UNLINK_COMMAND: Final = "mlquestion-unlink"
COUNTED_TYPES: Final = (discord.MessageType.default, discord.MessageType.reply)
PERIOD_CHOICES = [
    app_commands.Choice(name="the last 7 days", value="week"),
    app_commands.Choice(name="the last 30 days", value="month"),
    app_commands.Choice(name="all time", value="all"),
]
OPTOUT_CHOICES = [
    app_commands.Choice(name="on: leave the leaderboards", value="on"),
    app_commands.Choice(name="off: be listed again", value="off"),
]


# Commands -----------------------------------------------------------------------------------------


@app_commands.guild_only()
async def _review(interaction: BotInteraction) -> None:
    await handler_of(interaction).practice_command(interaction, "review")


@app_commands.guild_only()
async def _stats(interaction: BotInteraction) -> None:
    await handler_of(interaction).practice_command(interaction, "stats")


@app_commands.guild_only()
@app_commands.describe(period="Which questions count (default: the last 7 days)")
@app_commands.choices(period=PERIOD_CHOICES)
async def _leaderboard(interaction: BotInteraction, period: str | None = None) -> None:
    await handler_of(interaction).practice_command(interaction, f"leaderboard {period or ''}".strip())


@app_commands.guild_only()
@app_commands.describe(optout="on: leave every leaderboard (your own stats stay); off: be listed again")
@app_commands.choices(optout=OPTOUT_CHOICES)
async def _optout(interaction: BotInteraction, optout: str) -> None:
    word = "optout" if optout == "on" else "optin"
    await handler_of(interaction).practice_command(interaction, f"leaderboard {word}")


@app_commands.guild_only()
async def _suggest(interaction: BotInteraction) -> None:
    await handler_of(interaction).practice_command(interaction, "suggest")


@app_commands.guild_only()
@app_commands.describe(code="The code `/mlquestion link` gave you on the other platform (empty: make one)")
async def _link(interaction: BotInteraction, code: str | None = None) -> None:
    await handler_of(interaction).practice_command(interaction, f"link {code or ''}".strip())


@app_commands.guild_only()
async def _unlink(interaction: BotInteraction) -> None:
    await handler_of(interaction).practice_command(interaction, "unlink")


def install(client: BotClient) -> None:
    """Add the practice commands to a client (before it syncs or connects).

    Top-level commands, not `/mlquestion review`: Discord cannot run a command that has
    subcommands bare, and `/mlquestion [topic] [difficulty] [share]` must keep working.
    """
    commands = (
        (REVIEW_COMMAND, "Your most overdue question to practise again (only you see it)", _review),
        (STATS_COMMAND, "Your streak, answers and weakest topics (only you see it)", _stats),
        (LEADERBOARD_COMMAND, "This channel's most regular participants", _leaderboard),
        (OPTOUT_COMMAND, "Leave or rejoin the leaderboards", _optout),
        (SUGGEST_COMMAND, "Suggest a question and model answer for the bank", _suggest),
        (LINK_COMMAND, "Share your review schedule with your account on another platform", _link),
        (UNLINK_COMMAND, "Stop sharing your review schedule with another platform", _unlink),
    )
    for name, description, function in commands:
        client.tree.add_command(app_commands.command(name=name, description=description)(function))


# Handling ------------------------------------------------------------------------------------------


class Host(Protocol):
    """What the practice handlers use of the interaction handler: the service, the live client (None
    before start), who is asking and how to answer."""

    platform: str
    service: PracticeService

    @property
    def client(self) -> BotClient | None: ...

    def invocation(self, interaction: BotInteraction) -> Invocation | None: ...

    async def respond(
        self, interaction: BotInteraction, work: Awaitable[Sequence[Response | Reply]], *, defer: bool
    ) -> None: ...


class DiscordPractice:
    """Handles the practice interactions and thread replies for `DiscordInteractions`. Keeps no state."""

    def __init__(self, host: Host) -> None:
        self.host = host

    async def guild_message(self, message: discord.Message) -> None:
        """Count a person's message in one of our question threads (who and when, never the text).

        Our threads are the ones the bot opened, so other threads cost nothing. Replies to a
        question posted without a thread (no thread permission) are not counted.
        """
        channel = message.channel
        client = self.host.client
        me = client.user if client is not None else None
        if (
            me is None
            or message.author.bot
            or message.author.system
            or message.webhook_id is not None
            or message.type not in COUNTED_TYPES
            or not isinstance(channel, discord.Thread)
            or channel.owner_id != me.id
            or channel.parent_id is None
        ):
            return
        destination = Destination(self.host.platform, str(channel.parent_id), str(channel.guild.id))
        try:
            await self.host.service.record_reply(destination, str(channel.id), str(message.author.id))
        except Exception:
            log.exception(
                "discord: could not count a reply: guild=%s thread=%s user=%s",
                channel.guild.id,
                channel.id,
                message.author.id,
            )

    async def command(self, interaction: BotInteraction, text: str) -> None:
        """Run `review`, `stats`, `leaderboard …` or `suggest` through the core's grammar."""
        invocation = self.channel_invocation(interaction)
        if invocation is None:
            await tell(interaction, "Use this command in a server channel.")
            return
        if text == "suggest":
            # A form must be the first response (it cannot follow a deferral); this is quick.
            responses = await self.host.service.handle_command(invocation, text)
            forms = [r.message for r in responses if isinstance(r.message, SuggestForm)]
            if forms:
                modal = SuggestModal(forms[0])
                modal.stop()  # not kept in memory: see SuggestModal
                await interaction.response.send_modal(modal)
                return
            await self.host.respond(interaction, _ready(responses), defer=False)
            return
        await self.host.respond(interaction, self.host.service.handle_command(invocation, text), defer=False)

    async def rate(self, interaction: BotInteraction, question_id: str, context: str, choice: str) -> None:
        invocation = self.channel_invocation(interaction)
        if invocation is None:
            await tell(interaction, "Ratings work in a server only.")
            return
        work = self.host.service.rate(invocation, question_id, context, choice)
        await self.host.respond(interaction, _listed(work), defer=False)

    async def form_submitted(self, interaction: BotInteraction) -> None:
        data: Mapping[str, Any] = interaction.data or {}
        if data.get("custom_id") != SUGGEST_FORM:
            log.debug("discord: ignoring a form that is not ours: %r", data.get("custom_id"))
            return
        invocation = self.channel_invocation(interaction)
        if invocation is None:
            await tell(interaction, "Suggestions work in a server only.")
            return
        values = form_values(data)
        await self.host.respond(interaction, self._suggest(invocation, values), defer=False)

    async def _suggest(self, invocation: Invocation, values: dict[str, str]) -> list[Response | Reply]:
        topic, difficulty = values.get("topic", "").strip(), values.get("difficulty", "").strip()
        response = await self.host.service.suggest(
            invocation,
            values.get("question", ""),
            values.get("answer", ""),
            topic or None,
            difficulty or None,
        )
        message = response.message
        if not (isinstance(message, Notice) and message.kind is NoticeKind.ERROR):
            return [response]
        # Nothing was saved: give the text back so it can go into the form again — no more than the
        # form holds (a longer field was not typed into it), so a refusal is a few messages at most.
        echo = form_echo(
            values.get("question", "")[:QUESTION_CHARS],
            values.get("answer", "")[:ANSWER_CHARS],
            shown(topic),
            shown(difficulty),
        )
        return [response, *(Reply(True, part) for part in echo)]

    def channel_invocation(self, interaction: BotInteraction) -> Invocation | None:
        """The caller, in the channel itself when run from a thread (its questions, its board)."""
        invocation = self.host.invocation(interaction)
        channel = interaction.channel
        if invocation is None or not isinstance(channel, discord.Thread) or channel.parent_id is None:
            return invocation
        where = invocation.destination
        parent = Destination(where.platform, str(channel.parent_id), where.workspace_id)
        return Invocation(parent, invocation.user_id, invocation.is_admin)


async def _ready(responses: Sequence[Response | Reply]) -> Sequence[Response | Reply]:
    return responses


async def _listed(work: Awaitable[Response]) -> list[Response | Reply]:
    return [await work]
