"""`/mlquestion-mock`: a mock interview in the person's direct messages with the bot.

The command runs the core's `mock [track NAME] [count N]` or `mock stop`. What the core marks
`direct` (the intro, the questions, the summary) goes to the person's DMs, and the command answers
privately that it is there. Where the person takes no DMs from this server's members (Discord
answers 403, code 50007), it comes here instead, privately, saying so; its buttons work here too.
The clicks and answers that follow are handled by `feedback`.

Direct messages need no permission in the invite URL: only a server in common with the person.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from typing import Final, Protocol

import discord
from discord import app_commands

from adapters.discord.client import BotClient, BotInteraction, Reply, handler_of, tell
from adapters.discord.components import replies_for
from adapters.discord.options import TRACK_CHOICES, mock_text
from adapters.discord.render import Outgoing
from bot.messages import Notice, NoticeKind, Response
from bot.service import Invocation, PracticeService

log = logging.getLogger(__name__)

MOCK_COMMAND: Final = "mlquestion-mock"
IN_DMS: Final = "📬 Your mock interview is in your direct messages with me: {url}"
NO_DMS: Final = (
    "📪 I can't send you direct messages (your privacy settings for this server don't allow them), "
    "so your mock interview is here instead, visible only to you. Its buttons work the same."
)


@app_commands.guild_only()
@app_commands.describe(
    track="Only questions of this role track",
    count="How many questions (3 to 8; default 5)",
    stop="End your mock interview now, with its summary",
)
@app_commands.choices(track=TRACK_CHOICES)
async def _mock(
    interaction: BotInteraction,
    track: str | None = None,
    count: app_commands.Range[int, 3, 8] | None = None,
    stop: bool = False,
) -> None:
    await handler_of(interaction).mock_command(interaction, mock_text(track, count, stop))


def install(client: BotClient) -> None:
    """Add `/mlquestion-mock` to a client (a command of its own, like the practice commands)."""
    description = "A private mock interview in your DMs: answer, get feedback, rate yourself, next"
    client.tree.add_command(app_commands.command(name=MOCK_COMMAND, description=description)(_mock))


class Host(Protocol):
    """What the mock command uses of the interaction handler: the service, who asks, how to answer."""

    service: PracticeService

    def invocation(self, interaction: BotInteraction) -> Invocation | None: ...

    async def respond(
        self, interaction: BotInteraction, work: Awaitable[Sequence[Response | Reply]], *, defer: bool
    ) -> None: ...


class DiscordMock:
    """Runs `/mlquestion-mock` for `DiscordInteractions`. Keeps no state: the session is in the store."""

    def __init__(self, host: Host) -> None:
        self.host = host

    async def command(self, interaction: BotInteraction, text: str) -> None:
        invocation = self.host.invocation(interaction)
        if invocation is None:
            await tell(interaction, "Use `/mlquestion-mock` in a server channel.")
            return
        await self.host.respond(interaction, self._run(interaction.user, invocation, text), defer=False)

    async def _run(
        self, user: discord.User | discord.Member, invocation: Invocation, text: str
    ) -> list[Response | Reply]:
        responses = await self.host.service.handle_command(invocation, text)
        # Errors (a bad count, too few questions) belong with the command, not in a DM.
        to_dm = [r.direct and not _is_error(r) for r in responses]
        direct = [r for r, dm in zip(responses, to_dm, strict=True) if dm]
        here: list[Response | Reply] = [r for r, dm in zip(responses, to_dm, strict=True) if not dm]
        if not direct:
            return here
        sent, first = await _send_direct(user, direct)
        if sent == len(direct) and first is not None:
            return [*here, Reply(True, Outgoing(content=IN_DMS.format(url=first.jump_url)))]
        return [*here, Reply(True, Outgoing(content=NO_DMS)), *direct[sent:]]


async def _send_direct(
    user: discord.User | discord.Member, responses: list[Response]
) -> tuple[int, discord.Message | None]:
    """Send responses to the person's DMs; return how many went, and the first message sent.

    A refusal (403: DMs closed, blocked, no server in common) stops there and is not an error.
    """
    sent, first = 0, None
    try:
        channel = await user.create_dm()  # POST /users/@me/channels, once per person per process
        for response in responses:
            for reply in replies_for(response):
                message = await channel.send(**reply.parts())
                first = first or message
            sent += 1
    except discord.Forbidden as exc:
        log.info(
            "discord: user=%s takes no direct messages from me (403, code %s); "
            "their mock interview continues in the channel",
            user.id,
            exc.code,
        )
    return sent, first


def _is_error(response: Response) -> bool:
    return isinstance(response.message, Notice) and response.message.kind is NoticeKind.ERROR
