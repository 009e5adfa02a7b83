"""The console under hostile input: typed control characters never reach the core or the screen,
and long lists in settings stay short."""

from __future__ import annotations

import io
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from adapters.console.adapter import CHANNEL, ConsoleAdapter
from adapters.console.render import render_schedule
from bot.messages import ScheduleCard
from bot.seam import ThreadRef
from bot.service import PracticeService
from bot.store import SqlStore


def test_settings_list_ten_skipped_days_and_count_the_rest() -> None:
    days = [date(2026, 12, 1) + timedelta(days=i) for i in range(60)]
    card = ScheduleCard(
        heading="Daily question settings",
        post_time="09:00",
        zone="Europe/Berlin",
        days="daily",
        reveal="after 6h",
        filters="all questions",
        paused=False,
        paused_reason=None,
        upcoming=(),
        skipped_soon=tuple((d.isoformat(), "skipped date") for d in days),
    )
    out = render_schedule(card, ZoneInfo("Europe/Berlin"), width=100).splitlines()
    assert len([line for line in out if "no question on" in line]) == 10
    assert "  and 50 more days without a question" in out


async def test_typed_control_characters_are_dropped_before_the_core(
    service: PracticeService, store: SqlStore
) -> None:
    """A NUL or an escape sequence typed (or pasted) into a suggestion is not stored or echoed."""
    out = io.StringIO()
    adapter = ConsoleAdapter(service, io.StringIO(), out, ZoneInfo("Europe/Berlin"))
    service.register_adapter(adapter)
    adapter.current_thread = ThreadRef(CHANNEL, "console-abc123")
    await adapter.handle_line("my \x1b[31manswer\x1b[0m")  # a reply in the thread is echoed
    for line in ("/mlquestion suggest", "[keras] Why\x00 scale\x1b[2J features?", "Distances\x9b matter."):
        await adapter.handle_line(line)
    [saved] = await store.list_suggestions()
    assert (saved.question, saved.answer) == ("Why scale[2J features?", "Distances matter.")
    assert "my [31manswer[0m" in out.getvalue()
    assert not any(c in out.getvalue() for c in "\x00\x1b\x9b")
