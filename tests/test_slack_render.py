"""Slack rendering: mrkdwn conversion, Block Kit limits and splitting, checked by slack_sdk's models."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from adapters import slack_render as R
from bot.bank import QuestionBank
from bot.messages import (
    AnswerCard,
    CardKind,
    Notice,
    NoticeKind,
    QuestionCard,
    ScheduleCard,
    UpcomingSlot,
    answer_card,
    question_card,
)
from bot.questions import Reference

CONTENT = Path(__file__).resolve().parent.parent / "content" / "questions"
REVEAL = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def assert_valid(message: R.SlackMessage) -> None:
    """Re-parse every block with slack_sdk's models (which enforce Block Kit limits) and check ours."""
    assert 1 <= len(message.blocks) <= R.MAX_BLOCKS
    ids = [b.get("block_id") for b in message.blocks if b.get("block_id")]
    assert len(ids) == len(set(ids))
    for raw in message.blocks:
        block = Block.parse(raw)
        assert block is not None
        block.validate_json()
        if raw["type"] == "section":
            assert len(raw["text"]["text"]) <= R.MAX_SECTION_TEXT
        if raw["type"] == "header":
            assert len(raw["text"]["text"]) <= R.MAX_HEADER_TEXT
    assert len(json.dumps(message.blocks)) < 13_000
    assert 0 < len(message.text) <= R.FALLBACK_TEXT


def fences_balanced(message: R.SlackMessage) -> bool:
    return all(b["text"]["text"].count("```") % 2 == 0 for b in message.blocks if b["type"] == "section")


@pytest.fixture(scope="module")
def real_bank() -> QuestionBank:
    return QuestionBank.load(CONTENT)


# mrkdwn ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("a & b < c > d", "a &amp; b &lt; c &gt; d"),
        ("**bold** and *italic*", "*bold* and _italic_"),
        ("__bold__ and _italic_", "*bold* and _italic_"),
        ("[the docs](https://keras.io/api/)", "<https://keras.io/api/|the docs>"),
        ("## Heading", "*Heading*"),
        ("- one\n* two", "• one\n• two"),
        ("`x**2 < y`", "`x**2 &lt; y`"),
        ("2 * 3 * 4", "2 * 3 * 4"),
        ("```python\nif a < b: pass\n```", "```\nif a &lt; b: pass\n```"),
        ("```\n**not bold**\n```", "```\n**not bold**\n```"),
    ],
)
def test_markdown_becomes_mrkdwn(markdown: str, expected: str) -> None:
    """Emphasis, links, headings and lists convert; `&`, `<`, `>` are escaped; code is left alone."""
    assert R.mrkdwn(markdown) == expected


def test_splitting_keeps_every_line_and_balances_code_fences() -> None:
    """A 9,000-character code block split in three: each chunk ≤ 3,000 with its fences closed."""
    code = "```\n" + "\n".join(f"value_{i} = {i} * 2" for i in range(500)) + "\n```"
    chunks = R.split_text(code)
    assert len(chunks) >= 3
    assert all(len(c) <= R.MAX_SECTION_TEXT and c.count("```") == 2 for c in chunks)
    body = "\n".join(line for c in chunks for line in c.splitlines() if line != "```")
    assert body == "\n".join(f"value_{i} = {i} * 2" for i in range(500))


def test_a_line_longer_than_a_section_is_wrapped_without_breaking_an_escape() -> None:
    """No chunk ends in the middle of `&amp;`."""
    chunks = R.split_text(R.mrkdwn("x & y " * 1000))
    assert all(len(c) <= R.MAX_SECTION_TEXT for c in chunks)
    assert all(not c.rstrip().endswith(("&", "&a", "&am", "&amp")) for c in chunks)


def test_date_tokens_carry_the_instant_and_a_utc_fallback() -> None:
    assert R.date_token(REVEAL) == "<!date^1795442400^{date_short_pretty} at {time}|2026-11-23 14:00 UTC>"


# Cards -------------------------------------------------------------------------------------------------


def test_every_question_of_the_bank_renders_within_block_kit_limits(real_bank: QuestionBank) -> None:
    """All cards and answers of the real bank pass the SDK's validators and our budgets."""
    for question in real_bank.questions:
        for kind in CardKind:
            assert_valid(R.question_message(question_card(question, kind, REVEAL, shared_by="U1")))
        for message in R.answer_messages(answer_card(question)):
            assert_valid(message)
            assert fences_balanced(message)


def test_an_on_demand_card_has_both_buttons_carrying_the_question_id() -> None:
    card = QuestionCard("q-1", "T", "keras", "Keras 3", "easy", "Why?", CardKind.ON_DEMAND)
    actions = [b for b in R.question_message(card).blocks if b["type"] == "actions"]
    buttons = actions[0]["elements"]
    assert [(b["action_id"], b["value"], b["text"]["text"]) for b in buttons] == [
        (R.SHOW_ANSWER_ACTION, "q-1", "Show answer (only me)"),
        (R.SHARE_ACTION, "q-1", "Post to channel"),
    ]


def test_a_daily_card_says_to_reply_in_the_thread_and_when_the_answer_comes() -> None:
    card = QuestionCard("q-1", "T", "keras", "Keras 3", "easy", "Why?", CardKind.DAILY, reveal_at=REVEAL)
    blocks = json.dumps(R.question_message(card).blocks)
    assert "Reply in this thread" in blocks and "<!date^1795442400" in blocks and "actions" not in blocks


def test_a_revealed_card_says_the_answer_is_out() -> None:
    card = QuestionCard(
        "q-1", "T", "keras", "Keras 3", "easy", "Why?", CardKind.DAILY, reveal_at=REVEAL, revealed=True
    )
    message = R.question_message(card)
    assert "The answer is out" in json.dumps(message.blocks) and message.text.startswith("Answer is out")


def test_a_huge_answer_is_split_over_messages_within_the_limits() -> None:
    """60,000 characters over six sections: several messages, each valid, nothing dropped."""
    section = "\n\n".join(f"Paragraph {i}: " + "word " * 190 for i in range(10))
    card = AnswerCard(
        "q", "Huge", tuple((f"Part {n}", section) for n in range(6)), (Reference("Docs", "https://x.org"),)
    )
    messages = R.answer_messages(card)
    assert len(messages) > 1
    for message in messages:
        assert_valid(message)
    rendered = " ".join(json.dumps(m.blocks) for m in messages)
    assert all(f"Paragraph {i}:" in rendered for i in range(10)) and "https://x.org" in rendered
    assert messages[0].text.endswith(f"(1/{len(messages)})")


def test_a_title_longer_than_a_header_is_truncated() -> None:
    card = QuestionCard("q", "T" * 400, "keras", "Keras 3", "easy", "Why?", CardKind.DAILY)
    (header,) = [b for b in R.question_message(card).blocks if b["type"] == "header"]
    assert len(header["text"]["text"]) == R.MAX_HEADER_TEXT and header["text"]["text"].endswith("…")


def test_notices_and_settings_render_valid_blocks() -> None:
    schedule = ScheduleCard(
        "Daily question settings",
        "09:00",
        "Europe/Berlin",
        "Mon–Fri",
        "after 6h",
        "all topics",
        False,
        None,
        (UpcomingSlot(REVEAL, REVEAL),),
    )
    messages: list[Any] = [
        R.notice_message(Notice("Only admins <b> & co", NoticeKind.ERROR)),
        R.schedule_message(schedule),
    ]
    for message in messages:
        assert_valid(message)
    assert "&lt;b&gt; &amp; co" in json.dumps(messages[0].blocks)
