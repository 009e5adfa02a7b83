"""Checking a person's own answer: the form a "Check my answer" click opens, and the private feedback
the engine gives on what they typed. The answer text is passed to the engine and dropped: it is
never stored or logged."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.content.questions import Question
from bot.feedback.model import Feedback, FeedbackEngine, FeedbackError
from bot.feedback.render import feedback_text
from bot.messages import AnswerForm, FeedbackCard, Notice, NoticeKind, RatingPrompt, Response, answer_card
from bot.text import clean

ANSWER_LIMIT = 4000  # characters, as Slack's and Discord's form fields allow
_BULLET = re.compile(r"^\s*[-*]\s+(.+)$", re.M)


def answer_form(question: Question, context: str) -> AnswerForm:
    return AnswerForm(question.id, question.title, context, ANSWER_LIMIT)


def tidy_answer(answer: str) -> tuple[str, str | None]:
    """The answer as the engine sees it, or why it can't be checked (empty, too long)."""
    text = clean(answer).strip()
    if not text:
        return text, "Your answer is empty: write or paste it in the form, then submit."
    if len(text) > ANSWER_LIMIT:
        return text, f"Your answer has {len(text)} characters; the form takes at most {ANSWER_LIMIT}."
    return text, None


async def assess(engine: FeedbackEngine, question: Question, answer: str) -> Feedback | Response:
    """Run the engine; a question without a rubric or an empty answer comes back as a private notice."""
    try:
        return await engine.assess(question, answer)
    except FeedbackError as exc:
        return Response(Notice(f"I can't check this answer: {exc}.", NoticeKind.ERROR))


def follow_up_of(question: Question, feedback: Feedback, turn: int = 0) -> str | None:
    """The interviewer's next probe: the model's own (written for what was said) when it gave one,
    else one of the question's follow-ups, rotating with `turn` so repeats vary."""
    if feedback.follow_up:
        return feedback.follow_up
    options = _BULLET.findall(question.sections.get("Follow-ups", ""))
    return options[turn % len(options)].strip() if options else None


def feedback_card(
    question: Question,
    feedback: Feedback,
    context: str,
    follow_up: str | None = None,
    progress: str | None = None,
) -> FeedbackCard:
    """Feedback, then the model answer, then rating buttons with the suggested rating pre-chosen."""
    if follow_up is not None and follow_up == feedback.follow_up:
        feedback = replace(feedback, follow_up="")  # shown once, as the card's follow-up
    return FeedbackCard(
        question_id=question.id,
        title=question.title,
        body=feedback_text(feedback),
        answer=answer_card(question),
        rating=RatingPrompt(question.id, context, suggested=feedback.suggested.value),
        follow_up=follow_up,
        progress=progress,
    )
