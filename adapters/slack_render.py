"""Slack rendering: core messages as Block Kit payloads built with `slack_sdk.models`.

Pure functions; every payload is validated by the SDK's models (`to_dict()` checks Block Kit's
limits) and long answers are split so no message comes near Slack's size limits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.messages import AnswerCard, CardKind, Message, Notice, NoticeKind, QuestionCard, ScheduleCard

# Block Kit's documented limits, and our own budget per message: Slack refused a ~13k-character
# message of blocks (`msg_blocks_too_long`), so one message carries at most this much text.
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MESSAGE_TEXT_BUDGET = 10_000
FALLBACK_TEXT = 300

SHOW_ANSWER_ACTION = "mlq_show_answer"
SHARE_ACTION = "mlq_share"


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """One message: its blocks (as dicts, validated) and the plain fallback text notifications show."""

    blocks: list[dict[str, Any]]
    text: str


# Markdown → mrkdwn ---------------------------------------------------------------------------------

_FENCE = re.compile(r"^\s*```")
_INLINE_CODE = re.compile(r"(`[^`\n]+`)")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+")
_BOLD_MARK = "\x00"


def escape(text: str) -> str:
    """Escape the three characters Slack reserves for its own markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(markdown: str) -> str:
    """Convert the bank's Markdown to Slack mrkdwn (escaping `&`, `<`, `>` everywhere)."""
    out: list[str] = []
    in_code = False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            # Slack shows no language tag: a bare fence opens and closes a block.
            out.append("```")
            in_code = not in_code
        elif in_code:
            out.append(escape(line))
        else:
            out.append(_inline(line))
    return "\n".join(out)


def _inline(line: str) -> str:
    heading = _HEADING.match(line)
    if heading:
        return f"*{_spans(heading.group(1)).replace(_BOLD_MARK, '')}*"
    bullet = _BULLET.match(line)
    if bullet:
        line = f"{bullet.group(1)}• {line[bullet.end() :]}"
    return _spans(line).replace(_BOLD_MARK, "*")


def _spans(line: str) -> str:
    """Convert emphasis and links outside inline code; inline code is only escaped."""
    parts = _INLINE_CODE.split(line)
    for index, part in enumerate(parts):
        if index % 2:
            parts[index] = escape(part)
            continue
        text = escape(part)
        text = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", text)
        text = _BOLD.sub(lambda m: f"{_BOLD_MARK}{m.group(2)}{_BOLD_MARK}", text)
        parts[index] = _ITALIC.sub(lambda m: f"_{m.group(1)}_", text)
    return "".join(parts)


def split_text(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Split mrkdwn into chunks of at most `limit` characters at line breaks.

    A code block cut in two is closed at the end of one chunk and reopened in the next.
    """
    chunks: list[str] = []
    lines: list[str] = []
    size = 0
    in_code = False
    for line in _hard_wrap(text.splitlines(), limit - 8):
        reserve = 4 if in_code or line.startswith("```") else 0
        if lines and size + len(line) + 1 + reserve > limit:
            chunks.append("\n".join([*lines, "```"] if in_code else lines))
            lines, size = (["```"], 4) if in_code else ([], 0)
        lines.append(line)
        size += len(line) + 1
        if line.startswith("```"):
            in_code = not in_code
    if lines:
        chunks.append("\n".join(lines))
    return [chunk for chunk in chunks if chunk.strip() not in ("", "```")]


def _hard_wrap(lines: list[str], width: int) -> Iterator[str]:
    for line in lines:
        while len(line) > width:
            # Never break inside an escape such as `&amp;`.
            cut = line.rfind(" ", 0, width)
            cut = cut if cut > width // 2 else width
            amp = line.rfind("&", max(0, cut - 5), cut)
            if amp > 0 and ";" not in line[amp:cut]:
                cut = amp
            yield line[:cut]
            line = line[cut:].lstrip(" ")
        yield line


def date_token(instant: datetime, style: str = "{date_short_pretty} at {time}") -> str:
    """A Slack date token: each reader sees the instant in their own time zone."""
    fallback = instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(instant.timestamp())}^{style}|{fallback}>"


# Cards ------------------------------------------------------------------------------------------


def question_message(card: QuestionCard) -> SlackMessage:
    """The question card: header, topic · difficulty, the question, what to do, and when."""
    labels = {
        CardKind.DAILY: "Daily question",
        CardKind.ON_DEMAND: "Your question",
        CardKind.SHARED: "Shared question",
    }
    meta = f"*{escape(card.topic_label)}* · {escape(card.difficulty)} · {labels[card.kind]}"
    if card.shared_by:
        meta += f" · shared by <@{card.shared_by}>"
    blocks: list[Block] = [
        HeaderBlock(text=_truncate(card.title, MAX_HEADER_TEXT)),
        ContextBlock(elements=[MarkdownTextObject(text=meta)]),
    ]
    blocks += [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in split_text(mrkdwn(card.text))]
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
        blocks.append(
            ActionsBlock(
                block_id=f"mlq_question:{card.question_id}"[:255],
                elements=[
                    ButtonElement(
                        text="Show answer (only me)",
                        action_id=SHOW_ANSWER_ACTION,
                        value=card.question_id,
                        style="primary",
                    ),
                    ButtonElement(text="Post to channel", action_id=SHARE_ACTION, value=card.question_id),
                ],
            )
        )
    prefix = "Answer is out: " if card.revealed else f"{labels[card.kind]}: "
    return _message(blocks, prefix + card.title)


def answer_messages(card: AnswerCard) -> list[SlackMessage]:
    """The model answer, split into as many messages as Slack's limits need (usually one)."""
    blocks: list[Block] = [HeaderBlock(text=_truncate(f"Model answer — {card.title}", MAX_HEADER_TEXT))]
    for heading, body in card.sections:
        for index, chunk in enumerate(split_text(mrkdwn(body), MAX_SECTION_TEXT - len(escape(heading)) - 20)):
            title = f"*{escape(heading)}*" + (" (continued)" if index else "")
            blocks.append(SectionBlock(text=MarkdownTextObject(text=f"{title}\n{chunk}")))
    if card.participants:
        names = ", ".join(f"<@{user}>" for user in card.participants)
        blocks.append(_context(f"Answered in the thread by {names}."))
    if card.references:
        links = "\n".join(f"• <{ref.url}|{escape(ref.title)}>" for ref in card.references)
        for chunk in split_text(f"*References*\n{links}"):
            blocks.append(SectionBlock(text=MarkdownTextObject(text=chunk)))
    return _pack(blocks, f"Model answer: {card.title}")


def notice_message(notice: Notice) -> SlackMessage:
    icon = {NoticeKind.ERROR: ":warning: ", NoticeKind.NEW_CYCLE: ":repeat: "}.get(notice.kind, "")
    chunks = split_text(icon + mrkdwn(notice.text))
    return _message([SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in chunks], notice.text)


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
    ]
    if state:
        lines.append(state)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text="\n".join(lines)))]
    if card.upcoming and not card.paused:
        upcoming = "\n".join(
            f"• {date_token(slot.post_at)} → answer {date_token(slot.reveal_at, '{time}')}"
            for slot in card.upcoming
        )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*Next questions*\n{upcoming}")))
    return _message(blocks, card.heading)


def render(message: Message) -> list[SlackMessage]:
    """Render any core message as one or more Slack messages."""
    if isinstance(message, QuestionCard):
        return [question_message(message)]
    if isinstance(message, AnswerCard):
        return answer_messages(message)
    if isinstance(message, ScheduleCard):
        return [schedule_message(message)]
    return [notice_message(message)]


# Helpers ------------------------------------------------------------------------------------------


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def _message(blocks: list[Block], text: str) -> SlackMessage:
    return SlackMessage([block.to_dict() for block in blocks], _truncate(text, FALLBACK_TEXT))


def _pack(blocks: list[Block], text: str) -> list[SlackMessage]:
    """Pack blocks in order into messages within the block count and the text budget."""
    messages: list[list[Block]] = [[]]
    size = 0
    for block in blocks:
        length = len(str(block.to_dict()))
        if messages[-1] and (len(messages[-1]) == MAX_BLOCKS or size + length > MESSAGE_TEXT_BUDGET):
            messages.append([])
            size = 0
        messages[-1].append(block)
        size += length
    total = len(messages)
    return [
        _message(group, text if total == 1 else f"{text} ({number}/{total})")
        for number, group in enumerate(messages, start=1)
    ]


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
