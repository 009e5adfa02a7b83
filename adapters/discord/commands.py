"""Discord's application commands: `/mlquestion` and `/mlquestion-channel` declared, a client built
with every command and persistent button, and the definitions synced to Discord.

The commands only read their options (`options` turns them into the core's filters or its
`/mlquestion` text grammar, so the core validates) and hand over to the client's `Interactions`
(`interactions.DiscordInteractions`). The practice commands are declared in `practice`.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from adapters.discord import mock, practice, yourdata
from adapters.discord.client import (
    BotClient,
    BotInteraction,
    DiscordConfig,
    Interactions,
    handler_of,
    login,
    sync_commands,
    tell,
)
from adapters.discord.components import PERSISTENT_BUTTONS
from adapters.discord.options import (
    DIFFICULTY_CHOICES,
    ON_OFF_CHOICES,
    TOPIC_CHOICES,
    TRACK_CHOICES,
    OptionError,
    ask_filters,
    subscribe_text,
    topic_choices,
    zone_choices,
)
from bot.text import shown

log = logging.getLogger(__name__)

ASK_COMMAND = "mlquestion"
CHANNEL_COMMAND = "mlquestion-channel"


# Commands ----------------------------------------------------------------------------------------


@app_commands.guild_only()
@app_commands.describe(
    topic="Only questions on this topic",
    difficulty="Only questions of this difficulty",
    share="Post it to the channel for everyone; the answer is revealed later in its thread",
    track="Only questions of this role track",
)
@app_commands.choices(topic=TOPIC_CHOICES, difficulty=DIFFICULTY_CHOICES, track=TRACK_CHOICES)
async def _ask(
    interaction: BotInteraction,
    topic: str | None = None,
    difficulty: str | None = None,
    share: bool = False,
    track: str | None = None,
) -> None:
    try:
        filters = ask_filters(topic, difficulty, track)
    except OptionError as exc:
        await tell(interaction, f"⚠️ {exc}")
        return
    await handler_of(interaction).ask(interaction, filters, share)


class ChannelCommands(app_commands.Group):
    """`/mlquestion-channel …`: the channel's daily question, shown to server managers by default.

    The default can be changed per server, so the caller's permissions are checked again at run
    time (`DiscordInteractions` decides `is_admin`, the core enforces it).
    """

    def __init__(self) -> None:
        super().__init__(
            name=CHANNEL_COMMAND,
            description="This channel's daily ML interview question (server managers)",
            guild_only=True,
            default_permissions=discord.Permissions(manage_guild=True),
        )

    @app_commands.command(description="Post a question here on schedule, or change the schedule")
    @app_commands.describe(
        time="Local post time, HH:MM on a 24-hour clock (e.g. 09:30)",
        timezone="IANA time zone (e.g. Europe/Berlin)",
        days="Weekdays: mon-fri (default), daily, weekends, mon,wed,fri…",
        reveal="When the answer is revealed: after 6h (default), or at 17:00",
        topics="Topics to draw from, comma-separated (default: all)",
        difficulty="Only this difficulty (default: all)",
        holidays="Skip the public holidays of a country (GB, DE, US-NY…), or none",
        skip="Skip these dates, comma-separated (2026-12-24,2026-12-31), or none",
        mentions="Whether the reveal notifies those who answered (on) or only names them (off)",
        weekly="A summary of last week before the week's first question",
    )
    @app_commands.choices(difficulty=DIFFICULTY_CHOICES, mentions=ON_OFF_CHOICES, weekly=ON_OFF_CHOICES)
    @app_commands.autocomplete(timezone=zone_choices, topics=topic_choices)
    async def subscribe(
        self,
        interaction: BotInteraction,
        time: str | None = None,
        timezone: str | None = None,
        days: str | None = None,
        reveal: str | None = None,
        topics: str | None = None,
        difficulty: str | None = None,
        holidays: str | None = None,
        skip: str | None = None,
        mentions: str | None = None,
        weekly: str | None = None,
    ) -> None:
        try:
            text = subscribe_text(
                time, timezone, days, reveal, topics, difficulty, holidays, skip, mentions, weekly
            )
        except OptionError as exc:
            await tell(interaction, f"⚠️ {exc} Nothing was changed.")
            return
        await handler_of(interaction).channel_command(interaction, text)

    @app_commands.command(description="Stop the daily question in this channel")
    async def unsubscribe(self, interaction: BotInteraction) -> None:
        await handler_of(interaction).channel_command(interaction, "unsubscribe")

    @app_commands.command(description="Pause the daily question in this channel")
    async def pause(self, interaction: BotInteraction) -> None:
        await handler_of(interaction).channel_command(interaction, "pause")

    @app_commands.command(description="Resume the daily question in this channel")
    async def resume(self, interaction: BotInteraction) -> None:
        await handler_of(interaction).channel_command(interaction, "resume")

    @app_commands.command(description="Show this channel's schedule and the next post and reveal")
    async def settings(self, interaction: BotInteraction) -> None:
        await handler_of(interaction).channel_command(interaction, "settings")


CHANGED = "⚠️ This command changed — an admin should run `mlq discord sync`. Nothing was done."


async def _command_failed(interaction: BotInteraction, error: app_commands.AppCommandError) -> None:
    if isinstance(error, app_commands.TransformerError):
        await _tell(
            interaction,
            f"⚠️ `{shown(str(error.value))}` is not a value I can use there; pick one from the list.",
        )
        return
    if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        # What Discord's registrations produce when they are older (or newer) than this code:
        # the people who can fix it need one line, not a traceback per click.
        name = (
            " ".join([*error.parents, error.name])
            if isinstance(error, app_commands.CommandNotFound)
            else error.command.qualified_name
        )
        log.warning(
            "discord: /%s does not match this version's commands (%s): run `mlq discord sync`; "
            "guild=%s channel=%s user=%s",
            shown(name),
            "unknown command" if isinstance(error, app_commands.CommandNotFound) else "different options",
            interaction.guild_id,
            interaction.channel_id,
            interaction.user.id,
        )
        if interaction.type is not discord.InteractionType.autocomplete:  # that one takes no message
            await _tell(interaction, CHANGED)
        return
    command = interaction.command.qualified_name if interaction.command else "?"
    log.error(
        "discord command failed: command=%s guild=%s channel=%s user=%s",
        command,
        interaction.guild_id,
        interaction.channel_id,
        interaction.user.id,
        exc_info=error,
    )
    await _tell(interaction, "⚠️ Something went wrong on my side; nothing was changed. Please try again.")


async def _tell(interaction: BotInteraction, text: str) -> None:
    try:
        await tell(interaction, text)
    except discord.HTTPException:
        log.warning("could not tell the user about the failure (the interaction may have expired)")


# Building and syncing ------------------------------------------------------------------------------


def new_client(interactions: Interactions | None, config: DiscordConfig) -> BotClient:
    """Return a client with every command and persistent button (`interactions` None: sync only)."""
    client = BotClient(interactions, config.application_id, config.shard_count, config.shard_ids)
    client.tree.add_command(
        app_commands.command(name=ASK_COMMAND, description="An ML interview question, just for you")(_ask)
    )
    client.tree.add_command(ChannelCommands())
    practice.install(client)
    mock.install(client)
    yourdata.install(client)
    client.tree.error(_command_failed)
    # Registered before the gateway connects, so clicks on messages posted before a restart work.
    client.add_dynamic_items(*PERSISTENT_BUTTONS)
    return client


async def sync_once(config: DiscordConfig, guild_id: int | None) -> list[str]:
    """Log in over REST only (no gateway), upload the command definitions, return their names."""
    client = new_client(None, config)
    await login(config, client)
    try:
        return [command.name for command in await sync_commands(client, guild_id)]
    finally:
        await client.close()
