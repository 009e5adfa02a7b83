"""Slack rendering: core messages as Block Kit payloads built with `slack_sdk.models`.

Pure functions; every payload is validated by the SDK's models (`to_dict()` checks Block Kit's
limits). Long answers (and feedback, which ends with the model answer) are split over several
messages; every other message is one message whose long parts (a list of skipped dates, an echoed
value) are clipped to fit Slack's limits. The text inside is converted by `mrkdwn`; the buttons and
the modals come from `components`, the feedback's own blocks and the mock summary from `feedback`,
the shared block helpers and limits from `blocks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from adapters.slack import blocks as B
from adapters.slack.components import check_block, question_buttons, rating_blocks, review_buttons
from adapters.slack.feedback import feedback_groups, summary_message
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
    DataExport,
    FeedbackCard,
    ForgetConfirm,
    Forgotten,
    LeaderboardCard,
    Message,
    MockSummary,
    Notice,
    NoticeKind,
    QuestionCard,
    ScheduleCard,
    StatsCard,
    SuggestForm,
)

# Re-exported: callers and tests know these as the renderer's.
SlackMessage = B.SlackMessage
MAX_BLOCKS = B.MAX_BLOCKS
MAX_HEADER_TEXT = B.MAX_HEADER_TEXT
MESSAGE_TEXT_BUDGET = B.MESSAGE_TEXT_BUDGET
FALLBACK_TEXT = B.FALLBACK_TEXT
# A notice is one section (the longest we send, help, is about 1,300 characters).
NOTICE_TEXT_BUDGET = MAX_SECTION_TEXT
# People named under a reveal or on a leaderboard: the rest are counted ("and 12 more").
MAX_NAMED = 25
# Slack's longest display name; a longer name (a real name, say) is cut.
MAX_NAME = 80


# Cards ------------------------------------------------------------------------------------------

_KIND_LABELS = {
    CardKind.DAILY: "Daily question",
    CardKind.ON_DEMAND: "Your question",
    CardKind.SHARED: "Shared question",
    CardKind.REVIEW: "Review",
    CardKind.MOCK: "Mock interview",
}


def question_message(card: QuestionCard) -> SlackMessage:
    """The question card: where a mock interview is, header, topic · difficulty, the question, what
    to do and when, then its buttons ("Check my answer" first: answering comes before peeking)."""
    label = _KIND_LABELS[card.kind]
    blocks: list[dict[str, Any]] = []
    if card.progress:
        blocks.append(B.context(mrkdwn(card.progress)).to_dict())
    # The buttons and progress are per post or per person; the body is shared by many posts.
    blocks += _question_body(replace(card, check=None, rating=None, progress=None))
    buttons: list[Block] = []
    if card.kind is CardKind.ON_DEMAND:
        buttons.append(question_buttons(card.question_id, card.check))
    elif card.kind is CardKind.REVIEW:
        buttons.append(B.context(":brain: Answer it in your head first, then check the model answer."))
        buttons.append(review_buttons(card.question_id, card.check))
    elif card.kind is CardKind.MOCK and card.check is not None:
        buttons.append(B.context(":speech_balloon: Press *Answer* and write what you would say."))
        buttons.append(check_block(card.check, primary=True))
    elif card.check is not None:
        buttons.append(check_block(card.check))
    if card.rating is not None:
        buttons += rating_blocks(card.rating)
    blocks += [block.to_dict() for block in buttons]
    prefix = "Answer is out: " if card.revealed else f"{label}: "
    return SlackMessage(blocks, plain(prefix + card.title, B.FALLBACK_TEXT))


@lru_cache(maxsize=1024)
def _question_body(card: QuestionCard) -> tuple[dict[str, Any], ...]:
    """Header, topic · difficulty, the question, and when the answer comes.

    Cached: at a busy 09:00 thousands of channels get the same few hundred cards (same question,
    same reveal time), and building Block Kit objects is most of a send's own work. The blocks are
    shared, so nothing may change them (`delivery.tagged` adds metadata to a copy of the payload).
    """
    label = _KIND_LABELS[card.kind]
    meta = f"*{escape(card.topic_label)}* · {escape(card.difficulty)} · {label}"
    if card.shared_by:
        meta += f" · shared by {mention(card.shared_by)}"
    if card.kind is CardKind.REVIEW and card.overdue_since is not None:
        meta += f" · due since {date_token(card.overdue_since, '{date_short_pretty}')}"
    blocks: list[Block] = [B.header(card.title), ContextBlock(elements=[MarkdownTextObject(text=meta)])]
    blocks += B.sections(mrkdwn(card.text), 2 * B.PART_TEXT_BUDGET)
    if card.revealed:
        blocks.append(B.context(":white_check_mark: The answer is out — see the thread."))
    elif card.reveal_at is not None:
        blocks.append(
            B.context(
                ":speech_balloon: Reply in this thread with your answer. "
                f"The model answer is revealed {date_token(card.reveal_at)}."
            )
        )
    return tuple(block.to_dict() for block in blocks)


def answer_messages(card: AnswerCard, names: Mapping[str, str] | None = None) -> list[SlackMessage]:
    """The model answer, split into as many messages as Slack's limits need (usually one).

    Who answered in the thread is mentioned (`<@U…>`), or, when the card says not to notify them,
    named with `names` (user id → display name; the id itself if unknown). The rating buttons go
    under the last message.
    """
    groups = answer_groups(card)
    if card.participants:
        count = len(card.participants)
        who = _people(card.participants, None if card.mention_participants else (names or {}))
        groups.append(
            [B.context(f":speech_balloon: {count} {_plural(count, 'person', 'people')} answered: {who}")]
        )
    if card.rating is not None:
        groups.append(rating_blocks(card.rating))
    return B.pack(groups, f"Model answer: {card.title}")


def answer_groups(card: AnswerCard) -> list[list[Block]]:
    """The model answer's header, sections and references, one block per group (for `_pack`)."""
    blocks: list[Block] = [B.header(f"Model answer — {card.title}")]
    for heading, body in card.sections:
        for index, chunk in enumerate(split_text(mrkdwn(body), MAX_SECTION_TEXT - len(escape(heading)) - 20)):
            title = f"*{escape(heading)}*" + (" (continued)" if index else "")
            blocks.append(SectionBlock(text=MarkdownTextObject(text=f"{title}\n{chunk}")))
    if card.references:
        links = "\n".join(f"• <{escape(ref.url)}|{escape(ref.title)}>" for ref in card.references)
        for chunk in split_text(f"*References*\n{links}"):
            blocks.append(SectionBlock(text=MarkdownTextObject(text=chunk)))
    return [[block] for block in blocks]


def feedback_messages(card: FeedbackCard) -> list[SlackMessage]:
    """Feedback on a person's answer (always private): what they covered and missed, the follow-up,
    the model answer, and the rating buttons with the suggested rating pre-chosen; split like the
    answer when long."""
    groups = [*feedback_groups(card), *answer_groups(card.answer), rating_blocks(card.rating)]
    return B.pack(groups, f"Feedback on your answer: {card.title}")


def notice_message(notice: Notice) -> SlackMessage:
    """A notice in one section; a longer one (an echoed value, say) is clipped, never spread over
    several messages."""
    icon = {NoticeKind.ERROR: ":warning: ", NoticeKind.NEW_CYCLE: ":repeat: "}.get(notice.kind, "")
    return B.message(B.sections(icon + mrkdwn(notice.text), NOTICE_TEXT_BUDGET), notice.text)


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
    blocks = B.sections("\n".join(lines), B.PART_TEXT_BUDGET)
    if card.upcoming and not card.paused:
        upcoming = "\n".join(
            f"• {date_token(slot.post_at)} → answer {date_token(slot.reveal_at, '{time}')}"
            for slot in card.upcoming
        )
        blocks += B.sections(f"*Next questions*\n{upcoming}", B.PART_TEXT_BUDGET)
    if card.skipped_soon:
        skipped = "\n".join(f"• {day} — {escape(reason)}" for day, reason in card.skipped_soon)
        blocks += B.sections(f"*Skipped soon (no question)*\n{skipped}", B.PART_TEXT_BUDGET)
    return B.message(blocks, card.heading)


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
    blocks = B.sections("\n".join(lines), B.PART_TEXT_BUDGET)
    if card.topics:
        rows = "\n".join(
            f"• {escape(t.topic_label)} — {t.nailed} nailed, {t.partly} partly, {t.missed} missed"
            for t in card.topics
        )
        blocks += B.sections(f"*By topic, weakest first*\n{rows}", B.PART_TEXT_BUDGET)
    return B.message(blocks, "Your practice stats")


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
    blocks = B.sections(f"{heading}\n{rows}", 2 * B.PART_TEXT_BUDGET)
    blocks.append(B.context(f"{posted} Counted by questions taken part in, not by ratings."))
    blocks.append(B.context(clip(mrkdwn(card.opt_out_hint), MAX_SECTION_TEXT)))
    return B.message(blocks, f"Leaderboard — {card.period}")


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
        return feedback_messages(message)
    if isinstance(message, MockSummary):
        return [summary_message(message)]
    if isinstance(message, DataExport | ForgetConfirm | Forgotten):  # files and buttons: see yourdata
        return [notice_message(Notice(message.text))]
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
