"""The one `/mlquestion` grammar shared by every adapter."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from bot.commands import (
    Ask,
    CommandError,
    Export,
    ForgetMe,
    Help,
    ListTopics,
    Pause,
    Resume,
    ShowSettings,
    Subscribe,
    Unsubscribe,
    parse_command,
)
from bot.content.bank import Filters
from bot.content.taxonomy import Difficulty
from bot.schedule.rules import RevealRule


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("", Ask()),
        ("/mlquestion", Ask()),
        ("help", Help()),
        ("topics", ListTopics()),
        ("unsubscribe", Unsubscribe()),
        ("pause", Pause()),
        ("resume", Resume()),
        ("settings", ShowSettings()),
        ("export", Export()),
        ("forget-me", ForgetMe()),
        ("FORGETME", ForgetMe()),
        ("keras hard", Ask(Filters(("keras",), (Difficulty.HARD,)))),
        ("HARD sklearn", Ask(Filters(("scikit-learn",), (Difficulty.HARD,)))),
        ("tf tensorflow", Ask(Filters(("tensorflow",), ()))),
    ],
)
def test_simple_commands_and_filters(text: str, command: object) -> None:
    """Words map to commands; topics and difficulties come in any order, aliases allowed."""
    assert parse_command(text) == command


def test_subscribe_with_every_part() -> None:
    """subscribe takes time, zone, days, reveal rule and filters."""
    command = parse_command("subscribe 09:30 Europe/Berlin mon,wed,fri reveal after 4h keras hard")
    assert isinstance(command, Subscribe)
    assert command.post_time == time(9, 30)
    assert command.zone is not None and command.zone.key == "Europe/Berlin"
    assert command.days == frozenset({0, 2, 4})
    assert command.reveal == RevealRule(after=timedelta(hours=4), at=None)
    assert command.filters == Filters(("keras",), (Difficulty.HARD,))


def test_subscribe_reveal_at_a_local_time() -> None:
    """`reveal at HH:MM` sets a fixed local reveal time."""
    command = parse_command("subscribe reveal at 16:00")
    assert isinstance(command, Subscribe)
    assert command.reveal == RevealRule(after=None, at=time(16, 0))
    assert command.post_time is None and command.filters is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("kerass", "unknown topic or difficulty `kerass`"),
        ("keras impossible", "`impossible`"),
        ("help me", "`help` takes no arguments"),
        ("forget-me now", "`forget-me` takes no arguments"),
        ("subscribe 25:00", "time '25:00' is not HH:MM"),
        ("subscribe 09:00 Mars/Base", "unknown time zone 'Mars/Base'"),
        ("subscribe reveal later 3h", "reveal later"),
        ("subscribe reveal after", "needs `after <duration>`"),
        ("subscribe 09:00 cooking", "unknown topic or difficulty `cooking`"),
    ],
)
def test_bad_arguments_say_which_and_what_is_valid(text: str, fragment: str) -> None:
    """A bad argument is named in the error, along with what is valid."""
    with pytest.raises(CommandError) as raised:
        parse_command(text)
    assert fragment in str(raised.value)


def test_unknown_topic_lists_valid_topics_and_difficulties() -> None:
    """The reply to a typo lists every topic and difficulty."""
    with pytest.raises(CommandError) as raised:
        parse_command("deep-lerning")
    message = str(raised.value)
    assert "deep-learning" in message and "scikit-learn" in message and "medium" in message


def test_the_subscribe_usage_shows_difficulty_which_it_accepts() -> None:
    """`subscribe … hard` is accepted, so the Usage line a mistake brings back shows `[difficulty…]`."""
    command = parse_command("subscribe 09:00 hard")
    assert isinstance(command, Subscribe) and command.filters is not None
    assert command.filters.difficulties == (Difficulty.HARD,)
    with pytest.raises(CommandError, match=r"\[difficulty…\]"):
        parse_command("subscribe 25:00")
