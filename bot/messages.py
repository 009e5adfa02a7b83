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
    MOCK = "mock"  # a question of a mock interview (private, in direct messages where possible)


class NoticeKind(StrEnum):
    INFO = "info"
    ERROR = "error"
    NEW_CYCLE = "new_cycle"


@dataclass(frozen=True, slots=True)
class RatingPrompt:
    """Asks for Nailed it / Partly / Missed it. Adapters put both fields in their buttons and hand
    them back with the clicking user to `PracticeService.rate`; `context` says where the buttons were
    ("post:<id>" under a reveal, "ask:<date>" or "review:<date>" privately, "mock:<session>:<n>" in a
    mock interview). `suggested` (a rating value) is the button to show pre-chosen after feedback."""

    question_id: str
    context: str
    suggested: str | None = None


@dataclass(frozen=True, slots=True)
class CheckPrompt:
    """A "Check my answer" button. Adapters put both fields in it, open their answer form on a click
    (`AnswerForm`), and hand the typed answer back to `PracticeService.check_answer` with them; the
    context is the one the feedback's rating buttons will carry (see `RatingPrompt`)."""

    question_id: str
    context: str
    label: str = "Check my answer"


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
    check: CheckPrompt | None = None  # the "Check my answer" button
    # Mock interviews: "Question 2 of 5 · mock interview" above the card.
    progress: str | None = None


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
    question: Question,
    kind: CardKind,
    reveal_at: datetime | None = None,
    shared_by: str | None = None,
    check: str | None = None,
) -> QuestionCard:
    """A card for `question`; `check` is the context of its "Check my answer" button, if it has one."""
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
        check=CheckPrompt(question.id, check) if check else None,
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


@dataclass(frozen=True, slots=True)
class AnswerForm:
    """Asks the adapter to open its answer form (Slack modal, Discord modal, console prompt) for a
    "Check my answer" click; the answer typed there goes to `PracticeService.check_answer`."""

    question_id: str
    title: str
    context: str
    max_length: int


@dataclass(frozen=True, slots=True)
class FeedbackCard:
    """Feedback on a person's own answer, always private: `body` is Markdown (key points covered ✓
    with the words that matched, missed ✗, misconceptions ⚠ with a correction, the suggested rating),
    then the model answer, then the rating buttons with the suggested one pre-chosen.

    In a mock interview `follow_up` is the interviewer's next probe and `progress` says where the
    session is; the rating click moves the interview on."""

    question_id: str
    title: str
    body: str
    answer: AnswerCard
    rating: RatingPrompt
    follow_up: str | None = None
    progress: str | None = None


@dataclass(frozen=True, slots=True)
class MockResult:
    title: str
    topic_label: str
    difficulty: str
    rating: str | None  # a rating value, or None when the session ended before it was rated


@dataclass(frozen=True, slots=True)
class MockSummary:
    """The end of a mock interview: each question's rating, strong and weak topics, an overall read."""

    results: tuple[MockResult, ...]
    strong: tuple[str, ...]
    weak: tuple[str, ...]
    overall: str
    ended: str  # "finished", "stopped" or "expired"


@dataclass(frozen=True, slots=True)
class ExportFile:
    """One file of a data export: its name (safe for any platform), bytes and media type."""

    name: str
    content: bytes
    media_type: str


@dataclass(frozen=True, slots=True)
class DataExport:
    """A person's own data as files, always private: `text` (Markdown) says what each file holds."""

    text: str
    files: tuple[ExportFile, ...]


@dataclass(frozen=True, slots=True)
class ForgetConfirm:
    """Asks the person to confirm `forget-me`: `text` says what will be deleted. Adapters show a
    confirm and a cancel control (buttons, or a typed word) and call `PracticeService.forget` with
    the confirming person's own invocation: nobody can confirm for someone else."""

    text: str
    confirm_label: str = "Delete everything about me"
    cancel_label: str = "Keep my data"


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What `forget-me` deleted: (kind, rows) for every kind, zero counts included."""

    deleted: tuple[tuple[str, int], ...]

    @property
    def text(self) -> str:
        """The counts as Markdown, the kinds with nothing to delete grouped on one line."""
        found = [f"• {kind}: {count}" for kind, count in self.deleted if count]
        none = [kind for kind, count in self.deleted if not count]
        lines = ["**Deleted everything kept about you here.**", *found]
        if not found:
            lines.append("There was nothing kept about you.")
        if none:
            lines.append("Nothing to delete: " + ", ".join(none) + ".")
        lines.append(
            "You are gone from leaderboards and participation counts (they were made from your "
            "replies and ratings). Anything new you do is kept again, as before."
        )
        return "\n".join(lines)


Message = (
    QuestionCard
    | AnswerCard
    | Notice
    | ScheduleCard
    | StatsCard
    | LeaderboardCard
    | SuggestForm
    | AnswerForm
    | FeedbackCard
    | MockSummary
    | DataExport
    | ForgetConfirm
    | Forgotten
)


@dataclass(frozen=True, slots=True)
class Response:
    """A reply to a command: `private` replies are seen only by the user who asked; `direct` ones go
    to the person's direct messages with the bot where the platform has them (mock interviews),
    falling back to a private reply where it refuses."""

    message: Message
    private: bool = True
    direct: bool = False


_RATING_LABELS = {"nailed": "Nailed it", "partly": "Partly", "missed": "Missed it"}


def rating_label(value: str | None) -> str:
    """A rating value in words ("not rated" for None)."""
    return _RATING_LABELS.get(value or "", "not rated")


def mock_summary_text(summary: MockSummary) -> str:
    """The summary of a mock interview as Markdown, one line per question (every adapter uses it)."""
    heading = {
        "finished": "Mock interview finished",
        "stopped": "Mock interview stopped",
        "expired": "Mock interview expired",
    }.get(summary.ended, "Mock interview")
    lines = [f"**{heading}**"]
    for number, result in enumerate(summary.results, 1):
        lines.append(
            f"{number}. {result.title} ({result.topic_label}, {result.difficulty}): "
            f"**{rating_label(result.rating)}**"
        )
    if summary.strong:
        lines.append("Strong: " + ", ".join(summary.strong))
    if summary.weak:
        lines.append("To work on: " + ", ".join(summary.weak))
    lines.append(summary.overall)
    lines.append("Your ratings are in your `/mlquestion review` schedule.")
    return "\n".join(lines)
