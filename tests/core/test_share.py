"""Post to channel: an on-demand question shared once per click, revealed in its thread."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from bot.content.bank import Filters
from bot.messages import CardKind, NoticeKind
from bot.schedule.clock import FakeClock
from bot.schedule.rules import RevealRule, Schedule
from bot.seam import Destination
from bot.service import Invocation, PracticeService
from tests.support.fakes import RecordingAdapter


def _caller(destination: Destination) -> Invocation:
    return Invocation(destination, "U1")


async def test_sharing_posts_the_question_publicly_with_its_sharer_and_reveal_time(
    service: PracticeService, adapter: RecordingAdapter, destination: Destination, clock: FakeClock
) -> None:
    """The card is posted as SHARED, names who shared it and says when the answer comes."""
    reply = await service.share(_caller(destination), "keras-easy", "click-1")
    (card,) = adapter.questions
    assert card.kind is CardKind.SHARED and card.shared_by == "U1" and card.question_id == "keras-easy"
    assert card.reveal_at == clock.now() + service.config.share_reveal_after
    assert reply.private and "Posted to the channel" in reply.message.text  # type: ignore[union-attr]


async def test_a_repeated_click_posts_once(
    service: PracticeService, adapter: RecordingAdapter, destination: Destination
) -> None:
    """The same click delivered twice posts one question and tells the caller it is already out."""
    await service.share(_caller(destination), "keras-easy", "click-1")
    again = await service.share(_caller(destination), "keras-easy", "click-1")
    assert len(adapter.questions) == 1
    assert "already posted" in again.message.text  # type: ignore[union-attr]


async def test_a_shared_question_is_revealed_once_in_its_thread_after_the_delay(
    service: PracticeService, adapter: RecordingAdapter, destination: Destination, clock: FakeClock
) -> None:
    """Nothing before the delay; then one answer in the shared post's thread and the card marked."""
    await service.share(_caller(destination), "keras-easy", "click-1")
    clock.advance(service.config.share_reveal_after - timedelta(seconds=1))
    await service.run_due()
    assert adapter.answers == []
    clock.advance(timedelta(seconds=1))
    await service.run_due()
    await service.run_due()
    ((thread, answer),) = adapter.answers
    assert thread.message_id == "m1" and answer.question_id == "keras-easy"
    (revealed,) = adapter.of("revealed")
    assert revealed[1].revealed and revealed[1].shared_by == "U1"  # type: ignore[index]


async def test_a_channel_the_bot_cannot_post_to_gets_a_clear_reply_and_the_click_can_be_retried(
    service: PracticeService, adapter: RecordingAdapter, destination: Destination
) -> None:
    """`not_in_channel` → an error naming the code and how to fix it; after inviting, it posts."""
    adapter.unavailable = "not_in_channel"
    refused = await service.share(_caller(destination), "keras-easy", "click-1")
    assert refused.message.kind is NoticeKind.ERROR  # type: ignore[union-attr]
    assert "not_in_channel" in refused.message.text and "Invite" in refused.message.text  # type: ignore[union-attr]
    adapter.unavailable = None
    await service.share(_caller(destination), "keras-easy", "click-1")
    assert len(adapter.questions) == 1


async def test_sharing_a_question_no_longer_in_the_bank_says_so(
    service: PracticeService, adapter: RecordingAdapter, destination: Destination
) -> None:
    """An old button for a removed question gets an error reply and posts nothing."""
    reply = await service.share(_caller(destination), "gone-question", "click-1")
    assert reply.message.kind is NoticeKind.ERROR and "gone-question" in reply.message.text  # type: ignore[union-attr]
    assert adapter.questions == []


async def test_shared_posts_do_not_count_as_a_channels_daily_post(
    service: PracticeService, adapter: RecordingAdapter, destination: Destination, clock: FakeClock
) -> None:
    """A share on the morning of a daily post leaves that day's daily post to happen as usual."""
    every_day_now = Schedule(time(7, 0), ZoneInfo("UTC"), frozenset(range(7)), RevealRule())
    await service.store.save_subscription(
        destination, every_day_now, Filters(), clock.now() - timedelta(days=1)
    )
    await service.share(_caller(destination), "keras-easy", "click-1")
    await service.run_due()
    assert [card.kind for card in adapter.questions] == [CardKind.SHARED, CardKind.DAILY]
