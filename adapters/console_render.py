"""Plain-text rendering of core messages for a terminal."""

from __future__ import annotations

import textwrap
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.messages import (
    AnswerCard,
    CardKind,
    Message,
    Notice,
    NoticeKind,
    QuestionCard,
    ScheduleCard,
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


def render_question(card: QuestionCard, zone: ZoneInfo, thread_label: str | None = None) -> str:
    kind = "Daily question" if card.kind is CardKind.DAILY else "Your question"
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
    return "\n".join(lines)


def render_notice(notice: Notice) -> str:
    prefix = {NoticeKind.ERROR: "! ", NoticeKind.NEW_CYCLE: "↻ ", NoticeKind.INFO: ""}[notice.kind]
    return _wrap(prefix + notice.text.replace("`", ""), "")


def render_schedule(card: ScheduleCard, zone: ZoneInfo) -> str:
    state = f"paused ({card.paused_reason})" if card.paused else "active"
    lines = [
        f"{card.heading}: {card.post_time} {card.zone}, {card.days}, reveal {card.reveal}; "
        f"{card.filters}; {state}",
    ]
    for slot in card.upcoming:
        lines.append(f"  next post {when(slot.post_at, zone)} → reveal {when(slot.reveal_at, zone)}")
    return "\n".join(lines)


def render(message: Message, zone: ZoneInfo) -> str:
    if isinstance(message, QuestionCard):
        return render_question(message, zone)
    if isinstance(message, AnswerCard):
        return render_answer(message)
    if isinstance(message, ScheduleCard):
        return render_schedule(message, zone)
    return render_notice(message)
