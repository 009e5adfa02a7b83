"""Check my answer and mock interviews in the console: /check opens the answer prompt, a lone "."
submits, feedback comes back with the suggested rating that a bare /rate accepts."""

from __future__ import annotations

import io

from adapters.console.adapter import CHANNEL, ConsoleAdapter
from bot.store import SqlStore

GOOD = "You scale the features,", "and fit the scaler on the training data only."
Console = tuple[ConsoleAdapter, io.StringIO]


async def type_lines(adapter: ConsoleAdapter, *lines: str) -> None:
    for line in lines:
        await adapter.handle_line(line)


async def test_check_shows_which_key_points_the_typed_answer_covered(console: Console) -> None:
    adapter, out = console
    await type_lines(adapter, "/mlquestion keras easy", "/check", *GOOD, ".")
    text = out.getvalue()
    assert "Your answer to “Title of keras-easy”" in text and "a full stop (.)" in text
    assert "Feedback on your answer — Title of keras-easy" in text
    assert "✓ Scale features for distance-based models" in text
    assert "✗ Tree models do not need scaling" in text
    assert "Suggested rating: Nailed it. /rate to accept it" in text


async def test_a_bare_rate_accepts_the_suggested_rating(console: Console, store: SqlStore) -> None:
    adapter, out = console
    await type_lines(adapter, "/mlquestion keras easy", "/check", *GOOD, ".", "/rate")
    assert "Recorded Nailed it for “Title of keras-easy”" in out.getvalue()
    [rating] = await store.user_ratings(f"console:-:{adapter.user_id}")
    assert (rating.question_id, rating.rating) == ("keras-easy", "nailed")


async def test_cancel_leaves_the_answer_prompt_without_checking(console: Console) -> None:
    adapter, out = console
    await type_lines(
        adapter, "/mlquestion keras easy", "/check", "half an answer", "/cancel", "/mlquestion help"
    )
    text = out.getvalue()
    assert "(answer cancelled; nothing was checked)" in text and "Feedback on your answer" not in text
    assert "/mlquestion mock" in text  # the next line was a command again


async def test_an_empty_answer_is_refused(console: Console) -> None:
    adapter, out = console
    await type_lines(adapter, "/mlquestion keras easy", "/check", ".")
    assert "! Your answer is empty" in out.getvalue()


async def test_check_before_any_question_says_what_to_do(console: Console) -> None:
    adapter, out = console
    await adapter.handle_line("/check")
    assert "Nothing to check yet: ask for a question first." in out.getvalue()


async def test_a_mock_interview_runs_inline_to_its_summary(console: Console) -> None:
    adapter, out = console
    await adapter.handle_line("/mlquestion mock count 3")
    for _ in range(3):
        await type_lines(adapter, "/check", *GOOD, ".", "/rate")
    text = out.getvalue()
    assert "Mock interview — 3 questions" in text
    assert "Question 1 of 3 · mock interview" in text and "Question 3 of 3 · mock interview" in text
    assert "Follow-up: a follow-up" in text
    assert "Mock interview finished" in text and "Score 100% over 3 rated questions" in text


async def test_mock_stop_prints_the_summary_so_far(console: Console) -> None:
    adapter, out = console
    await type_lines(adapter, "/mlquestion mock count 3", "/rate missed", "/mlquestion mock stop")
    text = out.getvalue()
    assert "Mock interview stopped" in text and "Missed it" in text and "not rated" in text


async def test_the_daily_question_can_be_checked_in_its_channel(console: Console, store: SqlStore) -> None:
    """The daily card's check context is its post; the console is that post's channel."""
    adapter, out = console
    await adapter.handle_line("/mlquestion subscribe 09:00 Europe/Berlin mon-sun")
    assert await store.get_subscription(CHANNEL) is not None
    await type_lines(adapter, "/mlquestion keras easy", "/check", *GOOD, ".")
    assert "Feedback on your answer" in out.getvalue()
