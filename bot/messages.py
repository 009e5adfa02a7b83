"""Platform-neutral messages: what the core asks an adapter to show. Bodies are Markdown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.content import sections
from bot.content.questions import Question, Reference
from bot.content.taxonomy import topic_label


class CardKind(StrEnum):
    DAILY = "daily"
    ON_DEMAND = "on_demand"
    SHARED = "shared"  # an on-demand question a user posted to the channel
    REVIEW = "review"  # a question due in the caller's spaced-repetition schedule (private)


class NoticeKind(StrEnum):
    INFO = "info"
    ERROR = "error"
    NEW_CYCLE = "new_cycle"


@dataclass(frozen=True, slots=True)
class RatingPrompt:
    """Asks for Nailed it / Partly / Missed it. Adapters put both fields in their buttons and hand
    them back with the clicking user to `PracticeService.rate`; `context` says where the buttons were
    ("post:<id>" under a reveal, "ask:<date>" or "review:<date>" privately)."""

    question_id: str
    context: str


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
    rating: RatingPrompt | None = None  # review cards: rate after looking at the answer
    overdue_since: datetime | None = None  # review cards: when it fell due


@dataclass(frozen=True, slots=True)
class AnswerCard:
    """A model answer: (heading, Markdown) sections in reading order, and references."""

    question_id: str
    title: str
    sections: tuple[tuple[str, str], ...]
    references: tuple[Reference, ...] = ()
    # Platform user ids of those who replied in the thread before the reveal, first first.
    participants: tuple[str, ...] = ()
    # False: name them without notifying them (the subscription turned mentions off).
    mention_participants: bool = True
    rating: RatingPrompt | None = None


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


def answer_card(
    question: Question,
    rating: RatingPrompt | None = None,
    participants: tuple[str, ...] = (),
    mention_participants: bool = True,
) -> AnswerCard:
    return AnswerCard(
        question_id=question.id,
        title=question.title,
        sections=tuple(sections.answer_markdown(question.sections, question.is_behavioural)),
        references=question.references,
        participants=participants,
        mention_participants=mention_participants,
        rating=rating,
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
    skips: str = "none"  # holidays and dates skipped
    skipped_soon: tuple[tuple[str, str], ...] = ()  # (ISO date, reason) in the next weeks
    options: str = ""  # mentions and weekly summary, in words


@dataclass(frozen=True, slots=True)
class TopicScore:
    topic_label: str
    nailed: int
    partly: int
    missed: int


@dataclass(frozen=True, slots=True)
class StatsCard:
    """A person's own practice figures; always a private reply."""

    current_streak: int
    longest_streak: int
    streak_scope: str | None  # which channel's daily questions the streak counts (None: no channel)
    answered: int  # daily or shared questions replied to in their threads
    rated: int
    topics: tuple[TopicScore, ...]  # weakest first
    reviews_due: int
    next_review_at: datetime | None


@dataclass(frozen=True, slots=True)
class LeaderboardRow:
    rank: int
    user_id: str  # platform user id: adapters name the person without notifying them
    questions: int


@dataclass(frozen=True, slots=True)
class LeaderboardCard:
    """A channel's most regular participants over a period, counted by questions taken part in
    (replied to or rated), never by how they rated themselves."""

    period: str  # "this week", "the last 30 days", "all time"
    rows: tuple[LeaderboardRow, ...]
    questions_posted: int
    opt_out_hint: str


@dataclass(frozen=True, slots=True)
class SuggestForm:
    """Asks the adapter to open its suggestion form (Slack modal, Discord modal, console prompts)."""

    topics: tuple[tuple[str, str], ...]  # (slug, label)
    difficulties: tuple[str, ...]


Message = QuestionCard | AnswerCard | Notice | ScheduleCard | StatsCard | LeaderboardCard | SuggestForm


@dataclass(frozen=True, slots=True)
class Response:
    """A reply to a command: `private` replies are seen only by the user who asked."""

    message: Message
    private: bool = True
