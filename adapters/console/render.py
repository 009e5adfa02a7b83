"""Plain-text rendering of core messages for a terminal."""

from __future__ import annotations

import re
import shutil
import textwrap
from datetime import datetime
from zoneinfo import ZoneInfo

from adapters.console.yourdata import FORGET_PROMPT
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

WIDTH = 88  # when the width cannot be told (output to a pipe or a file)
MIN_WIDTH = 20
_BULLETS = ("- ", "* ", "• ")


def terminal_width() -> int:
    """Return the terminal's width in columns (WIDTH when it cannot be told)."""
    return shutil.get_terminal_size((WIDTH, 24)).columns


def _paragraphs(text: str, reflow: bool) -> list[tuple[str, str, str]]:
    """Split Markdown into (kind, leading spaces, content) blocks; kind is code, bullet, text or blank.

    With `reflow`, the lines of a paragraph or bullet are joined (the bank's prose is hard-wrapped
    in its files); without, every line stays a line (help, topic lists, usage lines).
    """
    blocks: list[tuple[str, str, str]] = []
    in_code = False
    for line in text.splitlines():
        stripped = line.strip()
        lead = line[: len(line) - len(line.lstrip())] if not reflow else ""
        if stripped.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            blocks.append(("code", "", line))
        elif not stripped:
            blocks.append(("blank", "", ""))
        elif stripped.startswith(_BULLETS):
            blocks.append(("bullet", lead, stripped))
        elif reflow and blocks and blocks[-1][0] in ("text", "bullet"):
            kind, _, previous = blocks[-1]
            blocks[-1] = (kind, "", f"{previous} {stripped}")
        else:
            blocks.append(("text", lead, stripped))
    return blocks


def _wrap(text: str, indent: str, width: int | None = None, reflow: bool = True) -> str:
    """Wrap Markdown to the width, never inside a word or at a hyphen; keep code lines as they are.

    `reflow` joins the lines of a paragraph first (for the bank's prose); without it each line is
    wrapped on its own, so lists and usage lines keep their shape.
    """
    columns = max(MIN_WIDTH, width or terminal_width())
    out = []
    for kind, lead, content in _paragraphs(text, reflow):
        if kind == "code":
            out.append(indent + "  " + content)
        elif kind == "blank":
            out.append("")
        else:
            first = indent + lead
            # A bullet's continuation lines align with its text; a laid-out line's hang under it.
            follow = first + ("  " if kind == "bullet" or not reflow else "")
            out.append(
                textwrap.fill(
                    content,
                    columns,
                    initial_indent=first,
                    subsequent_indent=follow,
                    break_long_words=False,
                    break_on_hyphens=False,
                )
            )
    return "\n".join(out)


def _lines(text: str, width: int | None) -> str:
    """Wrap each line of already laid-out text on its own (continuations keep its indent)."""
    return _wrap(text, "", width, reflow=False)


def when(instant: datetime, zone: ZoneInfo) -> str:
    """Return a time as the reader's local time with its UTC instant."""
    local = instant.astimezone(zone)
    if local.utcoffset() == instant.utcoffset():
        return f"{local:%a %d %b %H:%M} {zone.key}"
    return f"{local:%a %d %b %H:%M} {zone.key} ({instant:%H:%M} UTC)"


SKIPS_SHOWN = 10  # days without a question listed in settings (as on Discord)
RATE_HINT = "Rate yourself: /rate nailed · /rate partly · /rate missed"
_NO_BREAK = "\u00a0"
_KINDS = {
    CardKind.DAILY: "Daily question",
    CardKind.REVIEW: "Review",
    CardKind.SHARED: "Shared question",
    CardKind.MOCK: "Mock interview",
}


def render_question(
    card: QuestionCard, zone: ZoneInfo, thread_label: str | None = None, width: int | None = None
) -> str:
    kind = _KINDS.get(card.kind, "Your question")
    # The title may wrap; "· topic · difficulty" and "(thread …)" stay whole (no-break spaces, which
    # textwrap does not split at, put back to spaces once wrapped).
    meta = f" · {card.topic_label} · {card.difficulty}".replace(" ", _NO_BREAK)
    head = f"[{kind}] {card.title}{meta}"
    if thread_label:
        head += f"   ({thread_label.replace(' ', _NO_BREAK)})"
    lines = [_lines(head, width).replace(_NO_BREAK, " "), _wrap(card.text, "  ", width)]
    if card.progress:
        lines.insert(0, render_notice(Notice(card.progress), width))
    if card.hint:
        lines.append(_wrap(f"Hint: {card.hint}", "  ", width))
    if card.revealed:
        lines.append("  ✓ The answer is out in the thread.")
    elif card.kind is CardKind.DAILY:
        reveal = f" The answer is revealed {when(card.reveal_at, zone)}." if card.reveal_at else ""
        lines.append(_lines(f"  Reply in the thread: type a line and press Enter.{reveal}", width))
    elif card.kind is CardKind.MOCK:
        lines.append("  Type /check to answer it.")
    elif card.kind is CardKind.REVIEW:
        due = f" (due since {when(card.overdue_since, zone)})" if card.overdue_since else ""
        lines.append(_lines(f"  Answer it in your head, then /answer and rate yourself{due}.", width))
    else:
        lines.append("  Type /answer to see the model answer.")
    if card.check and card.kind is not CardKind.MOCK and not card.revealed:
        lines.append("  Type /check to write your answer and get feedback on it.")
    return "\n".join(lines)


def render_answer(card: AnswerCard, indent: str = "  ", width: int | None = None) -> str:
    lines = [_lines(f"{indent}Model answer — {card.title}", width)]
    for heading, body in card.sections:
        lines.append(f"{indent}{heading}:")
        lines.append(_wrap(body, indent + "  ", width))
    if card.references:
        lines.append(f"{indent}References:")
        lines += [_lines(f"{indent}  - {ref.title}: {ref.url}", width) for ref in card.references]
    if card.participants:
        count = len(card.participants)
        who = ", ".join(card.participants)
        lines.append(_lines(f"{indent}{count} {'person' if count == 1 else 'people'} answered: {who}", width))
    if card.rating:
        lines.append(_lines(f"{indent}{RATE_HINT}", width))
    return "\n".join(lines)


def render_notice(notice: Notice, width: int | None = None) -> str:
    prefix = {NoticeKind.ERROR: "! ", NoticeKind.NEW_CYCLE: "↻ ", NoticeKind.INFO: ""}[notice.kind]
    # Markdown emphasis has no meaning in a terminal: drop its marks. Notices are laid out in lines
    # (help, topic lists, "Usage:"): each keeps its line.
    text = re.sub(r"\*{1,2}([^*\n]+)\*{1,2}", r"\1", notice.text.replace("`", ""))
    return _lines(prefix + text, width)


def render_schedule(card: ScheduleCard, zone: ZoneInfo, width: int | None = None) -> str:
    state = f"paused ({card.paused_reason})" if card.paused else "active"
    lines = [
        f"{card.heading}: {card.post_time} {card.zone}, {card.days}, reveal {card.reveal}; "
        f"{card.filters}; {state}",
    ]
    for slot in card.upcoming:
        lines.append(f"  next post {when(slot.post_at, zone)} → reveal {when(slot.reveal_at, zone)}")
    lines.append(f"  skips: {card.skips}")
    lines += [f"  no question on {day}: {reason}" for day, reason in card.skipped_soon[:SKIPS_SHOWN]]
    if len(card.skipped_soon) > SKIPS_SHOWN:
        lines.append(f"  and {len(card.skipped_soon) - SKIPS_SHOWN} more days without a question")
    if card.options:
        lines.append(f"  {card.options}")
    return _lines("\n".join(lines), width)


def render_stats(card: StatsCard, zone: ZoneInfo, width: int | None = None) -> str:
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
    return _lines("\n".join(lines), width)


def render_leaderboard(card: LeaderboardCard, width: int | None = None) -> str:
    lines = [f"Leaderboard, {card.period} ({card.questions_posted} questions):"]
    lines += [f"  {row.rank}. {row.user_id} — {row.questions}" for row in card.rows]
    if not card.rows:
        lines.append("  nobody yet: reply in a question's thread to get on it")
    lines = [_lines("\n".join(lines), width), render_notice(Notice(card.opt_out_hint), width)]
    return "\n".join(lines)


def render_suggest_form(form: SuggestForm, width: int | None = None) -> str:
    topics = ", ".join(slug for slug, _ in form.topics)
    return _lines(
        "Suggest a question for the bank. Type the question on one line (or /cancel).\n"
        f"  (Optionally start with a topic and difficulty in brackets, e.g. [keras hard]. Topics: {topics})",
        width,
    )


def render_answer_form(form: AnswerForm, width: int | None = None) -> str:
    return _lines(
        f"Your answer to “{form.title}”: type it over as many lines as you like, then a line with "
        f"only a full stop (.) to submit, or /cancel. At most {form.max_length} characters.",
        width,
    )


def render_feedback(card: FeedbackCard, width: int | None = None) -> str:
    """Feedback (only the person sees the console), the model answer, the suggested rating."""
    lines = []
    if card.progress:
        lines.append(render_notice(Notice(card.progress), width))
    lines.append(_lines(f"Feedback on your answer — {card.title}", width))
    lines.append(render_notice(Notice("\n".join("  " + line for line in card.body.splitlines())), width))
    lines.append(render_answer(card.answer, width=width))
    if card.follow_up:
        lines.append(_lines(f"  Follow-up: {card.follow_up}", width))
    suggested = rating_label(card.rating.suggested)
    lines.append(
        _lines(
            f"  Suggested rating: {suggested}. /rate to accept it, or /rate nailed · partly · missed.",
            width,
        )
    )
    return "\n".join(lines)


def render(message: Message, zone: ZoneInfo, width: int | None = None) -> str:
    """Render any core message as plain text wrapped to `width` (default: the terminal's)."""
    if isinstance(message, QuestionCard):
        return render_question(message, zone, width=width)
    if isinstance(message, AnswerCard):
        return render_answer(message, width=width)
    if isinstance(message, ScheduleCard):
        return render_schedule(message, zone, width)
    if isinstance(message, StatsCard):
        return render_stats(message, zone, width)
    if isinstance(message, LeaderboardCard):
        return render_leaderboard(message, width)
    if isinstance(message, SuggestForm):
        return render_suggest_form(message, width)
    if isinstance(message, AnswerForm):
        return render_answer_form(message, width)
    if isinstance(message, FeedbackCard):
        return render_feedback(message, width)
    if isinstance(message, MockSummary):
        return render_notice(Notice(mock_summary_text(message)), width)
    if isinstance(message, DataExport | Forgotten):
        return render_notice(Notice(message.text), width)
    if isinstance(message, ForgetConfirm):
        return render_notice(Notice(f"{message.text}\n{FORGET_PROMPT}"), width)
    return render_notice(message, width)
