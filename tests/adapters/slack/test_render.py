"""Slack rendering: mrkdwn conversion, Block Kit limits and splitting, checked by slack_sdk's models."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.models.blocks import Block, BlockElement
from slack_sdk.models.views import View

from adapters.slack import render as R
from adapters.slack.components import (
    RATE_ACTION_PREFIX,
    REVIEW_ANSWER_ACTION,
    SHARE_ACTION,
    SHOW_ANSWER_ACTION,
    SUGGEST_CALLBACK,
    parse_rating_value,
    suggest_view,
)
from adapters.slack.mrkdwn import MAX_SECTION_TEXT, date_token, mrkdwn, split_text
from bot.content.bank import QuestionBank
from bot.content.questions import Reference
from bot.content.taxonomy import TOPICS, Difficulty
from bot.messages import (
    AnswerCard,
    CardKind,
    LeaderboardCard,
    LeaderboardRow,
    Notice,
    NoticeKind,
    QuestionCard,
    RatingPrompt,
    ScheduleCard,
    StatsCard,
    SuggestForm,
    TopicScore,
    UpcomingSlot,
    answer_card,
    question_card,
)
from tests.support.paths import CONTENT

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
        block.to_dict()  # validates the nested elements too
        if raw["type"] == "actions":
            action_ids = [element["action_id"] for element in raw["elements"]]
            assert len(action_ids) == len(set(action_ids))
            for element in raw["elements"]:
                parsed = BlockElement.parse(element)
                assert parsed is not None
                parsed.validate_json()  # button text ≤ 75, value ≤ 2,000, action_id ≤ 255
        if raw["type"] == "section":
            assert len(raw["text"]["text"]) <= MAX_SECTION_TEXT
        if raw["type"] == "header":
            assert len(raw["text"]["text"]) <= R.MAX_HEADER_TEXT
    assert len(json.dumps(message.blocks)) < 13_000
    assert 0 < len(message.text) <= R.FALLBACK_TEXT


def blocks_text(message: R.SlackMessage) -> str:
    return json.dumps(message.blocks, ensure_ascii=False)


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
    assert mrkdwn(markdown) == expected


def test_splitting_keeps_every_line_and_balances_code_fences() -> None:
    """A 9,000-character code block split in three: each chunk ≤ 3,000 with its fences closed."""
    code = "```\n" + "\n".join(f"value_{i} = {i} * 2" for i in range(500)) + "\n```"
    chunks = split_text(code)
    assert len(chunks) >= 3
    assert all(len(c) <= MAX_SECTION_TEXT and c.count("```") == 2 for c in chunks)
    body = "\n".join(line for c in chunks for line in c.splitlines() if line != "```")
    assert body == "\n".join(f"value_{i} = {i} * 2" for i in range(500))


def test_a_line_longer_than_a_section_is_wrapped_without_breaking_an_escape() -> None:
    """No chunk ends in the middle of `&amp;`."""
    chunks = split_text(mrkdwn("x & y " * 1000))
    assert all(len(c) <= MAX_SECTION_TEXT for c in chunks)
    assert all(not c.rstrip().endswith(("&", "&a", "&am", "&amp")) for c in chunks)


def test_date_tokens_carry_the_instant_and_a_utc_fallback() -> None:
    assert date_token(REVEAL) == "<!date^1795442400^{date_short_pretty} at {time}|2026-11-23 14:00 UTC>"


# Cards -------------------------------------------------------------------------------------------------


def rate_buttons(message: R.SlackMessage) -> list[dict[str, Any]]:
    return [
        element
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"].startswith(RATE_ACTION_PREFIX)
    ]


PARTICIPANTS = tuple(f"U{n:010d}" for n in range(60))


def test_every_question_of_the_bank_renders_within_block_kit_limits(real_bank: QuestionBank) -> None:
    """All cards and answers of the real bank pass the SDK's validators and our budgets, with their
    rating buttons (under the last message of an answer) and everyone who answered."""
    for question in real_bank.questions:
        for kind in CardKind:
            card = question_card(question, kind, REVEAL, shared_by="U1")
            if kind is CardKind.REVIEW:
                card = replace(
                    card, rating=RatingPrompt(question.id, "review:2026-11-23"), overdue_since=REVEAL
                )
            message = R.question_message(card)
            assert_valid(message)
            assert len(rate_buttons(message)) == (3 if kind is CardKind.REVIEW else 0)
        for mention in (True, False):
            answer = answer_card(
                question, RatingPrompt(question.id, "post:123456789012"), PARTICIPANTS, mention
            )
            messages = R.answer_messages(
                answer, {user: "A very long display name " * 3 for user in PARTICIPANTS}
            )
            for message in messages:
                assert_valid(message)
                assert fences_balanced(message)
            assert len(rate_buttons(messages[-1])) == 3
            assert all(not rate_buttons(message) for message in messages[:-1])


def test_an_on_demand_card_has_both_buttons_carrying_the_question_id() -> None:
    card = QuestionCard("q-1", "T", "keras", "Keras 3", "easy", "Why?", CardKind.ON_DEMAND)
    actions = [b for b in R.question_message(card).blocks if b["type"] == "actions"]
    buttons = actions[0]["elements"]
    assert [(b["action_id"], b["value"], b["text"]["text"]) for b in buttons] == [
        (SHOW_ANSWER_ACTION, "q-1", "Show answer (only me)"),
        (SHARE_ACTION, "q-1", "Post to channel"),
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


# Practice -------------------------------------------------------------------------------------------


def test_rating_buttons_carry_the_question_and_where_they_were_shown() -> None:
    """Nailed it / Partly / Missed it: the choice is the action id, the prompt the value."""
    prompt = RatingPrompt("keras-easy", "post:12")
    card = AnswerCard("keras-easy", "T", (("Answer", "Because."),), rating=prompt)
    (message,) = R.answer_messages(card)
    buttons = rate_buttons(message)
    assert [(b["action_id"], b["text"]["text"]) for b in buttons] == [
        ("mlq_rate_nailed", "Nailed it"),
        ("mlq_rate_partly", "Partly"),
        ("mlq_rate_missed", "Missed it"),
    ]
    assert {parse_rating_value(b["value"]) for b in buttons} == {prompt}


@pytest.mark.parametrize(
    ("mention", "expected"),
    [(True, "2 people answered: <@U0ANN>, <@U0BOB>"), (False, "2 people answered: Ann &amp; co, U0BOB")],
)
def test_who_answered_is_mentioned_or_named_without_notifying(mention: bool, expected: str) -> None:
    """With mentions off, names (escaped; the id when no name is known) and no `<@…>`."""
    card = AnswerCard(
        "q", "T", (("Answer", "x"),), participants=("U0ANN", "U0BOB"), mention_participants=mention
    )
    assert R.names_needed(card) == (() if mention else ("U0ANN", "U0BOB"))
    blocks = blocks_text(R.answer_messages(card, {"U0ANN": "Ann & co"})[0])
    assert expected in blocks
    assert ("<@" in blocks) is mention


def test_a_review_card_has_a_show_answer_button_and_the_rating_buttons() -> None:
    card = QuestionCard(
        "q-1",
        "T",
        "keras",
        "Keras 3",
        "easy",
        "Why?",
        CardKind.REVIEW,
        rating=RatingPrompt("q-1", "review:2026-11-23"),
        overdue_since=REVEAL,
    )
    message = R.question_message(card)
    assert_valid(message)
    actions = [e["action_id"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
    assert actions == [REVIEW_ANSWER_ACTION, "mlq_rate_nailed", "mlq_rate_partly", "mlq_rate_missed"]
    assert "due since <!date^1795442400" in blocks_text(message)


def test_stats_and_leaderboards_render_valid_blocks_naming_nobody_with_a_mention() -> None:
    stats = StatsCard(
        3, 5, "this channel's daily questions", 4, 2, (TopicScore("Keras 3", 1, 0, 1),), 1, REVEAL
    )
    board = LeaderboardCard(
        "the last 7 days", (LeaderboardRow(1, "U0ANN", 3), LeaderboardRow(2, "U0BOB", 1)), 3, "Use `optout`."
    )
    for message in (R.stats_message(stats), R.leaderboard_message(board, {"U0ANN": "Ann"})):
        assert_valid(message)
    text = blocks_text(R.leaderboard_message(board, {"U0ANN": "Ann"}))
    assert "1. Ann — 3 questions" in text and "2. U0BOB — 1 question" in text and "<@" not in text
    assert "Keras 3 — 1 nailed, 0 partly, 1 missed" in blocks_text(R.stats_message(stats))


def test_the_suggestion_form_is_a_valid_modal_with_the_four_fields() -> None:
    form = SuggestForm(tuple((t.slug, t.label) for t in TOPICS), tuple(d.value for d in Difficulty))
    view = suggest_view(form, json.dumps({"channel": "C0GENERAL"}))
    View(**view).validate_json()
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs) == ["question", "answer", "topic", "difficulty"]
    assert inputs["question"]["element"]["multiline"] and inputs["answer"]["element"]["multiline"]
    assert inputs["topic"]["optional"] and inputs["difficulty"]["optional"]
    assert [o["value"] for o in inputs["topic"]["element"]["options"]] == [t.slug for t in TOPICS]
    assert (
        view["callback_id"] == SUGGEST_CALLBACK
        and json.loads(view["private_metadata"])["channel"] == "C0GENERAL"
    )


def test_settings_show_skipped_days_and_options() -> None:
    schedule = ScheduleCard(
        "Daily question settings",
        "09:00",
        "Europe/London",
        "Mon–Fri",
        "after 6h",
        "all topics",
        False,
        None,
        (UpcomingSlot(REVEAL, REVEAL),),
        skips="public holidays in GB",
        skipped_soon=(("2026-12-25", "Christmas Day"),),
        options="reveal names without mentioning who answered; weekly summary off",
    )
    message = R.schedule_message(schedule)
    assert_valid(message)
    text = blocks_text(message)
    assert "public holidays in GB" in text and "2026-12-25 — Christmas Day" in text
    assert "names without mentioning" in text


# Text people or the bank supply: inert, cleaned, and within Slack's limits -------------------------------

HOSTILE = "<!channel> <!here> <@U0ALICE> @everyone @here & <b>"


def _hostile_messages(title: str) -> list[R.SlackMessage]:
    schedule = ScheduleCard(title, "09:00", "UTC", "Mon–Fri", "after 6h", "all", False, None, ())
    return [
        R.question_message(QuestionCard("q", title, "keras", "Keras 3", "easy", "Why?", CardKind.DAILY)),
        R.question_message(
            QuestionCard("q", title, "keras", "Keras 3", "easy", "Why?", CardKind.DAILY, revealed=True)
        ),
        *R.answer_messages(AnswerCard("q", title, (("Answer", "x"),))),
        R.notice_message(Notice(title)),
        R.schedule_message(schedule),
    ]


@pytest.mark.parametrize("index", range(5))
def test_the_fallback_text_notifies_nobody(index: int) -> None:
    """`text` (what notifications show, parsed by Slack) carries no live mention, link or broadcast."""
    message = _hostile_messages(HOSTILE)[index]
    assert "<" not in message.text and ">" not in message.text
    assert "&lt;!channel&gt;" in message.text and "&lt;@U0ALICE&gt;" in message.text
    assert "&amp;" in message.text and "&lt;b&gt;" in message.text
    assert "@everyone" not in message.text and "@here" not in message.text


def test_a_nul_in_text_is_dropped_not_turned_into_bold() -> None:
    """The converter marks bold with NUL internally; a NUL someone typed must not become `*`."""
    assert mrkdwn("a\x00b **bold** c\x00d") == "ab *bold* cd"
    message = R.notice_message(Notice("unknown topic `py\x00torch`", NoticeKind.ERROR))
    assert "`pytorch`" in blocks_text(message) and "\\u0000" not in json.dumps(message.blocks)


@pytest.mark.parametrize("control", ["\x00", "\x1b[31m", "\x07", "\x7f", "\x9b"])
def test_control_characters_reach_no_block_and_no_fallback(control: str) -> None:
    """Terminal escapes, bells and NULs are dropped from every text, header and name we render."""
    title = f"Title{control}end"
    messages = [
        *_hostile_messages(title),
        R.leaderboard_message(
            LeaderboardCard("all time", (LeaderboardRow(1, "U0ANN", 3),), 3, "x"), {"U0ANN": f"Ann{control}"}
        ),
    ]
    for message in messages:
        rendered = "".join(_strings({"blocks": message.blocks, "text": message.text}))
        assert not [c for c in rendered if (ord(c) < 32 and c not in "\n\t") or 127 <= ord(c) < 160]


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def test_a_mention_is_made_only_of_a_user_id() -> None:
    """A participant or sharer that is not a Slack user id is shown as text, not parsed as markup."""
    card = AnswerCard("q", "T", (("Answer", "x"),), participants=("U0ANN", "U0ANN|x> <!channel"))
    text = blocks_text(R.answer_messages(card)[0])
    assert "<@U0ANN>" in text and "<!channel" not in text


def _limits_hold(message: R.SlackMessage) -> None:
    assert_valid(message)
    assert len(json.dumps(message.blocks, ensure_ascii=False)) <= 13_000


def test_a_long_list_of_skipped_dates_renders_within_the_limits() -> None:
    """400 skip dates and a long filter list: one valid message, the lists clipped, not refused by Slack."""
    dates = ", ".join(f"2027-{1 + n // 28:02d}-{1 + n % 28:02d}" for n in range(400))
    schedule = ScheduleCard(
        "Daily question settings",
        "09:00",
        "Europe/London",
        "Mon–Fri",
        "after 6h",
        "topics " + ", ".join(["supervised-learning"] * 300),
        False,
        None,
        tuple(UpcomingSlot(REVEAL, REVEAL) for _ in range(10)),
        skips=f"public holidays in GB and dates {dates}",
        skipped_soon=tuple((f"2027-01-{1 + n % 28:02d}", "skipped date " * 5) for n in range(300)),
        options="reveal names without mentioning who answered; weekly summary off",
    )
    message = R.schedule_message(schedule)
    _limits_hold(message)
    text = blocks_text(message)
    assert "2027-01-01" in text and "clipped" in text and "Next questions" in text


@pytest.mark.parametrize("length", [5_000, 100_000])
def test_a_long_notice_is_clipped_to_one_message(length: int) -> None:
    """An echoed 5,000-character value is cut in one message, not spread over several."""
    messages = R.render(Notice(f"unknown topic `{'x' * length}`", NoticeKind.ERROR))
    (message,) = messages
    _limits_hold(message)
    assert "clipped" in blocks_text(message)


def test_long_cards_of_every_kind_fit_one_message() -> None:
    """A huge question, 60 people with 200-character names, 200 topics: each card stays one valid message."""
    question = QuestionCard("q", "T", "keras", "Keras 3", "easy", "Why? " * 10_000, CardKind.ON_DEMAND)
    rows = tuple(LeaderboardRow(n + 1, f"U{n:04d}", 60 - n) for n in range(60))
    names = {row.user_id: "N" * 200 for row in rows}
    board = LeaderboardCard("all time", rows, 99, "Use `optout`. " * 400)
    topics = tuple(TopicScore(f"Topic {n} " + "x" * 80, n, n, n) for n in range(200))
    stats = StatsCard(1, 2, "here " * 400, 3, 4, topics, 0, REVEAL)
    for message in (
        R.question_message(question),
        R.leaderboard_message(board, names),
        R.stats_message(stats),
    ):
        _limits_hold(message)
    assert SHOW_ANSWER_ACTION in blocks_text(R.question_message(question))  # the buttons survive the cut
