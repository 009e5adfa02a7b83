"""`mlq content suggestions` prints what users wrote: escape sequences in it are shown, never obeyed
by the moderator's terminal, and `mlq content accept` writes no control character into a draft."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.core.conftest import SuggestionDatabase

HOSTILE = "Why scale\x1b[2J\x1b]0;pwned\x07 features\x9b31m?\u202e"


@pytest.fixture
def hostile_suggestion(suggestion_database: SuggestionDatabase) -> Path:
    """A database holding a suggestion stored before text was cleaned at the edge (SQLite kept it)."""
    return suggestion_database("slack:T1:U\x1b[31m1", HOSTILE, "Distances\x00 depend on units.")


def test_suggestions_show_escape_sequences_as_text(
    hostile_suggestion: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["content", "suggestions"]) == 0
    out = capsys.readouterr().out
    assert not any(c in out for c in "\x1b\x07\x9b\u202e")
    assert "Why scale\\x1b[2J\\x1b]0;pwned\\x07 features\\x9b31m?\\u202e" in out
    assert "slack:T1:U\\x1b[31m1" in out


def test_an_accepted_suggestion_is_written_without_control_characters(
    hostile_suggestion: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    drafts = hostile_suggestion / "suggested"
    assert main(["content", "accept", "1", "--dir", str(drafts)]) == 0
    [path] = drafts.rglob("*.md")
    text = path.read_text(encoding="utf-8")
    assert "Why scale[2J]0;pwned features31m?" in text and "Distances depend on units." in text
    assert not any(c in text for c in "\x00\x1b\x07\x9b")
