"""Discord's message components: the persistent buttons under questions and answers, the views
that hold them, and the suggestion form.

A button's custom_id carries all its click needs, so a click on a message posted before a restart
still works; a click is handed to the client's `Interactions`. A submitted form is read from the
interaction itself (`form_values`), so no view or form is kept in memory.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final, Self

import discord

from adapters.discord.client import handler_of
from bot.messages import AnswerCard, CardKind, Message, QuestionCard, RatingPrompt, SuggestForm
from bot.practice.review import SelfRating
from bot.text import clean

log = logging.getLogger(__name__)

QUESTION_ID = r"(?P<question>[a-z0-9][a-z0-9-]{2,80})"  # the bank's id pattern; fits a 100-char custom_id
SUGGEST_FORM: Final = "mlq:suggest"
# Discord's limits for a form: title and labels 45 characters, descriptions and placeholders 100,
# a text input 4,000 characters. The core allows a 3,000-character question and a 4,000 answer.
FORM_FIELDS: Final = ("question", "answer", "topic", "difficulty")
QUESTION_CHARS, ANSWER_CHARS = 3000, 4000


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


def question_view(question_id: str) -> discord.ui.View:
    """Return the buttons under an on-demand question (persistent: no timeout, stable custom_ids)."""
    view = discord.ui.View(timeout=None)
    view.add_item(AnswerButton(question_id))
    view.add_item(ShareButton(question_id))
    return view


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
    """Return a submitted form's text inputs by custom_id (in labels or the older action rows),
    without control characters (NUL, escape sequences…), which have no business in the store."""
    values: dict[str, str] = {}

    def walk(components: Sequence[Mapping[str, Any]]) -> None:
        for component in components:
            if "component" in component:
                walk([component["component"]])
            walk(component.get("components") or [])
            if component.get("type") == discord.ComponentType.text_input.value:
                values[str(component.get("custom_id"))] = clean(str(component.get("value") or ""))

    walk((data or {}).get("components") or [])
    return values


# Every persistent button: registered on a client before it connects, so old messages' clicks work.
PERSISTENT_BUTTONS: Final = (AnswerButton, ShareButton, RateButton, ReviewAnswerButton)
