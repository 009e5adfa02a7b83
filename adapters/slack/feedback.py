"""Feedback on a person's own answer and the end of a mock interview, as Block Kit.

Pure functions. `render` composes a feedback card from `feedback_groups` (what this module draws),
the model answer's groups and the rating buttons, and packs them into as many messages as Slack's
limits need; a mock summary is one message whose long parts are clipped.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from adapters.slack.blocks import (
    PART_TEXT_BUDGET,
    SlackMessage,
    context,
    header,
    message,
    section_groups,
    sections,
)
from adapters.slack.mrkdwn import mrkdwn
from bot.messages import FeedbackCard, MockSummary, mock_summary_text

SUMMARY_HEADINGS = {
    "finished": "Mock interview finished",
    "stopped": "Mock interview stopped",
    "expired": "Mock interview expired",
}


def feedback_groups(card: FeedbackCard) -> list[list[Block]]:
    """Header, where a mock interview is, the checked key points and the follow-up, one group per
    block so a long body can be split over messages without losing a line."""
    groups: list[list[Block]] = [[header(f"Your answer — {card.title}")]]
    if card.progress:
        groups.append([context(mrkdwn(card.progress))])
    groups += section_groups(mrkdwn(card.body), "*Feedback*")
    if card.follow_up:
        probe = f"*The interviewer follows up:* {mrkdwn(card.follow_up)}"
        groups += section_groups(probe)
        groups.append([context(":thinking_face: Think how you would answer it, then rate yourself below.")])
    return groups


def summary_message(summary: MockSummary) -> SlackMessage:
    """The end of a mock interview: each question's rating, strong and weak topics, an overall read.

    The text is the core's (`mock_summary_text`, the same on every platform); its first line is the
    heading, shown here as the header.
    """
    lines = mock_summary_text(summary).splitlines()
    heading = SUMMARY_HEADINGS.get(summary.ended, "Mock interview")
    body = "\n".join(lines[1:])
    blocks = [header(heading), *sections(mrkdwn(body), 2 * PART_TEXT_BUDGET)]
    return message(blocks, heading)
