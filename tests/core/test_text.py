"""Untrusted text: control characters stripped, echoes clipped, terminal text neutralised, mentions."""

from __future__ import annotations

import pytest

from bot.text import ECHO_LIMIT, clean, for_terminal, mention_in, shown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("K7QX\x00MPA", "K7QXMPA"),
        ("red \x1b[31mtext\x1b[0m", "red [31mtext[0m"),
        ("8-bit CSI \x9b2J and DEL \x7f", "8-bit CSI 2J and DEL "),
        ("two\r\nlines\rand a\ttab", "two\nlines\nand a\ttab"),
        ("Überprüfung · ünïcödé ✓", "Überprüfung · ünïcödé ✓"),
    ],
)
def test_clean_drops_control_characters_and_keeps_lines_and_tabs(text: str, expected: str) -> None:
    """NUL, ESC, DEL and the C1 controls go; line breaks (CR LF → LF), tabs and letters stay."""
    assert clean(text) == expected


def test_shown_clips_a_long_value_and_marks_the_cut() -> None:
    """A 5,000-character value is quoted back as its first 100 characters and "…"."""
    assert shown("x" * 5000) == "x" * ECHO_LIMIT + "…"
    assert shown("short") == "short"
    assert shown("a\x00b") == "ab"


def test_for_terminal_shows_escape_sequences_instead_of_obeying_them() -> None:
    """ESC, the 8-bit CSI and bidi overrides become visible `\\x..` escapes; lines and tabs stay."""
    text = "clear\x1b[2J screen\x9b and \u202eevil\nnext\tline"
    assert for_terminal(text) == "clear\\x1b[2J screen\\x9b and \\u202eevil\nnext\tline"


@pytest.mark.parametrize(
    ("text", "mention"),
    [
        ("Hello <!channel>", "<!channel>"),
        ("Hi <!here|here>", "<!here|here>"),
        ("Ping @everyone", "@everyone"),
        ("Ping @HERE now", "@HERE"),
        ("Ask <@U0123ABC>", "<@U0123ABC>"),
        ("Ask <@!1300000000000000102>", "<@!1300000000000000102>"),
        ("Role <@&42>", "<@&42>"),
        ("Why does Adam's epsilon matter?", None),
        ("Compare a < b and c > d", None),
    ],
)
def test_mentions_that_would_notify_people_are_found(text: str, mention: str | None) -> None:
    assert mention_in(text) == mention
