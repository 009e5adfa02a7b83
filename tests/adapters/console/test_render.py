"""Plain-text rendering: laid-out text keeps its lines, prose wraps to the terminal, words stay whole."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from adapters.console.render import render_notice, render_question
from bot.commands import USAGE
from bot.content.questions import Question
from bot.messages import CardKind, Notice, NoticeKind, question_card

TOPICS = """Topics (questions in the bank):
• `supervised-learning` — Supervised learning (31)
• `scikit-learn` — scikit-learn API & pipelines (34)
Difficulties: `easy`, `medium`, `hard`"""

LONG = " ".join(["a sentence of ordinary words that goes on"] * 6)


def test_help_keeps_one_command_per_line() -> None:
    """Each line of the help starts a line of the output (long ones continue, indented, below)."""
    out = render_notice(Notice(USAGE), width=100).splitlines()
    for line in USAGE.replace("`", "").splitlines():
        assert any(shown.startswith(line[:30]) for shown in out), line


def test_a_topic_list_keeps_one_topic_per_line() -> None:
    """Bulleted topics stay one per line, never run together into a paragraph."""
    out = render_notice(Notice(TOPICS), width=100).splitlines()
    assert out == [line.replace("`", "") for line in TOPICS.splitlines()]


def test_a_usage_line_starts_a_line_of_its_own() -> None:
    """An error's "Usage:" line is not run into the error before it."""
    notice = Notice("unknown time zone 'Moon/Base'\nUsage: `subscribe [HH:MM] [Zone]`", NoticeKind.ERROR)
    assert render_notice(notice, width=100).splitlines() == [
        "! unknown time zone 'Moon/Base'",
        "Usage: subscribe [HH:MM] [Zone]",
    ]


@pytest.mark.parametrize("width", [24, 31, 40])
def test_wrapping_never_splits_a_word_or_a_hyphenated_name(width: int) -> None:
    """`supervised-learning` and `scikit-learn` stay whole however narrow the terminal."""
    out = render_notice(Notice(TOPICS), width=width)
    assert out.split() == TOPICS.replace("`", "").split()


def test_text_wraps_to_the_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """With 50 columns, lines fill up to 50 columns and no further (not a fixed 88)."""
    monkeypatch.setenv("COLUMNS", "50")
    lines = render_notice(Notice(LONG)).splitlines()
    assert max(len(line) for line in lines) <= 50 and len(lines[0]) > 40


def test_a_card_title_may_wrap_but_its_topic_and_difficulty_stay_together(
    make_question: Callable[..., Question],
) -> None:
    """A long title wraps; "· Keras 3 · easy" is never split across lines."""
    card = replace(
        question_card(make_question("a-question"), CardKind.ON_DEMAND),
        title="EarlyStopping that never sees a callback-computed metric of the model",
    )
    head = render_question(card, ZoneInfo("UTC"), width=60).splitlines()[:2]
    assert head[0].startswith("[Your question] EarlyStopping") and head[1].endswith("· Keras 3 · easy"), head
