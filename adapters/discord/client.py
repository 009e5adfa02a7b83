"""The discord.py client: its configuration, logging in, the gateway's events handed over to an
`Interactions` handler, and the replies that go back (`Reply`, `deliver`, `tell`).

The commands and buttons on a client are added by whoever builds it (`commands.new_client`).
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field
from typing import Any, Protocol

import discord
import yarl
from discord import app_commands

from adapters.discord.markdown import clip
from adapters.discord.options import check_options
from adapters.discord.pacing import SENDS_IN_FLIGHT
from adapters.discord.render import CONTENT_LIMIT, Outgoing
from bot.content.bank import Filters
from bot.messages import ExportFile
from bot.seam import PlatformSetupError

PLATFORM = "discord"


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
    # Daily sends in flight at once (see `pacing`): bounds the global 429s a second.
    sends_in_flight: int = SENDS_IN_FLIGHT


class Interactions(Protocol):
    """What commands, buttons, forms and gateway events hand over to (`DiscordInteractions`)."""

    async def ask(self, interaction: BotInteraction, filters: Filters, share: bool) -> None: ...

    async def channel_command(self, interaction: BotInteraction, text: str) -> None: ...

    async def show_answer(
        self, interaction: BotInteraction, question_id: str, review: bool = False
    ) -> None: ...

    async def share(self, interaction: BotInteraction, question_id: str) -> None: ...

    async def practice_command(self, interaction: BotInteraction, text: str) -> None:
        """`review`, `stats`, `leaderboard …` or `suggest`: the core's grammar after `/mlquestion`."""
        ...

    async def rate(
        self, interaction: BotInteraction, question_id: str, context: str, choice: str
    ) -> None: ...

    async def form_submitted(self, interaction: BotInteraction) -> None:
        """A modal was submitted (read from the interaction itself, so it survives restarts)."""
        ...

    async def check_clicked(self, interaction: BotInteraction, question_id: str, context: str) -> None:
        """A "Check my answer" (or mock "Answer") button: open the answer form, or say why not."""
        ...

    async def mock_command(self, interaction: BotInteraction, text: str) -> None:
        """`mock …` or `mock stop`: the core's grammar after `/mlquestion`, replies in direct messages."""
        ...

    async def guild_message(self, message: discord.Message) -> None:
        """Any message in a server channel or thread the bot can see (the author, never the text)."""
        ...

    async def forget_clicked(self, interaction: BotInteraction, confirm: bool) -> None:
        """A forget-me button: forget the clicking person (`confirm`), or say nothing was deleted."""
        ...


class BotClient(discord.AutoShardedClient):
    """The discord.py client: a command tree (filled by whoever builds the client), no message cache.

    Intents: GUILDS (channels and threads, so a thread's parent is known) and GUILD_MESSAGES (who
    replied in a question's thread). Neither is privileged; without MESSAGE_CONTENT the messages
    arrive without their text, which the bot never reads.

    An AutoShardedClient even for one shard: it asks `GET /gateway/bot` for the gateway URL (and
    shard count) instead of using a built-in address. `interactions` is None for a client that only
    syncs commands. Keeps no state of ours beyond the handler, the gateway-ready event and the
    guilds that removed the bot.
    """

    def __init__(
        self,
        interactions: Interactions | None,
        application_id: int | None,
        shard_count: int | None = None,
        shard_ids: tuple[int, ...] | None = None,
    ) -> None:
        # Without an application id, login reads it from Discord.
        known: dict[str, Any] = {"application_id": application_id} if application_id is not None else {}
        if shard_count is not None:
            # Several replicas split the gateway: each runs the shards it is given (all by default).
            known |= {"shard_count": shard_count, "shard_ids": list(shard_ids) if shard_ids else None}
        super().__init__(
            intents=discord.Intents(guilds=True, guild_messages=True),
            max_messages=None,
            chunk_guilds_at_startup=False,
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, replied_user=False),
            **known,
        )
        self.interactions = interactions
        self.tree: app_commands.CommandTree[BotClient] = CheckedTree(self)
        self.gateway_ready = asyncio.Event()
        self.departed: set[int] = set()  # guilds that removed the bot while it was connected

    async def on_connect(self) -> None:
        self.gateway_ready.set()

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        self.departed.add(guild.id)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.departed.discard(guild.id)

    async def on_message(self, message: discord.Message) -> None:
        if self.interactions is not None and message.guild is not None:
            await self.interactions.guild_message(message)

    async def on_interaction(self, interaction: BotInteraction) -> None:
        # Commands and buttons are dispatched by discord.py; forms are read here from the interaction.
        if self.interactions is not None and interaction.type is discord.InteractionType.modal_submit:
            await self.interactions.form_submitted(interaction)


BotInteraction = discord.Interaction[BotClient]


class CheckedTree(app_commands.CommandTree["BotClient"]):
    """The command tree, checking every command's options against its definition before it runs
    (see `options.check_options`); a mismatch reaches the tree's error handler. Keeps no state."""

    async def interaction_check(self, interaction: BotInteraction, /) -> bool:
        if interaction.type is discord.InteractionType.application_command:
            check_options(interaction)
        return True


def handler_of(interaction: discord.Interaction[Any]) -> Interactions:
    client = interaction.client
    if not isinstance(client, BotClient) or client.interactions is None:
        raise RuntimeError("this Discord client has no interaction handler (it only syncs commands)")
    return client.interactions


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


async def sync_commands(client: BotClient, guild_id: int | None) -> list[app_commands.AppCommand]:
    """Upload the command definitions: to one guild (instant), or globally when guild_id is None."""
    if guild_id is None:
        return await client.tree.sync()
    guild = discord.Object(id=guild_id)
    client.tree.copy_global_to(guild=guild)
    return await client.tree.sync(guild=guild)


# Replies ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reply:
    """One message of a reply: who sees it, what it shows, and its buttons."""

    private: bool
    message: Outgoing
    view: discord.ui.View | None = None
    files: tuple[ExportFile, ...] = ()  # attached to the message (your data's export)

    def parts(self, edit: bool = False) -> dict[str, Any]:
        """The keyword arguments of a send, or of an edit (`edit`: files go in as `attachments`)."""
        parts: dict[str, Any] = {"content": self.message.content, "embeds": list(self.message.embeds)}
        if self.view is not None:
            parts["view"] = self.view
        if self.files:
            # A discord.File is read once when sent: every send gets its own.
            made = [discord.File(io.BytesIO(f.content), filename=f.name) for f in self.files]
            parts["attachments" if edit else "files"] = made
        if self.message.mentions is not None:
            parts["allowed_mentions"] = self.message.mentions
        return parts


async def tell(interaction: discord.Interaction[Any], text: str) -> None:
    """Reply with a short private message, as the response or as a follow-up."""
    content = clip(text, CONTENT_LIMIT)
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True)
    else:
        await interaction.response.send_message(content, ephemeral=True)


async def deliver(
    interaction: discord.Interaction[Any],
    replies: list[Reply],
    deferred: bool,
    deferred_privately: bool = True,
) -> None:
    """Send replies: the response (or the deferred original message) first, then follow-ups.

    A private deferral can only become a private reply; a public one (in direct messages, where
    nobody else reads) takes the first reply whatever it is.
    """
    original_pending = deferred
    for reply in replies:
        if not interaction.response.is_done():
            await interaction.response.send_message(ephemeral=reply.private, **reply.parts())
        elif original_pending:
            original_pending = False
            if reply.private or not deferred_privately:
                await interaction.edit_original_response(**reply.parts(edit=True))
                continue
            # The deferred original is private: keep it short and post the public part after it.
            await interaction.edit_original_response(content="✅ Done: the reply is posted in the channel.")
            await interaction.followup.send(ephemeral=False, **reply.parts())
        else:
            await interaction.followup.send(ephemeral=reply.private, **reply.parts())
