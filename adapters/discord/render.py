"""Discord rendering of core messages: embeds and content within Discord's limits. Pure functions.

The text inside is reflowed, split and clipped by `markdown`; buttons are added by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import discord

from adapters.discord.markdown import clip, discord_commands, reflow, split_markdown, timestamp, when
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
    mock_summary_text,
    rating_label,
)

# Discord's limits, in characters. We use no embed fields, and one embed per message: a title,
# a description and a short footer stay well under the 6,000 a message's embeds may hold.
CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
THREAD_NAME_LIMIT = 100

COLOURS = {"easy": 0x2ECC71, "medium": 0xF1C40F, "hard": 0xE74C3C}
ANSWER_COLOUR = 0x5865F2
SCHEDULE_COLOUR = 0x95A5A6
STATS_COLOUR = 0x1ABC9C
PARTICIPANTS_SHOWN = 50  # names in "N people answered: …" (≤ 25 characters each; Discord allows 100)
SKIPS_SHOWN = 10
RATE_HINT = "Rate yourself with the buttons below: only you see your rating, and it plans your reviews."
FEEDBACK_COLOUR = 0x9B59B6
CHECK_HINT = "**Check my answer** gives you private feedback on yours."


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One Discord message to send: content and/or embeds, each within the limits.

    `mentions` says whom the content may notify (None: the client's default, which pings no roles
    or @everyone). Mentions inside embeds never notify anyone.
    """

    content: str | None = None
    embeds: tuple[discord.Embed, ...] = ()
    mentions: discord.AllowedMentions | None = None


def thread_name(card: QuestionCard) -> str:
    return clip(card.title, THREAD_NAME_LIMIT)


# Questions -----------------------------------------------------------------------------------------


def question_embed(card: QuestionCard, thread_id: str | None = None, ref: str | None = None) -> discord.Embed:
    """Render a question card; `thread_id` names the thread once the answer is out (None: replies).

    `ref` (a delivery key) goes in the footer, where a retry can find the message in the history.
    """
    author = {
        CardKind.DAILY: "Daily question",
        CardKind.SHARED: "Shared question",
        CardKind.REVIEW: "Review",
        CardKind.MOCK: "Mock interview",
    }.get(card.kind, "Your question")
    head = f"**{card.topic_label} · {card.difficulty}**"
    tail = [f"**Hint:** ||{reflow(card.hint)}||"] if card.hint else []
    if card.shared_by:
        tail.append(f"Shared by <@{card.shared_by}>.")
    tail.append(_status_line(card, thread_id))
    tail_text = "\n\n".join(tail)
    room = DESCRIPTION_LIMIT - len(head) - len(tail_text) - 4
    description = f"{head}\n\n{clip(reflow(card.text), room)}\n\n{tail_text}"
    embed = discord.Embed(
        title=clip(card.title, TITLE_LIMIT), description=description, colour=COLOURS.get(card.difficulty)
    )
    embed.set_author(name=author)
    if ref:
        embed.set_footer(text=f"ref {ref}")
    return embed


def _status_line(card: QuestionCard, thread_id: str | None) -> str:
    if card.revealed:
        where = f"in <#{thread_id}>" if thread_id else "in the reply to this message"
        return f"✅ **The answer is out** {where}."
    check = f" {CHECK_HINT}" if card.check else ""
    if card.kind is CardKind.MOCK:
        return (
            "🎤 Only you can see this. Press **Answer** and write what you would say: you get feedback "
            "and a follow-up, then rate yourself to move on."
        )
    if card.kind is CardKind.ON_DEMAND:
        return (
            "Only you can see this. **Show answer (only me)** shows the model answer; "
            f"**Post to channel** asks everyone, with the answer revealed later in its thread.{check}"
        )
    if card.kind is CardKind.REVIEW:
        due = f" since {timestamp(card.overdue_since, 'R')}" if card.overdue_since else ""
        return (
            f"🔁 **Due for review{due}.** Only you can see this. Answer it in your head, then "
            f"**Show answer (only me)** and rate how you did.{check}"
        )
    reveal = f" The model answer is revealed there {when(card.reveal_at)}." if card.reveal_at else ""
    return f"💬 **Answer in the thread.**{reveal}{check}"


# Answers -------------------------------------------------------------------------------------------


def answer_markdown(card: AnswerCard) -> str:
    """Return the whole model answer as one Markdown text: bold headings, then references."""
    parts = [f"**{heading}**\n{reflow(body.strip())}" for heading, body in card.sections]
    if card.references:
        links = "\n".join(f"- [{ref.title}]({ref.url})" for ref in card.references)
        parts.append(f"**References**\n{links}")
    return "\n\n".join(parts)


def participants_line(card: AnswerCard) -> Outgoing | None:
    """Return "3 people answered: @a, @b, @c" as content (None if nobody did).

    Mentions in content notify people: with `mention_participants` off they are allowed to notify
    nobody (still shown as names); with it on, only the people named.
    """
    count = len(card.participants)
    if not count:
        return None
    shown = card.participants[:PARTICIPANTS_SHOWN]
    names = ", ".join(f"<@{user}>" for user in shown)
    more = f" and {count - len(shown)} more" if count > len(shown) else ""
    mentions = (
        discord.AllowedMentions(users=[discord.Object(int(u)) for u in shown if u.isdigit()])
        if card.mention_participants
        else discord.AllowedMentions.none()
    )
    text = f"{count} {'person' if count == 1 else 'people'} answered: {names}{more}"
    return Outgoing(content=clip(text, CONTENT_LIMIT), mentions=mentions)


def answer_messages(card: AnswerCard, ref: str | None = None) -> list[Outgoing]:
    """Render a model answer as one embed per message, split over as many as the limits need.

    Several parts say "Part i of n"; `ref` (a delivery key) joins the footer so a retry can tell
    which parts were already sent.
    """
    chunks = split_markdown(answer_markdown(card), DESCRIPTION_LIMIT)
    title = clip(f"Model answer: {card.title}", TITLE_LIMIT)
    participants = participants_line(card)
    messages = []
    for index, chunk in enumerate(chunks, 1):
        embed = discord.Embed(title=title if index == 1 else None, description=chunk, colour=ANSWER_COLOUR)
        footer = [RATE_HINT] if card.rating is not None and index == len(chunks) else []
        footer += [f"Part {index} of {len(chunks)}"] if len(chunks) > 1 else []
        footer += [f"ref {ref}"] if ref else []
        if footer:
            embed.set_footer(text=" · ".join(footer))
        if index == 1 and participants is not None:
            messages.append(Outgoing(participants.content, (embed,), participants.mentions))
        else:
            messages.append(Outgoing(embeds=(embed,)))
    return messages


# Feedback on an answer, and mock interviews ---------------------------------------------------------


def feedback_messages(card: FeedbackCard) -> list[Outgoing]:
    """Render feedback: its progress above, the feedback (split if long), the model answer (split like
    any answer), then the follow-up question; the rating buttons go under the last message."""
    title = clip(f"Feedback on your answer: {card.title}", TITLE_LIMIT)
    chunks = split_markdown(discord_commands(card.body), DESCRIPTION_LIMIT)
    embeds = [
        discord.Embed(title=title if index == 0 else None, description=chunk, colour=FEEDBACK_COLOUR)
        for index, chunk in enumerate(chunks)
    ]
    messages = [Outgoing(embeds=(embed,)) for embed in embeds]
    if card.progress:  # where the mock interview is, above the feedback (a short core text)
        messages[0] = Outgoing(clip(card.progress, CONTENT_LIMIT), messages[0].embeds)
    # The hint goes on whatever comes last: the follow-up, or else the model answer.
    answer = replace(card.answer, rating=None if card.follow_up else card.rating)
    messages += answer_messages(answer)
    if card.follow_up:
        follow_up = discord.Embed(
            title="Follow-up question", description=clip(reflow(card.follow_up), DESCRIPTION_LIMIT)
        )
        suggested = rating_label(card.rating.suggested)
        follow_up.set_footer(text=f"Suggested rating: {suggested}. {RATE_HINT}")
        messages.append(Outgoing(embeds=(follow_up,)))
    return messages


def summary_embed(summary: MockSummary) -> discord.Embed:
    """Render the end of a mock interview: the heading as the title, one line per question."""
    heading, _, rest = mock_summary_text(summary).partition("\n")
    description = clip(discord_commands(rest), DESCRIPTION_LIMIT)
    return discord.Embed(title=heading.strip("*"), description=description, colour=FEEDBACK_COLOUR)


# Notices and schedules -----------------------------------------------------------------------------


def notice_messages(notice: Notice) -> list[Outgoing]:
    """Render a notice as plain content, split at 2,000 characters."""
    icon = {NoticeKind.ERROR: "⚠️ ", NoticeKind.NEW_CYCLE: "🔁 "}.get(notice.kind, "")
    text = icon + discord_commands(notice.text)
    return [Outgoing(content=chunk) for chunk in split_markdown(text, CONTENT_LIMIT)]


def schedule_embed(card: ScheduleCard) -> discord.Embed:
    """Render a channel's schedule; instants are Discord timestamps so each reader sees local time."""
    state = f"⏸️ paused ({card.paused_reason})" if card.paused else "▶️ active"
    lines = [
        f"**Posts** {card.post_time} {card.zone}, {card.days}",
        f"**Reveal** {card.reveal}",
        f"**Questions** {card.filters}",
        f"**State** {state}",
        f"**Skips** {card.skips}",
    ]
    if card.options:
        lines.append(f"**Options** {card.options}")
    if card.upcoming:
        lines.append("**Next**")
        lines += [f"• {when(s.post_at)} → answer {when(s.reveal_at)}" for s in card.upcoming]
    if card.skipped_soon:
        lines.append("**No question on**")
        lines += [f"• {day}: {reason}" for day, reason in card.skipped_soon[:SKIPS_SHOWN]]
        if len(card.skipped_soon) > SKIPS_SHOWN:
            lines.append(f"• and {len(card.skipped_soon) - SKIPS_SHOWN} more days")
    description = clip("\n".join(lines), DESCRIPTION_LIMIT)
    return discord.Embed(
        title=clip(card.heading, TITLE_LIMIT), description=description, colour=SCHEDULE_COLOUR
    )


def stats_embed(card: StatsCard) -> discord.Embed:
    """Render someone's own practice figures (always a private reply)."""
    if card.streak_scope:
        streak = (
            f"🔥 **Streak** {card.current_streak} in a row (longest {card.longest_streak}), "
            f"counting {card.streak_scope}"
        )
    else:
        streak = "🔥 **Streak** no daily question in this channel yet"
    lines = [streak, f"**Answered** {card.answered} in question threads · **Rated** {card.rated}"]
    if card.reviews_due:
        lines.append(f"🔁 **Reviews** {card.reviews_due} due now: `/mlquestion-review`")
    elif card.next_review_at is not None:
        lines.append(f"🔁 **Reviews** none due; the next {when(card.next_review_at)}")
    else:
        lines.append("🔁 **Reviews** none yet: rate an answer and it comes back when it is due")
    if card.topics:
        lines.append("**Topics, weakest first** (✅ nailed · 🟡 partly · ❌ missed)")
        lines += [f"• {t.topic_label}: ✅ {t.nailed} · 🟡 {t.partly} · ❌ {t.missed}" for t in card.topics]
    description = clip("\n".join(lines), DESCRIPTION_LIMIT)
    return discord.Embed(title="Your practice", description=description, colour=STATS_COLOUR)


def leaderboard_message(card: LeaderboardCard) -> list[Outgoing]:
    """Render a channel's leaderboard as content naming people without notifying them."""
    posted = f"{card.questions_posted} question{'s' if card.questions_posted != 1 else ''} posted"
    lines = [f"🏆 **Most regular participants, {card.period}** ({posted})"]
    lines += [
        f"{row.rank}. <@{row.user_id}> · {row.questions} question{'s' if row.questions != 1 else ''}"
        for row in card.rows
    ]
    if not card.rows:
        lines.append("Nobody has taken part yet: reply in a question's thread or rate an answer.")
    if card.opt_out_hint:
        lines.append(f"-# {discord_commands(card.opt_out_hint)}")
    chunks = split_markdown("\n".join(lines), CONTENT_LIMIT)
    return [Outgoing(content=chunk, mentions=discord.AllowedMentions.none()) for chunk in chunks]


def render(message: Message) -> list[Outgoing]:
    """Render any core message for a command reply (buttons and forms are added by the caller)."""
    if isinstance(message, QuestionCard):  # a mock interview's progress goes above the card
        progress = discord_commands(message.progress) if message.progress else None
        return [Outgoing(content=progress, embeds=(question_embed(message),))]
    if isinstance(message, AnswerCard):
        return answer_messages(message)
    if isinstance(message, ScheduleCard):
        return [Outgoing(embeds=(schedule_embed(message),))]
    if isinstance(message, StatsCard):
        return [Outgoing(embeds=(stats_embed(message),))]
    if isinstance(message, LeaderboardCard):
        return leaderboard_message(message)
    if isinstance(message, SuggestForm):  # the adapter opens a form instead; this is the fallback
        return [Outgoing(content="Use `/mlquestion-suggest` to open the suggestion form.")]
    if isinstance(message, AnswerForm):  # the adapter opens the form instead; this is the fallback
        return [Outgoing(content="Press **Check my answer** on the question to open the answer form.")]
    if isinstance(message, FeedbackCard):
        return feedback_messages(message)
    if isinstance(message, MockSummary):
        return [Outgoing(embeds=(summary_embed(message),))]
    if isinstance(message, DataExport | ForgetConfirm | Forgotten):  # files and buttons: see yourdata
        return notice_messages(Notice(message.text))
    return notice_messages(message)
