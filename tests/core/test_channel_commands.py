"""`/mlquestion` through the service: asking, subscribing, settings and who may change them."""

from __future__ import annotations

from datetime import UTC, datetime, time

from bot.messages import CardKind, Notice, NoticeKind, QuestionCard, ScheduleCard
from bot.schedule.clock import FakeClock
from bot.seam import Destination
from bot.service import Invocation, PracticeService
from bot.store import SqlStore


def admin(destination: Destination) -> Invocation:
    return Invocation(destination, "U-admin", is_admin=True)


def member(destination: Destination) -> Invocation:
    return Invocation(destination, "U-member", is_admin=False)


async def test_ask_returns_a_private_question_card(
    service: PracticeService, destination: Destination
) -> None:
    """`/mlquestion keras hard` answers privately with a keras-hard card."""
    [response] = await service.handle_command(member(destination), "keras hard")
    assert response.private
    assert isinstance(response.message, QuestionCard)
    assert response.message.kind is CardKind.ON_DEMAND
    assert response.message.question_id == "keras-hard"


async def test_on_demand_draws_from_a_rotation_per_user(
    service: PracticeService, destination: Destination
) -> None:
    """Three keras asks by one user give the three keras questions."""
    ids = set()
    for _ in range(3):
        [response] = await service.handle_command(member(destination), "keras")
        assert isinstance(response.message, QuestionCard)
        ids.add(response.message.question_id)
    assert ids == {"keras-easy", "keras-medium", "keras-hard"}


async def test_a_bad_argument_gets_an_error_reply_naming_it(
    service: PracticeService, destination: Destination
) -> None:
    """An unknown word is an error reply, not an exception."""
    [response] = await service.handle_command(member(destination), "kerass")
    assert isinstance(response.message, Notice) and response.message.kind is NoticeKind.ERROR
    assert "`kerass`" in response.message.text and "scikit-learn" in response.message.text


async def test_members_cannot_change_the_subscription(
    service: PracticeService, store: SqlStore, destination: Destination
) -> None:
    """A non-admin's subscribe is refused and nothing is stored."""
    [response] = await service.handle_command(member(destination), "subscribe 09:00 Europe/Berlin")
    assert isinstance(response.message, Notice) and response.message.kind is NoticeKind.ERROR
    assert "Nothing was changed" in response.message.text
    assert await store.get_subscription(destination) is None


async def test_subscribe_stores_the_schedule_and_shows_the_next_slots(
    service: PracticeService, store: SqlStore, destination: Destination, clock: FakeClock
) -> None:
    """An admin's subscribe is saved and answered publicly with the next post and reveal."""
    [response] = await service.handle_command(
        admin(destination), "subscribe 10:15 America/New_York mon,wed reveal at 16:00 keras"
    )
    assert not response.private and isinstance(response.message, ScheduleCard)
    card = response.message
    assert (card.post_time, card.zone, card.days, card.reveal) == (
        "10:15",
        "America/New_York",
        "mon,wed",
        "at 16:00",
    )
    # Now is Monday 07:00 UTC = 02:00 in New York, so today's 10:15 is next (15:15 UTC).
    assert card.upcoming[0].post_at == datetime(2026, 11, 23, 15, 15, tzinfo=UTC)
    assert card.upcoming[0].reveal_at == datetime(2026, 11, 23, 21, 0, tzinfo=UTC)
    saved = await store.get_subscription(destination)
    assert saved is not None and saved.filters.topics == ("keras",)


async def test_subscribe_again_changes_only_what_is_given(
    service: PracticeService, store: SqlStore, destination: Destination
) -> None:
    """A second subscribe with only a time keeps zone, days and filters."""
    await service.handle_command(admin(destination), "subscribe 09:00 Asia/Tokyo daily keras")
    await service.handle_command(admin(destination), "subscribe 11:30")
    saved = await store.get_subscription(destination)
    assert saved is not None
    assert saved.schedule.post_time == time(11, 30)
    assert saved.schedule.zone.key == "Asia/Tokyo"
    assert saved.schedule.days == frozenset(range(7))
    assert saved.filters.topics == ("keras",)


async def test_subscribe_with_filters_matching_nothing_is_refused(
    service: PracticeService, store: SqlStore, destination: Destination
) -> None:
    """Filters with no question are refused with the valid choices; nothing is stored."""
    [response] = await service.handle_command(admin(destination), "subscribe behavioural")
    assert isinstance(response.message, Notice) and response.message.kind is NoticeKind.ERROR
    assert "No question matches" in response.message.text
    assert await store.get_subscription(destination) is None


async def test_pause_resume_and_unsubscribe(
    service: PracticeService, store: SqlStore, destination: Destination
) -> None:
    """pause, resume and unsubscribe change the stored subscription."""
    await service.handle_command(admin(destination), "subscribe")
    await service.handle_command(admin(destination), "pause")
    paused = await store.get_subscription(destination)
    assert paused is not None and paused.paused
    await service.handle_command(admin(destination), "resume")
    resumed = await store.get_subscription(destination)
    assert resumed is not None and not resumed.paused
    await service.handle_command(admin(destination), "unsubscribe")
    assert await store.get_subscription(destination) is None


async def test_settings_without_a_subscription_explains_how_to_start(
    service: PracticeService, destination: Destination
) -> None:
    """settings on an unsubscribed channel says how to subscribe."""
    [response] = await service.handle_command(member(destination), "settings")
    assert isinstance(response.message, Notice) and "subscribe" in response.message.text


async def test_settings_shows_the_schedule_to_anyone(
    service: PracticeService, destination: Destination
) -> None:
    """Any member can read the settings, with three upcoming slots."""
    await service.handle_command(admin(destination), "subscribe 09:00 Europe/Berlin")
    [response] = await service.handle_command(member(destination), "settings")
    assert isinstance(response.message, ScheduleCard) and len(response.message.upcoming) == 3


async def test_help_and_topics(service: PracticeService, destination: Destination) -> None:
    """help shows the grammar; topics lists every topic with its count."""
    [help_reply] = await service.handle_command(member(destination), "help")
    [topics_reply] = await service.handle_command(member(destination), "topics")
    assert isinstance(help_reply.message, Notice) and "subscribe" in help_reply.message.text
    assert isinstance(topics_reply.message, Notice)
    assert "`keras` — Keras 3 (3)" in topics_reply.message.text
