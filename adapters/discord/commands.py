"""Discord's side of the conversation: the client, the application commands and the persistent buttons.

Commands only read their options and hand over to an `Interactions` handler (the adapter). Option
values become the core's filters or its `/mlquestion` text grammar here, so the core validates.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, Self

import discord
from discord import app_commands

from adapters.discord.render import CONTENT_LIMIT, Outgoing, clip
from bot.commands import valid_filters_text
from bot.content.bank import Filters
from bot.content.taxonomy import TOPICS, Difficulty, resolve_difficulty, resolve_topic
from bot.schedule.rules import ScheduleError, parse_days

log = logging.getLogger(__name__)

ASK_COMMAND = "mlquestion"
CHANNEL_COMMAND = "mlquestion-channel"
QUESTION_ID = r"(?P<question>[a-z0-9][a-z0-9-]{2,80})"  # the bank's id pattern; fits a 100-char custom_id
TOPIC_CHOICES = [app_commands.Choice(name=t.label, value=t.slug) for t in TOPICS]
DIFFICULTY_CHOICES = [app_commands.Choice(name=d.value, value=d.value) for d in Difficulty]
ON_OFF_CHOICES = [app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")]
MAX_CHOICES = 25


class OptionError(ValueError):
    """An option value we cannot use; the message names the option and what is valid."""


class Interactions(Protocol):
    """What the commands, buttons, forms and gateway events hand over to (implemented by the adapter)."""

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

    async def guild_message(self, message: discord.Message) -> None:
        """Any message in a server channel or thread the bot can see (the author, never the text)."""
        ...


class BotClient(discord.AutoShardedClient):
    """The discord.py client: our command tree and buttons, no message cache.

    Intents: GUILDS (channels and threads, so a thread's parent is known) and GUILD_MESSAGES (who
    replied in a question's thread). Neither is privileged; without MESSAGE_CONTENT the messages
    arrive without their text, which the bot never reads.

    An AutoShardedClient even for one shard: it asks `GET /gateway/bot` for the gateway URL (and
    shard count) instead of using a built-in address. `interactions` is None for a client that only
    syncs commands. Keeps no state of ours beyond the handler and the gateway-ready event.
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
        self.tree: app_commands.CommandTree[BotClient] = build_tree(self)
        self.gateway_ready = asyncio.Event()

    async def setup_hook(self) -> None:
        # Registered here, before the gateway connects, so clicks on old messages find them.
        self.add_dynamic_items(AnswerButton, ShareButton)

    async def on_connect(self) -> None:
        self.gateway_ready.set()

    async def on_message(self, message: discord.Message) -> None:
        if self.interactions is not None and message.guild is not None:
            await self.interactions.guild_message(message)

    async def on_interaction(self, interaction: BotInteraction) -> None:
        # Commands and buttons are dispatched by discord.py; forms are read here from the interaction.
        if self.interactions is not None and interaction.type is discord.InteractionType.modal_submit:
            await self.interactions.form_submitted(interaction)


BotInteraction = discord.Interaction[BotClient]


def handler_of(interaction: discord.Interaction[Any]) -> Interactions:
    client = interaction.client
    if not isinstance(client, BotClient) or client.interactions is None:
        raise RuntimeError("this Discord client has no interaction handler (it only syncs commands)")
    return client.interactions


# Replies ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reply:
    """One message of a reply: who sees it, what it shows, and its buttons."""

    private: bool
    message: Outgoing
    view: discord.ui.View | None = None

    def parts(self) -> dict[str, Any]:
        parts: dict[str, Any] = {"content": self.message.content, "embeds": list(self.message.embeds)}
        if self.view is not None:
            parts["view"] = self.view
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


async def deliver(interaction: discord.Interaction[Any], replies: list[Reply], deferred: bool) -> None:
    """Send replies: the response (or the deferred original message) first, then follow-ups."""
    original_pending = deferred
    for reply in replies:
        if not interaction.response.is_done():
            await interaction.response.send_message(ephemeral=reply.private, **reply.parts())
        elif original_pending:
            original_pending = False
            if reply.private:
                await interaction.edit_original_response(**reply.parts())
                continue
            # The deferred original is private: keep it short and post the public part after it.
            await interaction.edit_original_response(content="✅ Done: the reply is posted in the channel.")
            await interaction.followup.send(ephemeral=False, **reply.parts())
        else:
            await interaction.followup.send(ephemeral=reply.private, **reply.parts())


# Buttons -----------------------------------------------------------------------------------------


class QuestionButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"mlq:(?!)",  # never matches
):
    """A persistent button about one question: its custom_id `mlq:<action>:<question id>` carries all
    it needs, so a click on a message posted before a restart still works. Subclasses name the
    action in their template and say what a click does."""

    action: ClassVar[str]
    label: ClassVar[str]
    style: ClassVar[discord.ButtonStyle] = discord.ButtonStyle.secondary

    def __init__(self, question_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=self.label, style=self.style, custom_id=f"mlq:{self.action}:{question_id}"
            )
        )
        self.question_id = question_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["question"])


class AnswerButton(QuestionButton, template=rf"mlq:answer:{QUESTION_ID}"):
    """The "Show answer (only me)" button under an on-demand question."""

    action, label, style = "answer", "Show answer (only me)", discord.ButtonStyle.primary

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await handler_of(interaction).show_answer(interaction, self.question_id)


class ShareButton(QuestionButton, template=rf"mlq:share:{QUESTION_ID}"):
    """The "Post to channel" button: posts the question publicly, once per message it is clicked on."""

    action, label = "share", "Post to channel"

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await handler_of(interaction).share(interaction, self.question_id)


def question_view(question_id: str) -> discord.ui.View:
    """Return the buttons under an on-demand question (persistent: no timeout, stable custom_ids)."""
    view = discord.ui.View(timeout=None)
    view.add_item(AnswerButton(question_id))
    view.add_item(ShareButton(question_id))
    return view


# Options -> core ---------------------------------------------------------------------------------


def ask_filters(topic: str | None, difficulty: str | None) -> Filters:
    """Turn `/mlquestion` options into filters; raise OptionError naming a value we don't know."""
    topics: tuple[str, ...] = ()
    levels: tuple[Difficulty, ...] = ()
    if topic:
        slug = resolve_topic(topic)
        if slug is None:
            raise OptionError(f"`topic`: I don't know the topic `{topic}`. {valid_filters_text()}")
        topics = (slug,)
    if difficulty:
        level = resolve_difficulty(difficulty)
        if level is None:
            raise OptionError(f"`difficulty`: use easy, medium or hard (got `{difficulty}`).")
        levels = (level,)
    return Filters(topics, levels)


def subscribe_text(
    time: str | None,
    timezone: str | None,
    days: str | None,
    reveal: str | None,
    topics: str | None,
    difficulty: str | None,
    holidays: str | None = None,
    skip: str | None = None,
    mentions: str | None = None,
    weekly: str | None = None,
) -> str:
    """Build the core's `subscribe …` text from the options, one unambiguous word per value."""
    words = ["subscribe"]
    if time:
        words.append(_word("time", time, lambda w: w[:1].isdigit() and ":" in w, "HH:MM, e.g. 09:30"))
    if timezone:
        words.append(
            _word(
                "timezone",
                timezone,
                lambda w: "/" in w or w.lower() == "utc",
                "an IANA name, e.g. Europe/Berlin",
            )
        )
    if days:
        word = _word("days", days, lambda w: True, "one word such as mon-fri or mon,wed,fri")
        try:
            parse_days(word)  # checked here: a word that is not days would read as a topic
        except ScheduleError as exc:
            raise OptionError(f"`days`: {exc}") from None
        words.append(word)
    if reveal:
        words += ["reveal", *_reveal_words(reveal)]
    for word in re.split(r"[\s,]+", topics or ""):
        if word and resolve_topic(word) is None:
            raise OptionError(f"`topics`: I don't know the topic `{word}`. {valid_filters_text()}")
        words += [word] if word else []
    if difficulty:
        words.append(
            _word(
                "difficulty", difficulty, lambda w: resolve_difficulty(w) is not None, "easy, medium or hard"
            )
        )
    if holidays:
        words += [
            "holidays",
            _word("holidays", holidays, lambda w: True, "a country code such as GB, or none"),
        ]
    if skip:
        dates = ",".join(d for d in re.split(r"[\s,]+", skip) if d)
        words += ["skip", _word("skip", dates or skip, lambda w: True, "dates such as 2026-12-24,2026-12-31")]
    for option, value in (("mentions", mentions), ("weekly", weekly)):
        if value:
            words += [option, _word(option, value, lambda w: w.lower() in ("on", "off"), "on or off")]
    return " ".join(words)


def _word(option: str, value: str, fits: Callable[[str], bool], expected: str) -> str:
    word = value.strip()
    if not word or len(word.split()) != 1 or not fits(word):
        raise OptionError(f"`{option}`: `{value}` is not {expected}.")
    return word


def _reveal_words(value: str) -> list[str]:
    words = value.strip().split()
    if len(words) == 1:  # a bare "6h" or "17:00"
        words = ["at" if ":" in words[0] else "after", words[0]]
    if len(words) != 2 or words[0].lower() not in ("after", "at"):
        raise OptionError(f"`reveal`: use `after 6h` or `at 17:00` (got `{value}`).")
    return [words[0].lower(), words[1]]


@functools.cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def matching_zones(current: str) -> list[str]:
    """Return up to 25 IANA zones for what was typed: prefix matches first, then any match."""
    typed = current.strip().lower().replace(" ", "_")
    prefix = [z for z in _zones() if z.lower().startswith(typed)]
    inside = [z for z in _zones() if typed in z.lower() and z not in prefix]
    return (prefix + inside)[:MAX_CHOICES]


def matching_topics(current: str) -> list[str]:
    """Complete the last topic of a comma-separated list, keeping the ones before it."""
    head, _, last = current.rpartition(",")
    before = [w.strip() for w in head.split(",") if w.strip()]
    typed = last.strip().lower()
    options = [t.slug for t in TOPICS if typed in t.slug or typed in t.label.lower()]
    return [", ".join([*before, slug]) for slug in options if slug not in before][:MAX_CHOICES]


async def _zone_choices(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=z, value=z) for z in matching_zones(current)]


async def _topic_choices(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=t, value=t) for t in matching_topics(current) if len(t) <= 100]


# Commands ----------------------------------------------------------------------------------------


@app_commands.guild_only()
@app_commands.describe(
    topic="Only questions on this topic",
    difficulty="Only questions of this difficulty",
    share="Post it to the channel for everyone; the answer is revealed later in its thread",
)
@app_commands.choices(topic=TOPIC_CHOICES, difficulty=DIFFICULTY_CHOICES)
async def _ask(
    interaction: BotInteraction, topic: str | None = None, difficulty: str | None = None, share: bool = False
) -> None:
    try:
        filters = ask_filters(topic, difficulty)
    except OptionError as exc:
        await tell(interaction, f"⚠️ {exc}")
        return
    await handler_of(interaction).ask(interaction, filters, share)


class ChannelCommands(app_commands.Group):
    """`/mlquestion-channel …`: the channel's daily question, shown to server managers by default.

    The default can be changed per server, so the caller's permissions are checked again at run
    time (the adapter decides `is_admin`, the core enforces it).
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
    @app_commands.autocomplete(timezone=_zone_choices, topics=_topic_choices)
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


def build_tree(client: BotClient) -> app_commands.CommandTree[BotClient]:
    """Return a command tree holding `/mlquestion` and `/mlquestion-channel`."""
    tree: app_commands.CommandTree[BotClient] = app_commands.CommandTree(client)
    tree.add_command(
        app_commands.command(name=ASK_COMMAND, description="An ML interview question, just for you")(_ask)
    )
    tree.add_command(ChannelCommands())
    tree.error(_command_failed)
    return tree


async def _command_failed(interaction: BotInteraction, error: app_commands.AppCommandError) -> None:
    if isinstance(error, app_commands.TransformerError):
        await tell(interaction, f"⚠️ `{error.value}` is not a value I can use there; pick one from the list.")
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
    try:
        await tell(interaction, "⚠️ Something went wrong on my side; nothing was changed. Please try again.")
    except discord.HTTPException:
        log.warning("could not tell the user about the failure (the interaction may have expired)")


async def sync_commands(client: BotClient, guild_id: int | None) -> list[app_commands.AppCommand]:
    """Upload the command definitions: to one guild (instant), or globally when guild_id is None."""
    if guild_id is None:
        return await client.tree.sync()
    guild = discord.Object(id=guild_id)
    client.tree.copy_global_to(guild=guild)
    return await client.tree.sync(guild=guild)
