"""Discord rendering of core messages: embeds and content within Discord's limits. Pure functions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import discord

from bot.messages import (
    AnswerCard,
    CardKind,
    LeaderboardCard,
    Message,
    Notice,
    NoticeKind,
    QuestionCard,
    ScheduleCard,
    StatsCard,
    SuggestForm,
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
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
# Lines that start a Markdown block of their own (list item, heading, quote, table row).
_BLOCK_START = re.compile(r"^\s*([-*+•]\s|\d+[.)]\s|#{1,6}\s|>|\|)")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One Discord message to send: content and/or embeds, each within the limits.

    `mentions` says whom the content may notify (None: the client's default, which pings no roles
    or @everyone). Mentions inside embeds never notify anyone.
    """

    content: str | None = None
    embeds: tuple[discord.Embed, ...] = ()
    mentions: discord.AllowedMentions | None = None


def timestamp(instant: datetime, style: str = "F") -> str:
    """Return Discord timestamp markup, shown to each reader in their own time zone."""
    return f"<t:{int(instant.timestamp())}:{style}>"


def when(instant: datetime) -> str:
    """Return an instant as full date and time plus a relative hint ("in 6 hours")."""
    return f"{timestamp(instant, 'F')} ({timestamp(instant, 'R')})"


def clip(text: str, limit: int) -> str:
    """Shorten text to the limit at a word boundary, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


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
    if card.kind is CardKind.ON_DEMAND:
        return (
            "Only you can see this. **Show answer (only me)** shows the model answer; "
            "**Post to channel** asks everyone, with the answer revealed later in its thread."
        )
    if card.kind is CardKind.REVIEW:
        due = f" since {timestamp(card.overdue_since, 'R')}" if card.overdue_since else ""
        return (
            f"🔁 **Due for review{due}.** Only you can see this. Answer it in your head, then "
            "**Show answer (only me)** and rate how you did."
        )
    reveal = f" The model answer is revealed there {when(card.reveal_at)}." if card.reveal_at else ""
    return f"💬 **Answer in the thread.**{reveal}"


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


# Notices and schedules -----------------------------------------------------------------------------


# Core texts name the commands in the shared `/mlquestion …` grammar; Discord has its own commands.
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\s*\(see `/mlquestion help`\)"), ""),
    (
        re.compile(r"`/mlquestion (subscribe|unsubscribe|pause|resume|settings)\b[^`]*`"),
        r"`/mlquestion-channel \1`",
    ),
    (re.compile(r"`/mlquestion leaderboard opt-?out`"), "`/mlquestion-leaderboard-optout on`"),
    (re.compile(r"`(?:/mlquestion leaderboard )?opt-?in`"), "`/mlquestion-leaderboard-optout off`"),
    (re.compile(r"`/mlquestion leaderboard (week|month|all)`"), r"`/mlquestion-leaderboard period:\1`"),
    (re.compile(r"`/mlquestion link ([A-Z0-9]+)`"), r"`/mlquestion-link code:\1`"),
    (re.compile(r"`/mlquestion (review|stats|suggest|leaderboard|link|unlink)`"), r"`/mlquestion-\1`"),
)


def discord_commands(text: str) -> str:
    """Name commands as Discord shows them: channel administration lives under /mlquestion-channel
    and takes its arguments as options; review, stats, leaderboard and suggest are commands of their
    own (Discord cannot run a command that has subcommands bare, and `/mlquestion` must stay one);
    Discord lists options itself (there is no `help`)."""
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text


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


def render(message: Message) -> list[Outgoing]:
    """Render any core message for a command reply (buttons and forms are added by the caller)."""
    if isinstance(message, QuestionCard):
        return [Outgoing(embeds=(question_embed(message),))]
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
    return notice_messages(message)


# Markdown ------------------------------------------------------------------------------------------


def reflow(markdown: str) -> str:
    """Join the wrapped lines of each paragraph and list item; keep code blocks as they are.

    In Markdown a single newline is a soft break, but Discord shows every newline, so text wrapped
    at 100 columns in the bank would look ragged.
    """
    out: list[str] = []
    fence: str | None = None
    continues = False  # whether the next line may continue the previous one
    for line in markdown.split("\n"):
        marker = _FENCE.match(line)
        if fence is not None or marker:
            out.append(line)
            if fence is None and marker:
                fence = marker.group(1)
            elif _closes(line, fence):
                fence = None
            continues = False
            continue
        if continues and line.strip() and not _BLOCK_START.match(line):
            out[-1] = f"{out[-1].rstrip()} {line.strip()}"
        else:
            out.append(line)
        hard_break = line.endswith(("  ", "\\"))
        continues = bool(line.strip()) and not hard_break and not re.match(r"^\s*(#|\|)", line)
    return "\n".join(out)


# Splitting Markdown --------------------------------------------------------------------------------


def split_markdown(text: str, limit: int) -> list[str]:
    """Split Markdown into chunks of at most `limit` characters.

    Cuts fall between paragraphs and code blocks where possible; a code block longer than the
    limit is cut between lines and its fence closed and re-opened in the next chunk.
    """
    pieces: list[str] = []
    for block in _blocks(text):
        pieces.extend([block] if len(block) <= limit else _split_block(block, limit))
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1]) + 2 + len(piece) <= limit:
            chunks[-1] += "\n\n" + piece
        else:
            chunks.append(piece)
    return chunks


def _blocks(text: str) -> list[str]:
    """Split at blank lines outside code fences; a fence left open at the end is closed."""
    blocks: list[str] = []
    current: list[str] = []
    fence: str | None = None
    for line in text.strip("\n").split("\n"):
        marker = _FENCE.match(line)
        if fence is None and not line.strip():
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
        if marker and fence is None:
            fence = marker.group(1)
        elif marker and _closes(line, fence):
            fence = None
    if fence is not None:
        current.append(fence)
    if current:
        blocks.append("\n".join(current))
    return blocks


def _closes(line: str, fence: str | None) -> bool:
    """Whether a line closes a fence: the same character, at least as many, nothing else."""
    stripped = line.strip()
    return fence is not None and set(stripped) == {fence[0]} and len(stripped) >= len(fence)


def _split_block(block: str, limit: int) -> list[str]:
    """Cut one oversized block between lines, closing and re-opening a fence it cuts through."""
    pieces: list[str] = []
    current: list[str] = []
    opening: str | None = None  # the fence line of the code block the cut is inside, if any
    for line in block.split("\n"):
        marker = _FENCE.match(line)
        closes = opening is not None and _closes(line, _marker(opening))
        after = None if closes else opening if opening is not None else line if marker else None
        reserve = len(_marker(after)) + 1 if after is not None else 0
        reopen = len(opening) + 1 if opening is not None else 0
        width = limit - reopen - reserve
        # Prose may start filling what is left of the current piece; code lines move whole.
        room = limit - _size(current, "") if opening is None and after is None else width
        for part in _split_line(line, width, room if room > width // 4 else width):
            if len(current) > (1 if opening is not None else 0) and _size(current, part) + reserve > limit:
                pieces.append("\n".join([*current, _marker(opening)] if opening is not None else current))
                current = [opening] if opening is not None else []
            current.append(part)
        opening = after
    if current:
        pieces.append("\n".join(current))
    return pieces


def _size(lines: list[str], extra: str) -> int:
    return sum(len(line) + 1 for line in lines) + len(extra)


def _marker(fence_line: str) -> str:
    match = _FENCE.match(fence_line)
    return match.group(1) if match else "```"


def _split_line(line: str, width: int, first: int) -> list[str]:
    """Cut a line longer than `width` (`first` for the first part) at spaces where possible."""
    parts: list[str] = []
    limit = max(first, 1)
    while len(line) > limit:
        cut = line.rfind(" ", limit // 2, limit)
        cut = cut if cut > 0 else limit
        parts.append(line[:cut])
        line = line[cut + 1 :] if line[cut : cut + 1] == " " else line[cut:]
        limit = max(width, 1)
    parts.append(line)
    return parts
