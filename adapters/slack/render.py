"""Slack rendering: core messages as Block Kit payloads built with `slack_sdk.models`.

Pure functions; every payload is validated by the SDK's models (`to_dict()` checks Block Kit's
limits). Long answers are split over several messages; every other message is one message whose
long parts (a list of skipped dates, an echoed value) are clipped to fit Slack's limits. The text
inside is converted by `mrkdwn`; the buttons and the suggestion modal come from `components`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from adapters.slack.components import question_buttons, rating_blocks, review_buttons
from adapters.slack.mrkdwn import (
    MAX_SECTION_TEXT,
    clean,
    clip,
    date_token,
    escape,
    mention,
    mrkdwn,
    plain,
    split_text,
    truncate,
)
from bot.messages import (
    AnswerCard,
    AnswerForm,
    CardKind,
    FeedbackCard,
    LeaderboardCard,
    Message,
    MockSummary,
    Notice,
    NoticeKind,
    QuestionCard,
    ScheduleCard,
    StatsCard,
    SuggestForm,
    mock_summary_text,
)

# Block Kit's documented limits, and our own budget per message: Slack refused a ~13k-character
# message of blocks (`msg_blocks_too_long`), so one message carries at most this much text.
MAX_BLOCKS = 50
MAX_HEADER_TEXT = 150
MESSAGE_TEXT_BUDGET = 10_000
FALLBACK_TEXT = 300
# How much text one part of a single-message card may carry (a card has at most three such parts,
# so the whole stays inside MESSAGE_TEXT_BUDGET); a notice is one section, the longest we send (help)
# being about 1,300 characters.
PART_TEXT_BUDGET = 3_000
NOTICE_TEXT_BUDGET = MAX_SECTION_TEXT
# People named under a reveal or on a leaderboard: the rest are counted ("and 12 more").
MAX_NAMED = 25
# Slack's longest display name; a longer name (a real name, say) is cut.
MAX_NAME = 80


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """One message: its blocks (as dicts, validated) and the plain fallback text notifications show."""

    blocks: list[dict[str, Any]]
    text: str

    def payload(self) -> dict[str, Any]:
        """The message's arguments for chat.postMessage, chat.postEphemeral or a response_url."""
        return {"blocks": self.blocks, "text": self.text}


# Cards ------------------------------------------------------------------------------------------

_KIND_LABELS = {
    CardKind.DAILY: "Daily question",
    CardKind.ON_DEMAND: "Your question",
    CardKind.SHARED: "Shared question",
    CardKind.REVIEW: "Review",
    CardKind.MOCK: "Mock interview",
}


@lru_cache(maxsize=1024)
def question_message(card: QuestionCard) -> SlackMessage:
    """The question card: header, topic · difficulty, the question, what to do, and when.

    Cached: at a busy 09:00 thousands of channels get the same few hundred cards (same question,
    same reveal time), and building Block Kit objects is most of a send's own work. Messages are
    shared, so nothing may change them (`delivery.tagged` adds metadata to a copy of the payload).
    """
    label = _KIND_LABELS[card.kind]
    meta = f"*{escape(card.topic_label)}* · {escape(card.difficulty)} · {label}"
    if card.shared_by:
        meta += f" · shared by {mention(card.shared_by)}"
    if card.kind is CardKind.REVIEW and card.overdue_since is not None:
        meta += f" · due since {date_token(card.overdue_since, '{date_short_pretty}')}"
    blocks: list[Block] = [_header(card.title), ContextBlock(elements=[MarkdownTextObject(text=meta)])]
    blocks += _sections(mrkdwn(card.text), 2 * PART_TEXT_BUDGET)
    if card.revealed:
        blocks.append(_context(":white_check_mark: The answer is out — see the thread."))
    elif card.reveal_at is not None:
        blocks.append(
            _context(
                ":speech_balloon: Reply in this thread with your answer. "
                f"The model answer is revealed {date_token(card.reveal_at)}."
            )
        )
    if card.kind is CardKind.ON_DEMAND:
        blocks.append(question_buttons(card.question_id))
    if card.kind is CardKind.REVIEW:
        blocks.append(_context(":brain: Answer it in your head first, then check the model answer."))
        blocks.append(review_buttons(card.question_id))
    if card.rating is not None:
        blocks += rating_blocks(card.rating)
    prefix = "Answer is out: " if card.revealed else f"{label}: "
    return _message(blocks, prefix + card.title)


def answer_messages(card: AnswerCard, names: Mapping[str, str] | None = None) -> list[SlackMessage]:
    """The model answer, split into as many messages as Slack's limits need (usually one).

    Who answered in the thread is mentioned (`<@U…>`), or, when the card says not to notify them,
    named with `names` (user id → display name; the id itself if unknown). The rating buttons go
    under the last message.
    """
    blocks: list[Block] = [_header(f"Model answer — {card.title}")]
    for heading, body in card.sections:
        for index, chunk in enumerate(split_text(mrkdwn(body), MAX_SECTION_TEXT - len(escape(heading)) - 20)):
            title = f"*{escape(heading)}*" + (" (continued)" if index else "")
            blocks.append(SectionBlock(text=MarkdownTextObject(text=f"{title}\n{chunk}")))
    if card.references:
        links = "\n".join(f"• <{escape(ref.url)}|{escape(ref.title)}>" for ref in card.references)
        for chunk in split_text(f"*References*\n{links}"):
            blocks.append(SectionBlock(text=MarkdownTextObject(text=chunk)))
    groups: list[list[Block]] = [[block] for block in blocks]
    if card.participants:
        count = len(card.participants)
        who = _people(card.participants, None if card.mention_participants else (names or {}))
        groups.append(
            [_context(f":speech_balloon: {count} {_plural(count, 'person', 'people')} answered: {who}")]
        )
    if card.rating is not None:
        groups.append(rating_blocks(card.rating))
    return _pack(groups, f"Model answer: {card.title}")


def notice_message(notice: Notice) -> SlackMessage:
    """A notice in one section; a longer one (an echoed value, say) is clipped, never spread over
    several messages."""
    icon = {NoticeKind.ERROR: ":warning: ", NoticeKind.NEW_CYCLE: ":repeat: "}.get(notice.kind, "")
    return _message(_sections(icon + mrkdwn(notice.text), NOTICE_TEXT_BUDGET), notice.text)


def schedule_message(card: ScheduleCard) -> SlackMessage:
    """A channel's settings with its next posts and reveals as date tokens (each reader's local time)."""
    state = (
        f":double_vertical_bar: Paused ({escape(card.paused_reason or 'by an admin')})" if card.paused else ""
    )
    lines = [
        f"*{escape(card.heading)}*",
        f"Posts at *{card.post_time}* ({escape(card.zone)}) on {escape(card.days)}; "
        f"answer revealed {escape(card.reveal)}.",
        f"Questions: {escape(card.filters)}.",
        f"Skips: {escape(card.skips)}.",
    ]
    if card.options:
        lines.append(f"Options: {escape(card.options)}.")
    if state:
        lines.append(state)
    blocks = _sections("\n".join(lines), PART_TEXT_BUDGET)
    if card.upcoming and not card.paused:
        upcoming = "\n".join(
            f"• {date_token(slot.post_at)} → answer {date_token(slot.reveal_at, '{time}')}"
            for slot in card.upcoming
        )
        blocks += _sections(f"*Next questions*\n{upcoming}", PART_TEXT_BUDGET)
    if card.skipped_soon:
        skipped = "\n".join(f"• {day} — {escape(reason)}" for day, reason in card.skipped_soon)
        blocks += _sections(f"*Skipped soon (no question)*\n{skipped}", PART_TEXT_BUDGET)
    return _message(blocks, card.heading)


def stats_message(card: StatsCard) -> SlackMessage:
    """A person's own figures (sent privately)."""
    if card.streak_scope:
        streak = (
            f"Streak: *{card.current_streak}* in a row (longest {card.longest_streak}) "
            f"— {escape(card.streak_scope)}"
        )
    else:
        streak = "Streak: no daily questions in this channel yet"
    lines = [
        "*Your practice*",
        streak,
        f"Answered in threads: *{card.answered}* · Questions rated: *{card.rated}*",
    ]
    if card.reviews_due:
        lines.append(f"Reviews due now: *{card.reviews_due}* — `/mlquestion review`")
    elif card.next_review_at is not None:
        lines.append(f"Next review: {date_token(card.next_review_at)}")
    else:
        lines.append("No reviews scheduled yet: rate an answer to start.")
    blocks = _sections("\n".join(lines), PART_TEXT_BUDGET)
    if card.topics:
        rows = "\n".join(
            f"• {escape(t.topic_label)} — {t.nailed} nailed, {t.partly} partly, {t.missed} missed"
            for t in card.topics
        )
        blocks += _sections(f"*By topic, weakest first*\n{rows}", PART_TEXT_BUDGET)
    return _message(blocks, "Your practice stats")


def leaderboard_message(card: LeaderboardCard, names: Mapping[str, str] | None = None) -> SlackMessage:
    """A channel's most regular participants, named without notifying them (never `<@U…>`)."""
    known = names or {}
    heading = f"*Most regular participants — {escape(card.period)}*"
    if card.rows:
        rows = "\n".join(
            f"{row.rank}. {_name(known.get(row.user_id, row.user_id))} — "
            f"{row.questions} {_plural(row.questions, 'question', 'questions')}"
            for row in card.rows
        )
    else:
        rows = "Nobody has taken part yet: reply in a daily question's thread or rate its answer."
    posted = f"{card.questions_posted} {_plural(card.questions_posted, 'question', 'questions')} posted here."
    blocks = _sections(f"{heading}\n{rows}", 2 * PART_TEXT_BUDGET)
    blocks.append(_context(f"{posted} Counted by questions taken part in, not by ratings."))
    blocks.append(_context(clip(mrkdwn(card.opt_out_hint), MAX_SECTION_TEXT)))
    return _message(blocks, f"Leaderboard — {card.period}")


def names_needed(message: Message) -> tuple[str, ...]:
    """The user ids `render` names without mentioning (the adapter looks their names up)."""
    if isinstance(message, AnswerCard) and not message.mention_participants:
        return message.participants[:MAX_NAMED]
    if isinstance(message, LeaderboardCard):
        return tuple(row.user_id for row in message.rows)
    return ()


FORM_NOTE = Notice("The answer form opens in a dialog: press **Check my answer** on the question.")


def render(message: Message, names: Mapping[str, str] | None = None) -> list[SlackMessage]:
    """Render any core message as one or more Slack messages (`names`: see `names_needed`).

    A `SuggestForm` is a modal the adapter opens; rendered as a message it says so.
    """
    if isinstance(message, QuestionCard):
        return [question_message(message)]
    if isinstance(message, AnswerCard):
        return answer_messages(message, names)
    if isinstance(message, ScheduleCard):
        return [schedule_message(message)]
    if isinstance(message, StatsCard):
        return [stats_message(message)]
    if isinstance(message, LeaderboardCard):
        return [leaderboard_message(message, names)]
    if isinstance(message, SuggestForm):
        return [notice_message(Notice("The suggestion form opens in a dialog: run `/mlquestion suggest`."))]
    if isinstance(message, AnswerForm):
        return [notice_message(FORM_NOTE)]
    if isinstance(message, FeedbackCard):
        return [notice_message(Notice(message.body)), *answer_messages(message.answer, names)]
    if isinstance(message, MockSummary):
        return [notice_message(Notice(mock_summary_text(message)))]
    return [notice_message(message)]


# Helpers ------------------------------------------------------------------------------------------


def _people(user_ids: tuple[str, ...], names: Mapping[str, str] | None) -> str:
    """Mentions (names is None) or escaped names, the first MAX_NAMED of them, then a count."""
    named = user_ids[:MAX_NAMED]
    shown = [mention(user) if names is None else _name(names.get(user, user)) for user in named]
    rest = len(user_ids) - len(shown)
    return ", ".join(shown) + (f" and {rest} more" if rest else "")


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def _name(name: str) -> str:
    """A person's display name in mrkdwn: escaped, and as long as Slack lets a display name be."""
    return escape(truncate(clean(name), MAX_NAME))


def _header(text: str) -> HeaderBlock:
    return HeaderBlock(text=truncate(clean(text), MAX_HEADER_TEXT))


def _sections(text: str, budget: int) -> list[Block]:
    """Sections of at most MAX_SECTION_TEXT characters carrying at most `budget` of `text`."""
    return [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in split_text(clip(text, budget))]


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def _message(blocks: list[Block], text: str) -> SlackMessage:
    """A message of these blocks; `text` is the plain fallback notifications show, made inert here."""
    return SlackMessage([block.to_dict() for block in blocks], plain(text, FALLBACK_TEXT))


def _pack(groups: list[list[Block]], text: str) -> list[SlackMessage]:
    """Pack groups of blocks in order into messages within the block count and the text budget;
    a group (e.g. a rating prompt and its buttons) is never split across messages."""
    messages: list[list[Block]] = [[]]
    size = 0
    for group in groups:
        length = sum(len(str(block.to_dict())) for block in group)
        if messages[-1] and (
            len(messages[-1]) + len(group) > MAX_BLOCKS or size + length > MESSAGE_TEXT_BUDGET
        ):
            messages.append([])
            size = 0
        messages[-1].extend(group)
        size += length
    total = len(messages)
    return [
        _message(group, text if total == 1 else f"{text} ({number}/{total})")
        for number, group in enumerate(messages, start=1)
    ]
