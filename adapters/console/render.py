"""Plain-text rendering of core messages for a terminal."""

from __future__ import annotations

import re
import textwrap
from datetime import datetime
from zoneinfo import ZoneInfo

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

WIDTH = 88


def _paragraphs(text: str) -> list[tuple[str, str]]:
    """Split Markdown into ("code" | "bullet" | "text" | "blank", content) blocks, lines rejoined."""
    blocks: list[tuple[str, str]] = []
    in_code = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            blocks.append(("code", line))
        elif not stripped:
            blocks.append(("blank", ""))
        elif stripped.startswith(("- ", "* ")):
            blocks.append(("bullet", stripped))
        elif blocks and blocks[-1][0] in ("text", "bullet"):
            kind, previous = blocks[-1]
            blocks[-1] = (kind, f"{previous} {stripped}")
        else:
            blocks.append(("text", stripped))
    return blocks


def _wrap(text: str, indent: str) -> str:
    """Reflow Markdown paragraphs and bullets to the terminal width; keep code lines as they are."""
    out = []
    for kind, content in _paragraphs(text):
        if kind == "code":
            out.append(indent + "  " + content)
        elif kind == "blank":
            out.append("")
        else:
            follow = indent + ("  " if kind == "bullet" else "")
            out.append(textwrap.fill(content, WIDTH, initial_indent=indent, subsequent_indent=follow))
    return "\n".join(out)


def when(instant: datetime, zone: ZoneInfo) -> str:
    """Return a time as the reader's local time with its UTC instant."""
    local = instant.astimezone(zone)
    if local.utcoffset() == instant.utcoffset():
        return f"{local:%a %d %b %H:%M} {zone.key}"
    return f"{local:%a %d %b %H:%M} {zone.key} ({instant:%H:%M} UTC)"


RATE_HINT = "Rate yourself: /rate nailed · /rate partly · /rate missed"
_KINDS = {CardKind.DAILY: "Daily question", CardKind.REVIEW: "Review", CardKind.SHARED: "Shared question"}


def render_question(card: QuestionCard, zone: ZoneInfo, thread_label: str | None = None) -> str:
    kind = _KINDS.get(card.kind, "Your question")
    head = f"[{kind}] {card.title} · {card.topic_label} · {card.difficulty}"
    if thread_label:
        head += f"   ({thread_label})"
    lines = [head, _wrap(card.text, "  ")]
    if card.hint:
        lines.append(_wrap(f"Hint: {card.hint}", "  "))
    if card.revealed:
        lines.append("  ✓ The answer is out in the thread.")
    elif card.kind is CardKind.DAILY:
        reveal = f" The answer is revealed {when(card.reveal_at, zone)}." if card.reveal_at else ""
        lines.append(f"  Reply in the thread: type a line and press Enter.{reveal}")
    elif card.kind is CardKind.REVIEW:
        due = f" (due since {when(card.overdue_since, zone)})" if card.overdue_since else ""
        lines.append(f"  Answer it in your head, then /answer and rate yourself{due}.")
    else:
        lines.append("  Type /answer to see the model answer.")
    return "\n".join(lines)


def render_answer(card: AnswerCard, indent: str = "  ") -> str:
    lines = [f"{indent}Model answer — {card.title}"]
    for heading, body in card.sections:
        lines.append(f"{indent}{heading}:")
        lines.append(_wrap(body, indent + "  "))
    if card.references:
        lines.append(f"{indent}References:")
        lines += [f"{indent}  - {ref.title}: {ref.url}" for ref in card.references]
    if card.participants:
        count = len(card.participants)
        who = ", ".join(card.participants)
        lines.append(f"{indent}{count} {'person' if count == 1 else 'people'} answered: {who}")
    if card.rating:
        lines.append(f"{indent}{RATE_HINT}")
    return "\n".join(lines)


def render_notice(notice: Notice) -> str:
    prefix = {NoticeKind.ERROR: "! ", NoticeKind.NEW_CYCLE: "↻ ", NoticeKind.INFO: ""}[notice.kind]
    # Markdown emphasis has no meaning in a terminal: drop its marks.
    return _wrap(prefix + re.sub(r"\*{1,2}([^*\n]+)\*{1,2}", r"\1", notice.text.replace("`", "")), "")


def render_schedule(card: ScheduleCard, zone: ZoneInfo) -> str:
    state = f"paused ({card.paused_reason})" if card.paused else "active"
    lines = [
        f"{card.heading}: {card.post_time} {card.zone}, {card.days}, reveal {card.reveal}; "
        f"{card.filters}; {state}",
    ]
    for slot in card.upcoming:
        lines.append(f"  next post {when(slot.post_at, zone)} → reveal {when(slot.reveal_at, zone)}")
    lines.append(f"  skips: {card.skips}")
    lines += [f"  no question on {day}: {reason}" for day, reason in card.skipped_soon]
    if card.options:
        lines.append(f"  {card.options}")
    return "\n".join(lines)


def render_stats(card: StatsCard, zone: ZoneInfo) -> str:
    scope = f" ({card.streak_scope})" if card.streak_scope else " (no daily question here)"
    lines = [
        f"Your practice{scope}:",
        f"  streak {card.current_streak} · longest {card.longest_streak}",
        f"  answered {card.answered} · rated {card.rated} · reviews due {card.reviews_due}",
    ]
    if card.next_review_at:
        lines.append(f"  next review {when(card.next_review_at, zone)}")
    for topic in card.topics:
        lines.append(
            f"  {topic.topic_label}: {topic.nailed} nailed, {topic.partly} partly, {topic.missed} missed"
        )
    return "\n".join(lines)


def render_leaderboard(card: LeaderboardCard) -> str:
    lines = [f"Leaderboard, {card.period} ({card.questions_posted} questions):"]
    lines += [f"  {row.rank}. {row.user_id} — {row.questions}" for row in card.rows]
    if not card.rows:
        lines.append("  nobody yet: reply in a question's thread to get on it")
    lines.append(render_notice(Notice(card.opt_out_hint)))
    return "\n".join(lines)


def render_suggest_form(form: SuggestForm) -> str:
    topics = ", ".join(slug for slug, _ in form.topics)
    return (
        "Suggest a question for the bank. Type the question on one line (or /cancel).\n"
        f"  (Optionally start with a topic and difficulty in brackets, e.g. [keras hard]. Topics: {topics})"
    )


def render(message: Message, zone: ZoneInfo) -> str:
    if isinstance(message, QuestionCard):
        return render_question(message, zone)
    if isinstance(message, AnswerCard):
        return render_answer(message)
    if isinstance(message, ScheduleCard):
        return render_schedule(message, zone)
    if isinstance(message, StatsCard):
        return render_stats(message, zone)
    if isinstance(message, LeaderboardCard):
        return render_leaderboard(message)
    if isinstance(message, SuggestForm):
        return render_suggest_form(message)
    return render_notice(message)
