"""Discord's side of "practice that sticks": thread replies counted, the rating buttons, the review,
stats, leaderboard and suggest commands, and the suggestion form.

The adapter owns a `DiscordPractice` and hands it these interactions; `install` adds the commands
and the persistent buttons to a client. Everything goes through the core's grammar and service.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, Final, Protocol

import discord
from discord import app_commands

from adapters.discord.commands import (
    QUESTION_ID,
    BotClient,
    BotInteraction,
    QuestionButton,
    Reply,
    handler_of,
    question_view,
    tell,
)
from adapters.discord.render import form_echo
from bot.messages import (
    AnswerCard,
    CardKind,
    Message,
    Notice,
    NoticeKind,
    QuestionCard,
    RatingPrompt,
    Response,
    SuggestForm,
)
from bot.practice.review import SelfRating
from bot.seam import Destination
from bot.service import Invocation, PracticeService

log = logging.getLogger(__name__)

REVIEW_COMMAND: Final = "mlquestion-review"
STATS_COMMAND: Final = "mlquestion-stats"
LEADERBOARD_COMMAND: Final = "mlquestion-leaderboard"
OPTOUT_COMMAND: Final = "mlquestion-leaderboard-optout"
SUGGEST_COMMAND: Final = "mlquestion-suggest"
LINK_COMMAND: Final = "mlquestion-link"
UNLINK_COMMAND: Final = "mlquestion-unlink"
SUGGEST_FORM: Final = "mlq:suggest"
# Discord's limits for a form: title and labels 45 characters, descriptions and placeholders 100,
# a text input 4,000 characters. The core allows a 3,000-character question and a 4,000 answer.
FORM_FIELDS: Final = ("question", "answer", "topic", "difficulty")
QUESTION_CHARS, ANSWER_CHARS = 3000, 4000
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


# Rating buttons -------------------------------------------------------------------------------------

# A rating button's custom_id must hold the choice, the question id (up to 81 characters) and the
# core's context within Discord's 100: `mlq:rt:<n|p|m>:<context>:<question id>`, where the context
# `post:<id>` becomes `p<id in base 36>` and `ask:`/`review:<YYYY-MM-DD>` become `a`/`r<YYYYMMDD>`
# (at most 9 characters either way).
_CHOICE_CODES: Final = {SelfRating.NAILED: "n", SelfRating.PARTLY: "p", SelfRating.MISSED: "m"}
_CHOICES_BY_CODE: Final = {code: choice for choice, code in _CHOICE_CODES.items()}
_STYLES: Final = {
    SelfRating.NAILED: discord.ButtonStyle.success,
    SelfRating.PARTLY: discord.ButtonStyle.secondary,
    SelfRating.MISSED: discord.ButtonStyle.danger,
}
_CONTEXT_CODE = r"(?P<context>p[0-9a-z]{1,8}|[ar]\d{8})"
_DATE_CONTEXT = re.compile(r"(ask|review):(\d{4})-(\d{2})-(\d{2})")


def encode_context(context: str) -> str:
    """Shorten a core rating context for a custom_id (see above); raise ValueError if unknown."""
    if context.startswith("post:") and context[5:].isdigit():
        return "p" + _base36(int(context[5:]))
    date = _DATE_CONTEXT.fullmatch(context)
    if date is None:
        raise ValueError(f"not a rating context: {context!r}")
    return date[1][0] + date[2] + date[3] + date[4]


def decode_context(code: str) -> str:
    """Return the core's context from its custom_id form."""
    if code.startswith("p"):
        return f"post:{int(code[1:], 36)}"
    kind = "ask" if code.startswith("a") else "review"
    return f"{kind}:{code[1:5]}-{code[5:7]}-{code[7:9]}"


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


class RateButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=rf"mlq:rt:(?P<choice>[npm]):{_CONTEXT_CODE}:{QUESTION_ID}",
):
    """*Nailed it* · *Partly* · *Missed it*: records the clicking user's own rating (persistent)."""

    def __init__(self, choice: SelfRating, prompt: RatingPrompt) -> None:
        code = f"mlq:rt:{_CHOICE_CODES[choice]}:{encode_context(prompt.context)}:{prompt.question_id}"
        super().__init__(discord.ui.Button(label=choice.label, style=_STYLES[choice], custom_id=code))
        self.choice, self.prompt = choice, prompt

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RateButton:
        prompt = RatingPrompt(match["question"], decode_context(match["context"]))
        return cls(_CHOICES_BY_CODE[match["choice"]], prompt)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await handler_of(interaction).rate(
            interaction, self.prompt.question_id, self.prompt.context, self.choice.value
        )


class ReviewAnswerButton(QuestionButton, template=rf"mlq:review:{QUESTION_ID}"):
    """The review card's "Show answer (only me)": ratings under that answer count as a review."""

    action, label, style = "review", "Show answer (only me)", discord.ButtonStyle.primary

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await handler_of(interaction).show_answer(interaction, self.question_id, review=True)


def rating_view(prompt: RatingPrompt | None, first: discord.ui.Item[Any] | None = None) -> discord.ui.View:
    """Return `first` (if given) and the three rating buttons as a persistent view.

    A prompt whose context cannot go in a button (none today) leaves the rating buttons out, with a
    warning, rather than failing the message they go under.
    """
    view = discord.ui.View(timeout=None)
    if first is not None:
        view.add_item(first)
    try:
        buttons = [RateButton(choice, prompt) for choice in SelfRating] if prompt else []
    except ValueError:
        log.warning("discord: no rating buttons for %r", prompt)
        buttons = []
    for button in buttons:
        view.add_item(button)
    return view


def view_for(message: Message) -> discord.ui.View | None:
    """Return the buttons that go under (the last message of) a rendered core message, if any."""
    if isinstance(message, QuestionCard) and message.kind is CardKind.ON_DEMAND:
        return question_view(message.question_id)
    if isinstance(message, QuestionCard) and message.kind is CardKind.REVIEW:
        return rating_view(message.rating, ReviewAnswerButton(message.question_id))
    if isinstance(message, AnswerCard) and message.rating is not None:
        view = rating_view(message.rating)
        return view if view.children else None
    return None


# The suggestion form ---------------------------------------------------------------------------------


class SuggestModal(discord.ui.Modal):
    """The form `/mlquestion-suggest` opens: question and answer (paragraphs), topic and difficulty.

    It is only a form to show: the submit is read from the interaction itself (`form_values`), not
    from this object, so a form submitted after a restart, or while others fill theirs, still counts.
    """

    def __init__(self, form: SuggestForm) -> None:
        super().__init__(title="Suggest an interview question", custom_id=SUGGEST_FORM)
        topics = ", ".join(slug for slug, _ in form.topics)
        fields = (
            ("Question", "What would you ask in an interview?", "question", True, QUESTION_CHARS, None),
            ("Model answer", "What a strong answer says.", "answer", True, ANSWER_CHARS, None),
            ("Topic (optional)", "Leave empty if unsure.", "topic", False, 60, topics),
            ("Difficulty (optional)", None, "difficulty", False, 20, " · ".join(form.difficulties)),
        )
        for text, description, custom_id, required, limit, placeholder in fields:
            style = discord.TextStyle.paragraph if required else discord.TextStyle.short
            field: discord.ui.TextInput[SuggestModal] = discord.ui.TextInput(
                custom_id=custom_id,
                style=style,
                required=required,
                max_length=limit,
                placeholder=_clip(placeholder, 100) if placeholder else None,
            )
            self.add_item(discord.ui.Label(text=text, description=description, component=field))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(",", 1)[0] + ", …"


def form_values(data: Mapping[str, Any] | None) -> dict[str, str]:
    """Return a submitted form's text inputs by custom_id (in labels or the older action rows)."""
    values: dict[str, str] = {}

    def walk(components: Sequence[Mapping[str, Any]]) -> None:
        for component in components:
            if "component" in component:
                walk([component["component"]])
            walk(component.get("components") or [])
            if component.get("type") == discord.ComponentType.text_input.value:
                values[str(component.get("custom_id"))] = str(component.get("value") or "")

    walk((data or {}).get("components") or [])
    return values


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
    """Add the practice commands and persistent buttons to a client (before it syncs or connects).

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
    client.add_dynamic_items(RateButton, ReviewAnswerButton)


# Handling ------------------------------------------------------------------------------------------


class Host(Protocol):
    """What the practice handlers use of the adapter."""

    platform: str
    service: PracticeService
    client: BotClient | None

    def invocation(self, interaction: BotInteraction) -> Invocation | None: ...

    async def respond(
        self, interaction: BotInteraction, work: Awaitable[Sequence[Response | Reply]], *, defer: bool
    ) -> None: ...


class DiscordPractice:
    """Handles the practice interactions and thread replies for the adapter. Keeps no state."""

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
        invocation = self._invocation(interaction)
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
        invocation = self._invocation(interaction)
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
        invocation = self._invocation(interaction)
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
        # Nothing was saved: give the text back so it can go into the form again.
        echo = form_echo(values.get("question", ""), values.get("answer", ""), topic, difficulty)
        return [response, *(Reply(True, part) for part in echo)]

    def _invocation(self, interaction: BotInteraction) -> Invocation | None:
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
