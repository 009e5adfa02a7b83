"""Discord's message components: the persistent buttons under questions, answers and feedback, and
the views that hold them (the forms they open are in `forms`).

A button's custom_id carries all its click needs, so a click on a message posted before a restart
still works; a click is handed to the client's `Interactions`. No view is kept in memory.
"""

from __future__ import annotations

import logging
import re
from typing import Any, ClassVar, Final, Self

import discord

from adapters.discord.client import Reply, handler_of
from adapters.discord.render import render
from adapters.discord.yourdata import BUTTONS as YOUR_DATA_BUTTONS
from adapters.discord.yourdata import forget_view
from bot.messages import (
    AnswerCard,
    CardKind,
    CheckPrompt,
    DataExport,
    FeedbackCard,
    ForgetConfirm,
    Message,
    QuestionCard,
    RatingPrompt,
    Response,
)
from bot.practice.review import SelfRating

log = logging.getLogger(__name__)

QUESTION_ID = r"(?P<question>[a-z0-9][a-z0-9-]{2,80})"  # the bank's id pattern; fits a 100-char custom_id


# Question buttons ----------------------------------------------------------------------------------


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


def question_view(question_id: str, check: CheckPrompt | None = None) -> discord.ui.View:
    """Return the buttons under an on-demand question (persistent: no timeout, stable custom_ids)."""
    view = discord.ui.View(timeout=None)
    view.add_item(AnswerButton(question_id))
    view.add_item(ShareButton(question_id))
    for item in check_items(check):
        view.add_item(item)
    return view


# Contexts in custom_ids -------------------------------------------------------------------------------

# A rating button's custom_id must hold the choice, the question id (up to 81 characters) and the
# core's context within Discord's 100: `mlq:rt:<n|p|m>:<context>:<question id>`, where the context
# `post:<id>` becomes `p<id in base 36>`, `ask:`/`review:<YYYY-MM-DD>` become `a`/`r<YYYYMMDD>` and
# `mock:<session>:<n>` becomes `m<session in base 36><n>` (at most 9 characters every way; the core
# numbers a mock's questions with one digit). Check buttons and answer forms carry the same code.
_CHOICE_CODES: Final = {SelfRating.NAILED: "n", SelfRating.PARTLY: "p", SelfRating.MISSED: "m"}
_CHOICES_BY_CODE: Final = {code: choice for choice, code in _CHOICE_CODES.items()}
_STYLES: Final = {
    SelfRating.NAILED: discord.ButtonStyle.success,
    SelfRating.PARTLY: discord.ButtonStyle.secondary,
    SelfRating.MISSED: discord.ButtonStyle.danger,
}
CONTEXT_CODE: Final = r"(?P<context>p[0-9a-z]{1,8}|[ar]\d{8}|m[0-9a-z]{1,7}\d)"
_DATE_CONTEXT = re.compile(r"(ask|review):(\d{4})-(\d{2})-(\d{2})")
_MOCK_CONTEXT = re.compile(r"mock:(\d{1,10}):(\d)")


def encode_context(context: str) -> str:
    """Shorten a core rating context for a custom_id (see above); raise ValueError if unknown."""
    if context.startswith("post:") and context[5:].isdigit():
        return "p" + _base36(int(context[5:]))
    mock = _MOCK_CONTEXT.fullmatch(context)
    if mock is not None:
        return f"m{_base36(int(mock[1]))}{mock[2]}"
    date = _DATE_CONTEXT.fullmatch(context)
    if date is None:
        raise ValueError(f"not a rating context: {context!r}")
    return date[1][0] + date[2] + date[3] + date[4]


def decode_context(code: str) -> str:
    """Return the core's context from its custom_id form."""
    if code.startswith("p"):
        return f"post:{int(code[1:], 36)}"
    if code.startswith("m"):
        return f"mock:{int(code[1:-1], 36)}:{code[-1]}"
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


# Rating buttons -------------------------------------------------------------------------------------


class RateButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=rf"mlq:rt:(?P<choice>[npm]):{CONTEXT_CODE}:{QUESTION_ID}",
):
    """*Nailed it* · *Partly* · *Missed it*: records the clicking user's own rating (persistent).

    Under feedback the suggested rating is pre-chosen: that button primary, the others secondary.
    """

    def __init__(self, choice: SelfRating, prompt: RatingPrompt) -> None:
        code = f"mlq:rt:{_CHOICE_CODES[choice]}:{encode_context(prompt.context)}:{prompt.question_id}"
        style = _STYLES[choice]
        if prompt.suggested is not None:
            chosen = prompt.suggested == choice.value
            style = discord.ButtonStyle.primary if chosen else discord.ButtonStyle.secondary
        super().__init__(discord.ui.Button(label=choice.label, style=style, custom_id=code))
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


# Check my answer ------------------------------------------------------------------------------------


class CheckButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=rf"mlq:ck:{CONTEXT_CODE}:{QUESTION_ID}",
):
    """*Check my answer* (a mock interview's *Answer*): opens the answer form (persistent). Its
    custom_id `mlq:ck:<context>:<question id>` carries the context the feedback's ratings carry."""

    def __init__(self, check: CheckPrompt) -> None:
        code = f"mlq:ck:{encode_context(check.context)}:{check.question_id}"
        style = discord.ButtonStyle.primary
        super().__init__(discord.ui.Button(label=check.label, style=style, custom_id=code))
        self.check = check

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CheckButton:
        return cls(CheckPrompt(match["question"], decode_context(match["context"])))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await handler_of(interaction).check_clicked(interaction, self.check.question_id, self.check.context)


def check_items(check: CheckPrompt | None) -> list[discord.ui.Item[Any]]:
    """The card's check button, if it has one (a context no button can carry leaves it out)."""
    try:
        return [CheckButton(check)] if check else []
    except ValueError:
        log.warning("discord: no check button for %r", check)
        return []


def rating_view(prompt: RatingPrompt | None, *first: discord.ui.Item[Any]) -> discord.ui.View:
    """Return the items in `first`, then the three rating buttons, as a persistent view.

    A prompt whose context cannot go in a button (none today) leaves the rating buttons out, with a
    warning, rather than failing the message they go under.
    """
    view = discord.ui.View(timeout=None)
    for item in first:
        view.add_item(item)
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
        return question_view(message.question_id, message.check)
    if isinstance(message, QuestionCard) and message.kind is CardKind.REVIEW:
        first = [ReviewAnswerButton(message.question_id), *check_items(message.check)]
        return rating_view(message.rating, *first)
    if isinstance(message, QuestionCard):  # daily, shared and mock cards: only the check button
        view = discord.ui.View(timeout=None)
        for item in check_items(message.check):
            view.add_item(item)
    elif isinstance(message, AnswerCard | FeedbackCard) and message.rating is not None:
        view = rating_view(message.rating)
    elif isinstance(message, ForgetConfirm):
        view = forget_view(message)
    else:
        return None
    return view if view.children else None


def replies_for(response: Response) -> list[Reply]:
    """Render a core response as replies; its buttons (and an export's files) go with the last message."""
    outgoing = render(response.message)
    view = view_for(response.message)
    files = response.message.files if isinstance(response.message, DataExport) else ()
    last = len(outgoing) - 1
    return [
        Reply(response.private, out, view, files) if index == last else Reply(response.private, out)
        for index, out in enumerate(outgoing)
    ]


# Every persistent button: registered on a client before it connects, so old messages' clicks work.
PERSISTENT_BUTTONS: Final = (
    AnswerButton,
    ShareButton,
    RateButton,
    ReviewAnswerButton,
    CheckButton,
    *YOUR_DATA_BUTTONS,
)
