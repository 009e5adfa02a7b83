"""Slack messages as lists of Block Kit blocks: the limits we build to, and the few block helpers
every renderer shares (`render` for the cards, `feedback` for answer feedback and mock summaries).

Pure functions; blocks come from `slack_sdk.models`, whose `to_dict()` checks Block Kit's limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from adapters.slack.mrkdwn import MAX_SECTION_TEXT, clean, clip, plain, split_text, truncate

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


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """One message: its blocks (as dicts, validated) and the plain fallback text notifications show."""

    blocks: list[dict[str, Any]]
    text: str

    def payload(self) -> dict[str, Any]:
        """The message's arguments for chat.postMessage, chat.postEphemeral or a response_url."""
        return {"blocks": self.blocks, "text": self.text}


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=truncate(clean(text), MAX_HEADER_TEXT))


def sections(text: str, budget: int) -> list[Block]:
    """Sections of at most MAX_SECTION_TEXT characters carrying at most `budget` of `text`."""
    return [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in split_text(clip(text, budget))]


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def message(blocks: list[Block], text: str) -> SlackMessage:
    """A message of these blocks; `text` is the plain fallback notifications show, made inert here."""
    return SlackMessage([block.to_dict() for block in blocks], plain(text, FALLBACK_TEXT))


def pack(groups: list[list[Block]], text: str) -> list[SlackMessage]:
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
        message(group, text if total == 1 else f"{text} ({number}/{total})")
        for number, group in enumerate(messages, start=1)
    ]


def section_groups(text: str, label: str = "") -> list[list[Block]]:
    """Long mrkdwn `text` as one group per section, each within MAX_SECTION_TEXT (nothing clipped);
    later sections start with `label` "(continued)" when a label is given."""
    chunks = split_text(text, MAX_SECTION_TEXT - len(label) - 20)
    return [
        [
            SectionBlock(
                text=MarkdownTextObject(text=(f"{label} (continued)\n" if index and label else "") + chunk)
            )
        ]
        for index, chunk in enumerate(chunks)
    ]


def _continued(label: str, index: int) -> str:
    return f"{label} (continued)\n" if index and label else ""
