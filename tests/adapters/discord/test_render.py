"""Discord rendering: every message fits Discord's limits; long answers split cleanly."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from adapters.discord.forms import form_echo
from adapters.discord.markdown import reflow, split_markdown
from adapters.discord.render import (
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    Outgoing,
    answer_messages,
    notice_messages,
    question_embed,
    render,
)
from bot.content.bank import QuestionBank
from bot.content.questions import Reference
from bot.messages import (
    AnswerCard,
    CardKind,
    CheckPrompt,
    LeaderboardCard,
    LeaderboardRow,
    Notice,
    QuestionCard,
    ScheduleCard,
    StatsCard,
    TopicScore,
    answer_card,
    question_card,
)
from tests.support.discord_support import assert_fits
from tests.support.paths import CONTENT

BANK = CONTENT
REVEAL = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def real_bank() -> QuestionBank:
    return QuestionBank.load(BANK)


def question_variants(card: QuestionCard) -> list[QuestionCard]:
    """The ways a card is shown: daily, shared, on demand, after the reveal, with its "Check my
    answer" and as a mock interview's question."""
    check = CheckPrompt(card.question_id, "post:1")
    return [
        replace(card, kind=CardKind.DAILY, reveal_at=REVEAL),
        replace(card, kind=CardKind.SHARED, reveal_at=REVEAL, shared_by="1" * 19),
        replace(card, kind=CardKind.ON_DEMAND),
        replace(card, kind=CardKind.DAILY, reveal_at=REVEAL, revealed=True),
        replace(card, kind=CardKind.DAILY, reveal_at=REVEAL, check=check),
        replace(card, kind=CardKind.SHARED, reveal_at=REVEAL, shared_by="1" * 19, check=check),
        replace(card, kind=CardKind.MOCK, check=CheckPrompt(card.question_id, "mock:1:0", "Answer")),
    ]


def test_every_bank_question_renders_within_the_limits(real_bank: QuestionBank) -> None:
    """All real questions, in every form a question card takes, fit one embed."""
    assert len(real_bank) > 100
    for question in real_bank.questions:
        for card in question_variants(question_card(question, CardKind.ON_DEMAND)):
            assert_fits(Outgoing(embeds=(question_embed(card, "1" * 19, ref="mlq-post-123456"),)))


def test_every_bank_answer_renders_within_the_limits(real_bank: QuestionBank) -> None:
    """All real model answers fit, each in a single message."""
    for question in real_bank.questions:
        messages = answer_messages(answer_card(question), ref="mlq-reveal-123456")
        assert len(messages) == 1, question.id
        assert_fits(messages[0])


def synthetic_answer(size: int) -> AnswerCard:
    """An answer of about `size` characters: prose, bullets and code blocks, some of them huge."""
    prose = " ".join(f"word{i}" for i in range(250))
    code = "\n".join(f"x_{i} = model.predict(batch_{i})  # step {i}" for i in range(60))
    sections: list[tuple[str, str]] = []
    while sum(len(body) for _, body in sections) < size:
        n = len(sections)
        sections.append((f"Section {n}", f"{prose}\n\n- point a\n- point b\n\n```python\n{code}\n```"))
    huge = "\n".join(f"y_{i} = layer_{i}(y_{i - 1})" for i in range(400))  # one block > 4,096
    sections.append(("Code", f"```python\n{huge}\n```"))
    return AnswerCard("q", "A synthetic question", tuple(sections), (Reference("Docs", "https://keras.io/"),))


def test_a_20000_character_answer_is_split_over_messages_within_the_limits() -> None:
    """A 20,000-character answer becomes several messages, each within the limits, fences balanced."""
    card = synthetic_answer(20_000)
    messages = answer_messages(card)
    assert len(messages) > 4
    for message in messages:
        assert_fits(message)


def test_a_split_answer_keeps_every_line_in_order() -> None:
    """Splitting loses and repeats nothing but the fences it closes and re-opens."""
    card = synthetic_answer(20_000)
    text = "\n".join(m.embeds[0].description or "" for m in answer_messages(card))
    lines = [line for line in text.split("\n") if line and not line.startswith("```")]
    expected = [
        line for _, body in card.sections for line in body.split("\n") if line and not line.startswith("```")
    ]
    assert [line for line in lines if not line.startswith(("**", "- [", "Part "))] == expected


def test_a_code_block_longer_than_an_embed_is_cut_and_its_fence_reopened() -> None:
    """Each piece of an oversized code block opens with the original fence and closes it."""
    code = "```python\n" + "\n".join(f"value_{i} = {i} * scale" for i in range(600)) + "\n```"
    pieces = split_markdown(code, DESCRIPTION_LIMIT)
    assert len(pieces) > 1
    for piece in pieces:
        assert len(piece) <= DESCRIPTION_LIMIT
        assert piece.startswith("```python\n") and piece.endswith("\n```")


def test_cuts_fall_between_blocks_when_they_can() -> None:
    """Paragraphs and code blocks that fit are kept whole; a cut falls between them."""
    blocks = [f"Paragraph {i}: " + "text " * 700 for i in range(3)] + ["```\n" + "code\n" * 700 + "```"]
    pieces = split_markdown("\n\n".join(blocks), DESCRIPTION_LIMIT)
    assert pieces == blocks


def test_a_long_notice_is_split_at_2000_characters() -> None:
    """Notices are plain content, split into as many messages as Discord's 2,000 limit needs."""
    messages = notice_messages(Notice("\n\n".join(["A notice paragraph. " * 40] * 6)))
    assert len(messages) > 1
    for message in messages:
        assert message.content is not None and len(message.content) <= CONTENT_LIMIT


def test_the_hint_is_behind_a_spoiler() -> None:
    """A question's hint is hidden until clicked, so nobody sees it by accident."""
    card = QuestionCard(
        "q", "Title", "keras", "Keras 3", "easy", "Why?", CardKind.DAILY, hint="Think shapes."
    )
    assert "||Think shapes.||" in (question_embed(card).description or "")


def test_a_long_title_and_question_are_clipped_to_fit() -> None:
    """Titles over 256 and question texts over the embed's room are shortened with an ellipsis."""
    card = QuestionCard(
        "q", "T" * 400, "keras", "Keras 3", "easy", "word " * 2000, CardKind.SHARED, shared_by="1"
    )
    embed = question_embed(card)
    assert_fits(Outgoing(embeds=(embed,)))
    assert (embed.title or "").endswith("…") and "…" in (embed.description or "")


def test_wrapped_lines_are_joined_but_lists_and_code_keep_theirs() -> None:
    """Discord shows every newline, so a paragraph's soft line breaks become spaces; code is untouched."""
    text = "A paragraph\nwrapped here.\n\n- an item\n  continued\n- another\n\n```python\nx = 1\ny = 2\n```"
    expected = "A paragraph wrapped here.\n\n- an item continued\n- another\n\n```python\nx = 1\ny = 2\n```"
    assert reflow(text) == expected


@pytest.mark.parametrize(
    ("core", "shown"),
    [
        (
            "Start one with `/mlquestion subscribe 09:00 Europe/London` (see `/mlquestion help`).",
            "Start one with `/mlquestion-channel subscribe`.",
        ),
        (
            "Paused: no daily questions until `/mlquestion resume`.",
            "Paused: no daily questions until `/mlquestion-channel resume`.",
        ),
        ("Try `/mlquestion keras hard`.", "Try `/mlquestion keras hard`."),
        (
            "It comes back in `/mlquestion review` in 2 days.",
            "It comes back in `/mlquestion-review` in 2 days.",
        ),
        ("Your own `/mlquestion stats` still work.", "Your own `/mlquestion-stats` still work."),
        (
            "`/mlquestion leaderboard week` shows who kept it up.",
            "`/mlquestion-leaderboard period:week` shows who kept it up.",
        ),
        (
            "Not on it by choice? `/mlquestion leaderboard optout` (and `optin` to come back).",
            "Not on it by choice? `/mlquestion-leaderboard-optout on` "
            "(and `/mlquestion-leaderboard-optout off` to come back).",
        ),
        ("Or `/mlquestion suggest` one.", "Or `/mlquestion-suggest` one."),
        ("Run `/mlquestion link K7QX2MPA` there.", "Run `/mlquestion-link code:K7QX2MPA` there."),
        ("`/mlquestion unlink` separates them.", "`/mlquestion-unlink` separates them."),
        ("`/mlquestion mock stop` ends it.", "`/mlquestion-mock stop:True` ends it."),
        ("`/mlquestion mock` starts a new one.", "`/mlquestion-mock` starts a new one."),
        ("Try `/mlquestion mock track mlops count 3`.", "Try `/mlquestion-mock`."),
    ],
)
def test_core_command_hints_are_shown_as_discord_commands(core: str, shown: str) -> None:
    """Channel administration is /mlquestion-channel on Discord, with options instead of words;
    review, stats, leaderboard, suggest and mock are commands of their own."""
    (message,) = notice_messages(Notice(core))
    assert message.content == shown


def test_many_participants_are_named_within_the_content_limit() -> None:
    """Sixty people answered: fifty are named (and may be notified), the rest counted."""
    people = tuple(str(10**18 + i) for i in range(60))
    card = AnswerCard("q", "T", (("Answer", "x"),), participants=people)
    (message,) = answer_messages(card)
    assert_fits(message)
    assert message.content is not None and message.content.startswith("60 people answered: <@")
    assert message.content.endswith(" and 10 more") and message.content.count("<@") == 50
    assert message.mentions is not None and len(message.mentions.to_dict()["users"]) == 50


def test_practice_cards_fit_discords_limits() -> None:
    """Stats with every topic, a full leaderboard and settings with many skipped days each fit."""
    topics = tuple(TopicScore(f"Topic {i} " + "x" * 40, i, i, i) for i in range(15))
    stats = StatsCard(12, 40, "this channel's daily questions", 99, 80, topics, 3, REVEAL)
    rows = tuple(LeaderboardRow(i + 1, str(10**18 + i), 50 - i) for i in range(10))
    board = LeaderboardCard("the last 30 days", rows, 22, "Not on it? `/mlquestion leaderboard optout`.")
    skipped = tuple((f"2026-12-{day:02d}", "A very long holiday name " * 3) for day in range(1, 30))
    schedule = ScheduleCard(
        "Daily question settings", "09:00", "Europe/Berlin", "mon-fri", "after 6h", "all topics", False,
        None, (), "public holidays in GB and dates 2026-12-24", skipped, "reveal mentions who answered",
    )  # fmt: skip
    for message in (stats, board, schedule):
        for outgoing in render(message):
            assert_fits(outgoing)
    (board_message,) = render(board)
    assert board_message.mentions is not None and board_message.mentions.to_dict()["parse"] == []


def test_a_refused_form_is_given_back_in_full() -> None:
    """The longest question and answer come back whole, in code blocks, one embed per message."""
    question, answer = "q" * 3000, "a" * 4000
    messages = form_echo(question, answer, "keras", "")
    for message in messages:
        assert_fits(message)
    descriptions = [m.embeds[0].description or "" for m in messages]
    assert descriptions == [f"```\n{question}\n```", f"```\n{answer}\n```"]
    assert messages[0].content is not None and "topic `keras`" in messages[0].content
