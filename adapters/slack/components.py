"""Slack's interactive components: the buttons under cards, the rating buttons and the suggestion
modal (with the errors shown under its fields), and the ids their listeners match (`commands`,
`practice`).

Pure functions; a button's value carries all its click needs, so clicks on old messages still work.
"""

from __future__ import annotations

import json
import re
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from adapters.slack.mrkdwn import truncate
from bot.messages import RatingPrompt, SuggestForm
from bot.practice.review import SelfRating

SHOW_ANSWER_ACTION = "mlq_show_answer"
REVIEW_ANSWER_ACTION = "mlq_review_answer"  # "Show answer" on a review card
SHARE_ACTION = "mlq_share"
RATE_ACTION_PREFIX = "mlq_rate_"  # + the SelfRating value: one action id per button of a block
RATE_ACTION = re.compile(rf"^{RATE_ACTION_PREFIX}({'|'.join(r.value for r in SelfRating)})$")
SUGGEST_CALLBACK = "mlq_suggest"
# The suggestion form's input blocks (block_id = action_id); `response_action: errors` names them.
SUGGEST_FIELDS = ("question", "answer", "topic", "difficulty")
QUESTION_FIELD_LIMIT = 3000  # the core's limit on a suggested question; Slack checks it as they type


def question_buttons(question_id: str) -> ActionsBlock:
    """Under an on-demand question: "Show answer (only me)" and "Post to channel"."""
    return ActionsBlock(
        block_id=f"mlq_question:{question_id}"[:255],
        elements=[
            ButtonElement(
                text="Show answer (only me)",
                action_id=SHOW_ANSWER_ACTION,
                value=question_id,
                style="primary",
            ),
            ButtonElement(text="Post to channel", action_id=SHARE_ACTION, value=question_id),
        ],
    )


def review_buttons(question_id: str) -> ActionsBlock:
    """Under a review card: "Show answer (only me)", whose ratings count as a review."""
    return ActionsBlock(
        block_id=f"mlq_review:{question_id}"[:255],
        elements=[
            ButtonElement(
                text="Show answer (only me)",
                action_id=REVIEW_ANSWER_ACTION,
                value=question_id,
                style="primary",
            )
        ],
    )


def rating_blocks(prompt: RatingPrompt) -> list[Block]:
    """ "How did you do?" and the three self-rating buttons; each carries the question and context."""
    value = rating_value(prompt)
    return [
        _context(
            "*How did you do?* Your rating is yours alone: it brings the question back in "
            "`/mlquestion review` when you are about to forget it."
        ),
        ActionsBlock(
            block_id=f"mlq_rate:{prompt.context}:{prompt.question_id}"[:255],
            elements=[
                ButtonElement(
                    text=rating.label,
                    action_id=RATE_ACTION_PREFIX + rating.value,
                    value=value,
                    style="primary" if rating is SelfRating.NAILED else None,
                )
                for rating in SelfRating
            ],
        ),
    ]


def rating_value(prompt: RatingPrompt) -> str:
    """A rating button's value: the prompt's question id and context (the choice is the action id)."""
    return json.dumps({"question_id": prompt.question_id, "context": prompt.context}, separators=(",", ":"))


def parse_rating_value(value: str) -> RatingPrompt | None:
    """The prompt a rating button carries, or None if the value is not one of ours."""
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    question_id, context = data.get("question_id"), data.get("context")
    if not isinstance(question_id, str) or not isinstance(context, str):
        return None
    return RatingPrompt(question_id, context)


def suggest_view(form: SuggestForm, private_metadata: str) -> dict[str, Any]:
    """The suggestion modal (`views.open`); `private_metadata` travels back with its submission."""
    topics = [Option(value=slug, text=truncate(label, 75)) for slug, label in form.topics]
    levels = [Option(value=level, text=level.capitalize()) for level in form.difficulties]
    question, answer, topic, difficulty = SUGGEST_FIELDS
    view = View(
        type="modal",
        callback_id=SUGGEST_CALLBACK,
        title=PlainTextObject(text="Suggest a question"),
        submit=PlainTextObject(text="Send"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=private_metadata,
        blocks=[
            _context("Moderators review every suggestion before it joins the bank."),
            InputBlock(
                block_id=question,
                label="Question",
                element=PlainTextInputElement(
                    action_id=question, multiline=True, max_length=QUESTION_FIELD_LIMIT
                ),
            ),
            InputBlock(
                block_id=answer,
                label="Model answer",
                element=PlainTextInputElement(action_id=answer, multiline=True),
            ),
            InputBlock(
                block_id=topic,
                label="Topic",
                optional=True,
                element=StaticSelectElement(action_id=topic, placeholder="Choose a topic", options=topics),
            ),
            InputBlock(
                block_id=difficulty,
                label="Difficulty",
                optional=True,
                element=StaticSelectElement(
                    action_id=difficulty, placeholder="Choose a difficulty", options=levels
                ),
            ),
        ],
    )
    rendered: dict[str, Any] = view.to_dict()
    return rendered


def suggestion_errors(text: str) -> dict[str, str]:
    """Map the core's "Not saved: the answer is empty; unknown topic 'x'." onto the form's fields.

    The core names each problem in words; anything not recognised goes under the question field so
    the person still sees it.
    """
    problems = [p.strip() for p in text.removeprefix("Not saved:").strip().rstrip(".").split(";")]
    question, answer, topic, difficulty = SUGGEST_FIELDS
    errors: dict[str, list[str]] = {}
    for problem in filter(None, problems):
        lower = problem.lower()
        if lower.startswith("the answer"):
            field = answer
        elif "topic" in lower:
            field = topic
        elif "difficulty" in lower:
            field = difficulty
        else:
            field = question
        errors.setdefault(field, []).append(problem[:1].upper() + problem[1:])
    return {field: "; ".join(items)[:300] for field, items in errors.items()} or {question: text[:300]}


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])
