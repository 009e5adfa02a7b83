"""Discord's "Check my answer": the button opens the answer form, and the submitted answer comes back
as private feedback — the model answer after it and the rating buttons under it, the suggested
rating pre-chosen. The same buttons and form run a mock interview's questions.

A mock interview runs in the person's direct messages with the bot, where an interaction belongs to
no server: there only a mock interview's buttons are taken (the core checks that the session is the
clicker's: it knows a person on Discord by their user id, not by server), and the replies are
ordinary messages of the conversation. In a server every reply is private (ephemeral).

The answer text is read from the submitted form, handed to the core and dropped: it is never stored
or logged (`logs` keeps it out of discord.py's own DEBUG lines too).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Final, Protocol

from adapters.discord.client import PLATFORM, BotInteraction, Reply, tell
from adapters.discord.forms import ANSWER_FIELD, AnswerModal, form_values
from bot.messages import AnswerForm, Notice, NoticeKind, Response
from bot.practice.mock import is_mock_context
from bot.seam import Destination
from bot.service import Invocation, PracticeService

log = logging.getLogger(__name__)

NOT_HERE: Final = "In direct messages I only take a mock interview's buttons; use them in the server."


class Host(Protocol):
    """What the feedback handlers use of the interaction handler: the service, who is asking (in the
    channel itself when asked from a thread), and how to answer."""

    service: PracticeService

    def channel_invocation(self, interaction: BotInteraction) -> Invocation | None: ...

    async def respond(
        self,
        interaction: BotInteraction,
        work: Awaitable[Sequence[Response | Reply]],
        *,
        defer: bool,
        privately: bool = True,
    ) -> None: ...


class DiscordFeedback:
    """Handles check clicks, submitted answers and a mock interview's rating clicks for
    `DiscordInteractions`, in a server or in direct messages. Keeps no state, the answer least of all."""

    def __init__(self, host: Host) -> None:
        self.host = host

    async def open_form(self, interaction: BotInteraction, question_id: str, context: str) -> None:
        """Open the answer form, or say privately why not (question gone, mock over, someone else's)."""
        invocation = self._invocation(interaction, context)
        if invocation is None:
            await tell(interaction, NOT_HERE)
            return
        # A form must be the first response (it cannot follow a deferral); the core's check is quick.
        response = await self.host.service.answer_form(invocation, question_id, context)
        form = response.message
        if not isinstance(form, AnswerForm):
            await self.host.respond(interaction, _private(response), defer=False)
            return
        try:
            modal = AnswerModal(form)
        except ValueError:  # a context no form id can carry: none the core makes today
            log.warning("discord: no answer form for context %.40r", context)
            await tell(interaction, "⚠️ I can't open the answer form for this button. Nothing was checked.")
            return
        modal.stop()  # not kept in memory: the submit is read from the interaction (see forms)
        await interaction.response.send_modal(modal)

    async def answer_submitted(self, interaction: BotInteraction, question_id: str, context: str) -> None:
        """Check the submitted answer; the feedback is the reply (the engine may take a while)."""
        invocation = self._invocation(interaction, context)
        if invocation is None:
            await tell(interaction, NOT_HERE)
            return
        data: Mapping[str, Any] = interaction.data or {}
        answer = form_values(data).get(ANSWER_FIELD, "")
        await self._reply(
            interaction, self.host.service.check_answer(invocation, question_id, context, answer)
        )

    async def rate(self, interaction: BotInteraction, question_id: str, context: str, choice: str) -> None:
        """A rating under a mock interview's feedback: recorded, and the reply is the next question
        (or the summary) — in the direct messages where it was clicked, privately in a server."""
        invocation = self._invocation(interaction, context)
        if invocation is None:
            await tell(interaction, NOT_HERE)
            return
        await self._reply(interaction, self.host.service.rate(invocation, question_id, context, choice))

    async def _reply(self, interaction: BotInteraction, work: Awaitable[Response]) -> None:
        in_dm = interaction.guild_id is None
        # In direct messages a deferral may be public: only the person and the bot are there.
        await self.host.respond(interaction, _placed(work, in_dm), defer=False, privately=not in_dm)

    def _invocation(self, interaction: BotInteraction, context: str) -> Invocation | None:
        if interaction.guild_id is not None:
            return self.host.channel_invocation(interaction)
        if not is_mock_context(context) or interaction.channel_id is None:
            return None
        where = Destination(PLATFORM, str(interaction.channel_id))  # a DM channel, in no server
        return Invocation(where, str(interaction.user.id))


async def _placed(work: Awaitable[Response], in_dm: bool) -> list[Response]:
    """In a server every reply is private. In direct messages replies are ordinary messages that stay
    in the conversation, except errors, which are private (they can be dismissed)."""
    response = await work
    message = response.message
    error = isinstance(message, Notice) and message.kind is NoticeKind.ERROR
    return [replace(response, private=error or not in_dm)]


async def _private(response: Response) -> list[Response]:
    return [replace(response, private=True)]
