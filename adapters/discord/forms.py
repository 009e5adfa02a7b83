"""Discord's forms (modals): the suggestion form, the answer form a "Check my answer" click opens,
reading a submitted form back, and giving back what was typed in a refused one.

A form is only shown, never kept: its submit is read from the interaction itself (`form_values`),
and its custom_id carries what the submit needs, so a form submitted after a restart, or while
others fill theirs, still counts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

import discord

from adapters.discord.components import CONTEXT_CODE, QUESTION_ID, decode_context, encode_context
from adapters.discord.markdown import clip
from adapters.discord.render import DESCRIPTION_LIMIT, SCHEDULE_COLOUR, Outgoing
from bot.messages import AnswerForm, SuggestForm
from bot.text import clean

SUGGEST_FORM: Final = "mlq:suggest"
# Discord's limits for a form: title and labels 45 characters, descriptions and placeholders 100,
# a text input 4,000 characters. The core allows a 3,000-character question and a 4,000 answer.
FORM_FIELDS: Final = ("question", "answer", "topic", "difficulty")
QUESTION_CHARS, ANSWER_CHARS = 3000, 4000
LABEL_CHARS: Final = 45
ANSWER_FORM_TITLE: Final = "Check my answer"
ANSWER_FIELD: Final = "answer"
_ANSWER_FORM = re.compile(rf"mlq:af:{CONTEXT_CODE}:{QUESTION_ID}")


# The answer form -------------------------------------------------------------------------------------


class AnswerModal(discord.ui.Modal):
    """The form a "Check my answer" (or mock "Answer") click opens: one paragraph for the answer,
    labelled with the question's title. Its custom_id `mlq:af:<context>:<question id>` carries
    what `PracticeService.check_answer` needs; raise ValueError for a context no id can carry."""

    def __init__(self, form: AnswerForm) -> None:
        custom_id = f"mlq:af:{encode_context(form.context)}:{form.question_id}"
        super().__init__(title=ANSWER_FORM_TITLE, custom_id=custom_id)
        field: discord.ui.TextInput[AnswerModal] = discord.ui.TextInput(
            custom_id=ANSWER_FIELD,
            style=discord.TextStyle.paragraph,
            required=True,
            max_length=min(form.max_length, ANSWER_CHARS),
            placeholder="What you would say in the interview",
        )
        description = "Only you see the feedback. Your answer is not stored."
        self.add_item(
            discord.ui.Label(text=clip(form.title, LABEL_CHARS), description=description, component=field)
        )


def answer_form_target(custom_id: object) -> tuple[str, str] | None:
    """The (question id, context) a submitted answer form is for; None if it is not one."""
    match = _ANSWER_FORM.fullmatch(custom_id) if isinstance(custom_id, str) else None
    return (match["question"], decode_context(match["context"])) if match else None


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


def form_echo(question: str, answer: str, topic: str = "", difficulty: str = "") -> list[Outgoing]:
    """Give back what someone typed in a refused form, one embed per message, so nothing is lost.

    The text goes in a code block (copied back exactly, Markdown and all) unless it holds a fence.
    """
    extra = [f"topic `{topic}`"] if topic else []
    extra += [f"difficulty `{difficulty}`"] if difficulty else []
    intro = "Here is what you typed, to paste into `/mlquestion-suggest` again"
    intro += f" ({', '.join(extra)})." if extra else "."
    messages: list[Outgoing] = []
    for title, text in (("Your question", question), ("Your answer", answer)):
        if not text.strip():
            continue
        fenced = "```" not in text
        room = DESCRIPTION_LIMIT - (8 if fenced else 0)
        chunks = [text[i : i + room] for i in range(0, len(text), room)]
        for index, chunk in enumerate(chunks, 1):
            part = f" ({index} of {len(chunks)})" if len(chunks) > 1 else ""
            body = f"```\n{chunk}\n```" if fenced else chunk
            embed = discord.Embed(title=title + part, description=body, colour=SCHEDULE_COLOUR)
            messages.append(Outgoing(embeds=(embed,)))
    if not messages:
        return [Outgoing(content=intro)] if extra else []
    first = messages[0]
    messages[0] = Outgoing(intro, first.embeds)
    return messages
