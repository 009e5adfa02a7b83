"""Slack's interactive components: the buttons under cards, the rating buttons, the suggestion
modal (with the errors shown under its fields) and the answer modal of "Check my answer", and the ids
their listeners match (`commands`, `practice`, `answering`).

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
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from adapters.slack.mrkdwn import escape, truncate
from bot.messages import AnswerForm, CheckPrompt, RatingPrompt, SuggestForm, rating_label
from bot.practice.mock import is_mock_context
from bot.practice.review import SelfRating

SHOW_ANSWER_ACTION = "mlq_show_answer"
REVIEW_ANSWER_ACTION = "mlq_review_answer"  # "Show answer" on a review card
SHARE_ACTION = "mlq_share"
RATE_ACTION_PREFIX = "mlq_rate_"  # + the SelfRating value: one action id per button of a block
RATE_ACTION = re.compile(rf"^{RATE_ACTION_PREFIX}({'|'.join(r.value for r in SelfRating)})$")
CHECK_ACTION = "mlq_check"  # "Check my answer" (or a mock interview's "Answer")
SUGGEST_CALLBACK = "mlq_suggest"
ANSWER_CALLBACK = "mlq_answer"
# The answer modal's one input (block_id = action_id); `response_action: errors` names it.
ANSWER_FIELD = "answer"
ANSWER_TITLE = "Check my answer"  # a modal title takes at most 24 characters
# The suggestion form's input blocks (block_id = action_id); `response_action: errors` names them.
SUGGEST_FIELDS = ("question", "answer", "topic", "difficulty")
QUESTION_FIELD_LIMIT = 3000  # the core's limit on a suggested question; Slack checks it as they type


def question_buttons(question_id: str, check: CheckPrompt | None = None) -> ActionsBlock:
    """Under an on-demand question: "Check my answer" (if offered), "Show answer (only me)" and
    "Post to channel"."""
    return ActionsBlock(
        block_id=f"mlq_question:{question_id}"[:255],
        elements=[
            *([check_button(check)] if check else []),
            ButtonElement(
                text="Show answer (only me)",
                action_id=SHOW_ANSWER_ACTION,
                value=question_id,
                style="primary",
            ),
            ButtonElement(text="Post to channel", action_id=SHARE_ACTION, value=question_id),
        ],
    )


def review_buttons(question_id: str, check: CheckPrompt | None = None) -> ActionsBlock:
    """Under a review card: "Check my answer" (if offered) and "Show answer (only me)", whose
    ratings count as a review."""
    return ActionsBlock(
        block_id=f"mlq_review:{question_id}"[:255],
        elements=[
            *([check_button(check)] if check else []),
            ButtonElement(
                text="Show answer (only me)",
                action_id=REVIEW_ANSWER_ACTION,
                value=question_id,
                style="primary",
            ),
        ],
    )


def check_block(check: CheckPrompt, primary: bool = False) -> ActionsBlock:
    """The "Check my answer" button on its own (daily, shared and mock cards)."""
    return ActionsBlock(
        block_id=f"mlq_check:{check.question_id}"[:255], elements=[check_button(check, primary)]
    )


def check_button(check: CheckPrompt, primary: bool = False) -> ButtonElement:
    """ "Check my answer" (a mock interview's "Answer"): carries the question and the context the
    feedback's rating buttons will carry, so a click on an old message still works."""
    return ButtonElement(
        text=truncate(check.label, 75),
        action_id=CHECK_ACTION,
        value=prompt_value(check.question_id, check.context),
        style="primary" if primary else None,
    )


def rating_blocks(prompt: RatingPrompt) -> list[Block]:
    """ "How did you do?" and the three self-rating buttons; each carries the question and context.

    After feedback the suggested rating is the pre-chosen (primary) button; otherwise "Nailed it" is.
    """
    chosen = prompt.suggested or SelfRating.NAILED.value
    if prompt.suggested is None:
        text = (
            "*How did you do?* Your rating is yours alone: it brings the question back in "
            "`/mlquestion review` when you are about to forget it."
        )
    else:
        then = "and moves the interview on" if is_mock_context(prompt.context) else "in `/mlquestion review`"
        text = (
            f"*Suggested: {rating_label(prompt.suggested)}* — press it to record it, or pick another. "
            f"Your rating is yours alone: it schedules the question's review {then}."
        )
    return [
        _context(text),
        ActionsBlock(
            block_id=f"mlq_rate:{prompt.context}:{prompt.question_id}"[:255],
            elements=[
                ButtonElement(
                    text=rating.label,
                    action_id=RATE_ACTION_PREFIX + rating.value,
                    value=rating_value(prompt),
                    style="primary" if rating.value == chosen else None,
                )
                for rating in SelfRating
            ],
        ),
    ]


def rating_value(prompt: RatingPrompt) -> str:
    """A rating button's value: the prompt's question id and context (the choice is the action id)."""
    return prompt_value(prompt.question_id, prompt.context)


def parse_rating_value(value: str) -> RatingPrompt | None:
    """The prompt a rating button carries, or None if the value is not one of ours."""
    parsed = parse_prompt_value(value)
    return RatingPrompt(*parsed) if parsed is not None else None


def prompt_value(question_id: str, context: str) -> str:
    """A button's value naming a question and where it was shown (rating and check buttons)."""
    return json.dumps({"question_id": question_id, "context": context}, separators=(",", ":"))


def parse_prompt_value(value: str) -> tuple[str, str] | None:
    """The (question id, context) a button's value carries, or None if it is not one of ours."""
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    question_id, context = data.get("question_id"), data.get("context")
    if not isinstance(question_id, str) or not isinstance(context, str):
        return None
    return question_id, context


def answer_view(form: AnswerForm, private_metadata: str) -> dict[str, Any]:
    """The answer modal (`views.open`): the question's title, one multiline field as long as the form
    allows, and `private_metadata` (question, context, where the click came from) for the submission."""
    view = View(
        type="modal",
        callback_id=ANSWER_CALLBACK,
        title=PlainTextObject(text=ANSWER_TITLE),
        submit=PlainTextObject(text="Check"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=private_metadata,
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"*{escape(truncate(form.title, 2900))}*")),
            _context(
                "Write what you would say in the interview. Only you see the feedback, and your "
                "answer is neither stored nor logged."
            ),
            InputBlock(
                block_id=ANSWER_FIELD,
                label="Your answer",
                element=PlainTextInputElement(
                    action_id=ANSWER_FIELD, multiline=True, max_length=form.max_length
                ),
            ),
        ],
    )
    rendered: dict[str, Any] = view.to_dict()
    return rendered


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
