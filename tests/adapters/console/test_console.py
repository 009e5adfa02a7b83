"""The console adapter: a terminal channel driven through in-memory streams."""

from __future__ import annotations

import asyncio
import io
import os
from datetime import UTC, datetime, timedelta
from typing import TextIO, cast
from zoneinfo import ZoneInfo

import pytest

from adapters.console.adapter import CHANNEL, ConsoleAdapter
from bot.content.bank import Filters
from bot.messages import Notice
from bot.schedule.clock import FakeClock
from bot.schedule.rules import Schedule
from bot.service import PracticeService
from bot.store import SqlStore

Console = tuple[ConsoleAdapter, io.StringIO]
POST_AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin


@pytest.fixture
async def subscribed(store: SqlStore, berlin_schedule: Schedule, clock: FakeClock) -> None:
    """The console's channel gets a question at 09:00 Berlin on weekdays, revealed 6 h later."""
    await store.save_subscription(CHANNEL, berlin_schedule, Filters(), clock.now())


async def reply_then_reveal(
    adapter: ConsoleAdapter, service: PracticeService, clock: FakeClock, line: str
) -> None:
    """Run the 09:00 post, type `line` (a reply in the question's thread), then run the reveal 6 h later."""
    clock.set(POST_AT)
    await service.run_due()
    await adapter.handle_line(line)
    clock.advance(timedelta(hours=6))
    await service.run_due()


def reading(service: PracticeService, stdin: TextIO) -> tuple[ConsoleAdapter, list[bool]]:
    """A console reading `stdin` (its output thrown away); the list records each request to stop the app."""
    stopped: list[bool] = []
    adapter = ConsoleAdapter(
        service, stdin, io.StringIO(), ZoneInfo("UTC"), on_quit=lambda: stopped.append(True)
    )
    return adapter, stopped


async def listen_until_the_input_ends(adapter: ConsoleAdapter) -> None:
    """Listen to the input until it ends, then stop the adapter."""
    await adapter.listen()
    await asyncio.wait_for(adapter.input_closed.wait(), timeout=10)
    await adapter.stop()


async def test_ask_prints_a_question_and_answer_shows_its_model_answer(
    console: Console,
) -> None:
    """`/mlquestion keras hard` prints the card; `/answer` prints its model answer."""
    adapter, out = console
    await adapter.handle_line("/mlquestion keras hard")
    await adapter.handle_line("/answer")
    text = out.getvalue()
    assert "[Your question] Title of keras-hard · Keras 3 · hard" in text
    assert "Model answer — Title of keras-hard" in text and "Short answer:" in text


async def test_daily_post_reply_and_reveal_share_a_thread(
    console: Console, service: PracticeService, clock: FakeClock, subscribed: None
) -> None:
    """The daily question opens a thread; a typed line and the reveal both land in it."""
    adapter, out = console
    await reply_then_reveal(adapter, service, clock, "I would use a pipeline")
    thread = adapter.current_thread
    assert thread is not None
    label = thread.message_id.removeprefix("console-")
    lines = out.getvalue().splitlines()
    posted = next(i for i, line in enumerate(lines) if "[Daily question]" in line)
    reply = lines.index(f"  ↳ you in thread {label}: I would use a pipeline")
    reveal = lines.index(f"  ↳ in thread {label}, the answer is out:")
    assert posted < reply < reveal
    assert "revealed Mon 23 Nov 15:00 Europe/Berlin (14:00 UTC)" in out.getvalue()


async def test_console_accepts_the_whole_grammar(console: Console, store: SqlStore) -> None:
    """The console user administers its own channel: subscribe, then settings."""
    adapter, out = console
    await adapter.handle_line("/mlquestion subscribe 08:30 Europe/Berlin mon-fri reveal after 4h")
    await adapter.handle_line("/mlquestion settings")
    assert "Subscribed: 08:30 Europe/Berlin, mon-fri, reveal after 4h" in out.getvalue()
    assert await store.get_subscription(CHANNEL) is not None


async def test_unknown_slash_commands_and_bad_arguments_get_help(
    console: Console,
) -> None:
    """Typos get a message naming them and what to try."""
    adapter, out = console
    await adapter.handle_line("/mlqestion")
    await adapter.handle_line("/mlquestion kerass")
    text = out.getvalue()
    assert "unknown command '/mlqestion'" in text
    assert "unknown topic or difficulty kerass" in text


async def test_a_reply_with_no_question_posted_says_what_to_do(
    console: Console,
) -> None:
    """A plain line before any daily question explains there is no thread yet."""
    adapter, out = console
    await adapter.handle_line("hello?")
    assert "no question posted yet" in out.getvalue()


async def test_quit_calls_the_stop_callback(service: PracticeService) -> None:
    """`/quit` asks the app to stop."""
    adapter, stopped = reading(service, io.StringIO())
    await adapter.handle_line("/quit")
    assert stopped == [True]


async def test_end_of_input_leaves_like_quit(service: PracticeService) -> None:
    """Ctrl-D (the input ends) asks the app to stop, as `/quit` does, instead of going deaf."""
    adapter, stopped = reading(service, io.StringIO(""))
    await listen_until_the_input_ends(adapter)
    assert stopped == [True]


async def test_a_process_started_without_input_ends_it_like_ctrl_d(service: PracticeService) -> None:
    """No input stream at all (`sys.stdin` is None when fd 0 was closed) counts as its end."""
    closed = cast(TextIO, None)
    adapter, stopped = reading(service, closed)
    await listen_until_the_input_ends(adapter)
    assert stopped == [True]


async def test_a_prompt_is_shown_whenever_a_line_can_be_typed(service: PracticeService) -> None:
    """With a prompt, it opens the input and comes back after each command's output."""
    out = io.StringIO()
    adapter = ConsoleAdapter(
        service, io.StringIO("/mlquestion help\n"), out, ZoneInfo("UTC"), prompt="mlq> ", width=lambda: 100
    )
    await listen_until_the_input_ends(adapter)
    text = out.getvalue()
    assert text.startswith("mlq> ") and text.count("mlq> ") == 2
    assert "/mlquestion settings\nmlq> " in text  # the help's last line, then the prompt again


async def test_output_arriving_at_the_prompt_replaces_it_and_the_prompt_returns(
    service: PracticeService,
) -> None:
    """A notice printed while the prompt waits takes the prompt's line; the prompt is drawn below it."""
    out = io.StringIO()
    typing_end, waiting = os.pipe()  # input on which nothing is typed yet
    with os.fdopen(typing_end, encoding="utf-8") as stdin:
        adapter = ConsoleAdapter(service, stdin, out, ZoneInfo("UTC"), prompt="mlq> ", width=lambda: 100)
        await adapter.listen()
        await adapter.post_notice(CHANNEL, Notice("The answer is out."))
        os.close(waiting)
        await asyncio.wait_for(adapter.input_closed.wait(), timeout=10)
        await adapter.stop()
    assert out.getvalue().startswith("mlq> \r\x1b[KThe answer is out.\nmlq> ")


async def test_a_typed_reply_counts_as_taking_part_and_is_named_in_the_reveal(
    console: Console, service: PracticeService, store: SqlStore, clock: FakeClock, subscribed: None
) -> None:
    adapter, out = console
    await reply_then_reveal(adapter, service, clock, "I would use a pipeline")
    assert "1 person answered: you" in out.getvalue()
    assert await store.replied_threads("console:-:you") != set()


async def test_rate_applies_to_the_last_answer_shown_and_review_brings_it_back(
    console: Console, clock: FakeClock, store: SqlStore
) -> None:
    adapter, out = console
    await adapter.handle_line("/rate nailed")
    assert "Nothing to rate yet" in out.getvalue()
    await adapter.handle_line("/mlquestion keras hard")
    await adapter.handle_line("/answer")
    assert "Rate yourself: /rate nailed · /rate partly · /rate missed" in out.getvalue()
    await adapter.handle_line("/rate missed")
    assert "Recorded Missed it for “Title of keras-hard”" in out.getvalue()
    clock.advance(timedelta(days=2))
    await adapter.handle_line("/mlquestion review")
    assert "[Review] Title of keras-hard" in out.getvalue()
    await adapter.handle_line("/answer")
    await adapter.handle_line("/rate nailed")
    [card] = await store.review_queue("console:-:you")
    assert card.last_context is not None and card.last_context.startswith("review:")


async def test_suggest_asks_for_question_then_answer_and_saves_it(console: Console, store: SqlStore) -> None:
    adapter, out = console
    await adapter.handle_line("/mlquestion suggest")
    await adapter.handle_line("[keras hard] Why does BatchNormalization behave differently in inference?")
    await adapter.handle_line("It uses moving statistics instead of batch statistics.")
    assert "Suggestion #1 is saved" in out.getvalue()
    [saved] = await store.list_suggestions()
    assert (saved.topic, saved.difficulty) == ("keras", "hard")
    assert saved.question.startswith("Why does BatchNormalization")


async def test_a_refused_suggestion_shows_the_text_back(console: Console, store: SqlStore) -> None:
    adapter, out = console
    await adapter.handle_line("/mlquestion suggest")
    await adapter.handle_line("[astrology] Which star sign overfits?")
    await adapter.handle_line("None of them.")
    text = out.getvalue()
    assert "unknown topic 'astrology'" in text
    assert "your question: Which star sign overfits?" in text and "your answer: None of them." in text
    assert await store.list_suggestions() == []
