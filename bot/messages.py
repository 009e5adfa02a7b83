"""Platform-neutral messages: what the core asks an adapter to show. Bodies are Markdown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot import sections
from bot.questions import Question, Reference
from bot.taxonomy import topic_label


class CardKind(StrEnum):
    DAILY = "daily"
    ON_DEMAND = "on_demand"
    SHARED = "shared"  # an on-demand question a user posted to the channel


class NoticeKind(StrEnum):
    INFO = "info"
    ERROR = "error"
    NEW_CYCLE = "new_cycle"


@dataclass(frozen=True, slots=True)
class QuestionCard:
    """A question as posted: daily cards carry their reveal instant; `revealed` marks the edit."""

    question_id: str
    title: str
    topic: str
    topic_label: str
    difficulty: str
    text: str
    kind: CardKind
    hint: str | None = None
    reveal_at: datetime | None = None
    revealed: bool = False
    shared_by: str | None = None  # the platform user id who shared it


@dataclass(frozen=True, slots=True)
class AnswerCard:
    """A model answer: (heading, Markdown) sections in reading order, and references."""

    question_id: str
    title: str
    sections: tuple[tuple[str, str], ...]
    references: tuple[Reference, ...] = ()
    participants: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Notice:
    text: str
    kind: NoticeKind = NoticeKind.INFO


def question_card(
    question: Question, kind: CardKind, reveal_at: datetime | None = None, shared_by: str | None = None
) -> QuestionCard:
    return QuestionCard(
        question_id=question.id,
        title=question.title,
        topic=question.topic,
        topic_label=topic_label(question.topic),
        difficulty=question.difficulty.value,
        text=question.text,
        kind=kind,
        hint=question.sections.get("Hint"),
        reveal_at=reveal_at,
        shared_by=shared_by,
    )


def answer_card(question: Question) -> AnswerCard:
    return AnswerCard(
        question_id=question.id,
        title=question.title,
        sections=tuple(sections.answer_markdown(question.sections, question.is_behavioural)),
        references=question.references,
    )


@dataclass(frozen=True, slots=True)
class UpcomingSlot:
    post_at: datetime
    reveal_at: datetime


@dataclass(frozen=True, slots=True)
class ScheduleCard:
    """A channel's subscription and its next post/reveal instants (adapters render local times)."""

    heading: str
    post_time: str
    zone: str
    days: str
    reveal: str
    filters: str
    paused: bool
    paused_reason: str | None
    upcoming: tuple[UpcomingSlot, ...]


Message = QuestionCard | AnswerCard | Notice | ScheduleCard


@dataclass(frozen=True, slots=True)
class Response:
    """A reply to a command: `private` replies are seen only by the user who asked."""

    message: Message
    private: bool = True
