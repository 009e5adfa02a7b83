"""A person's home in the core (bot/practice/home.py, through PracticeService.home): streaks and the
next daily question in the channels they take part in, reviews due, mastery by topic, recent mock
interviews, and every subscription of the workspace for admins. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.practice.home import CHANNELS_SHOWN, ChannelHome, HomeSummary
from bot.schedule.rules import RevealRule, Schedule
from bot.seam import Destination
from bot.service import Invocation, PracticeService
from bot.signin import SignInLinks
from tests.conftest import Subscribe
from tests.support.core_support import MONDAY, CoreWorld, post_at

TUESDAY = MONDAY + timedelta(days=1)
WEDNESDAY = MONDAY + timedelta(days=2)
TUESDAY_AFTERNOON = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
C2 = Destination("fake", "C2", "T1")
EARLY = Schedule(
    time(7, 0), ZoneInfo("Europe/Berlin"), frozenset(range(5)), RevealRule(after=timedelta(hours=6))
)


async def home(world: CoreWorld, user: str = "U1", is_admin: bool = False) -> HomeSummary:
    """`user`'s home as seen from C1's workspace."""
    return await world.service.home(Invocation(world.channel, user, is_admin))


@pytest.fixture
async def two_days(daily: CoreWorld) -> CoreWorld:
    """C1's Monday and Tuesday questions, both revealed: U1 replied to both and rated Monday's
    Missed it; now it is Tuesday afternoon, and Wednesday's question is next."""
    monday = await daily.revealed_post(MONDAY)
    tuesday = await daily.revealed_post(TUESDAY)
    await daily.reply(monday, "U1")
    await daily.reply(tuesday, "U1")
    await daily.rate_post("U1", monday, "missed")
    daily.clock.set(TUESDAY_AFTERNOON)
    return daily


async def test_a_channel_taken_part_in_shows_the_streak_and_the_next_question(two_days: CoreWorld) -> None:
    summary = await home(two_days)
    assert summary.channels == (ChannelHome(two_days.channel, post_at(WEDNESDAY), 2, 2),)
    assert summary.best_streak == summary.channels[0] and summary.more_channels == 0


async def test_a_rating_alone_makes_a_channel_yours(two_days: CoreWorld) -> None:
    """U2 never replied but rated Monday's question under its reveal."""
    monday = (await two_days.store.destination_posts(two_days.channel))[0]
    await two_days.rate_post("U2", monday, "nailed")
    [channel] = (await home(two_days, "U2")).channels
    assert channel.destination == two_days.channel and channel.current_streak == 0


async def test_subscribed_channels_never_taken_part_in_are_not_listed(
    two_days: CoreWorld, subscribe: Subscribe
) -> None:
    await subscribe(where=C2, schedule=EARLY)
    assert [c.destination for c in (await home(two_days)).channels] == [two_days.channel]
    assert (await home(two_days, "U3")).channels == ()


async def test_a_paused_channel_has_no_next_question_and_comes_last(
    two_days: CoreWorld, subscribe: Subscribe
) -> None:
    later = await subscribe(where=C2, schedule=EARLY)
    await two_days.service.record_reply(C2, "1700000000.000001", "U1")
    subscription = await two_days.store.get_subscription(two_days.channel)
    assert subscription is not None
    await two_days.store.set_paused(subscription.id, True, "paused by an admin", two_days.clock.now())
    channels = (await home(two_days)).channels
    assert [(c.destination, c.next_post_at) for c in channels] == [
        (later.destination, datetime(2026, 11, 25, 6, 0, tzinfo=UTC)),
        (two_days.channel, None),
    ]


async def test_channels_beyond_the_limit_are_counted_not_listed(
    world: CoreWorld, subscribe: Subscribe
) -> None:
    for number in range(CHANNELS_SHOWN + 3):
        channel = Destination("fake", f"C{number:03d}", "T1")
        await subscribe(where=channel)
        await world.service.record_reply(channel, "1700000000.000001", "U1")
    summary = await home(world)
    assert len(summary.channels) == CHANNELS_SHOWN and summary.more_channels == 3


async def test_reviews_due_are_the_cards_due_now(two_days: CoreWorld) -> None:
    """Missed it (rated on Tuesday) brings the question back a day later: due on Thursday."""
    two_days.clock.set(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    summary = await home(two_days)
    assert summary.reviews_due == 1
    assert summary.next_review_at is not None and summary.next_review_at <= two_days.clock.now()


async def test_nothing_due_gives_when_the_next_review_is(two_days: CoreWorld) -> None:
    summary = await home(two_days)
    assert summary.reviews_due == 0
    assert summary.next_review_at is not None and summary.next_review_at > two_days.clock.now()


async def test_mastery_is_by_topic_weakest_first(world: CoreWorld) -> None:
    for question_id, rating in (
        ("tensorflow-easy", "nailed"),
        ("keras-easy", "missed"),
        ("scikit-learn-easy", "partly"),
    ):
        await world.rate("U1", question_id, "ask:2026-11-23", rating)
    mastery = (await home(world)).mastery
    assert [(m.key, m.score) for m in mastery] == [("keras", 0.0), ("scikit-learn", 0.5), ("tensorflow", 1.0)]


async def test_recent_mock_interviews_come_newest_first_with_how_far_they_got(world: CoreWorld) -> None:
    await world.command("U1", "mock count 3")
    await world.command("U1", "mock stop")
    await world.command("U1", "mock count 4")
    mocks = (await home(world)).mocks
    assert [(m.questions, m.rated, m.status, m.score) for m in mocks] == [
        (4, 0, "in progress", None),
        (3, 0, "stopped", None),
    ]


async def test_an_idle_mock_interview_shows_as_expired(world: CoreWorld) -> None:
    await world.command("U1", "mock count 3")
    world.clock.advance(timedelta(hours=1))
    [mock] = (await home(world)).mocks
    assert mock.status == "expired"


async def test_admins_see_every_subscription_of_the_workspace_soonest_first(
    two_days: CoreWorld, subscribe: Subscribe
) -> None:
    """C2 posts at 07:00, C1 at 09:00; another workspace's channel is not theirs to see."""
    await subscribe(where=C2, schedule=EARLY)
    await subscribe(where=Destination("fake", "C9", "T2"))
    subscriptions = (await home(two_days, is_admin=True)).subscriptions
    assert subscriptions is not None
    assert [(s.destination.channel_id, s.schedule, s.next_post_at) for s in subscriptions] == [
        ("C2", "07:00 Europe/Berlin, mon-fri", datetime(2026, 11, 25, 6, 0, tzinfo=UTC)),
        ("C1", "09:00 Europe/Berlin, mon-fri", post_at(WEDNESDAY)),
    ]


async def test_a_paused_subscription_shows_its_reason_to_admins(two_days: CoreWorld) -> None:
    subscription = await two_days.store.get_subscription(two_days.channel)
    assert subscription is not None
    await two_days.store.set_paused(subscription.id, True, "platform: channel_archive", two_days.clock.now())
    [row] = (await home(two_days, is_admin=True)).subscriptions or ()
    assert (row.next_post_at, row.paused_reason) == (None, "platform: channel_archive")


async def test_members_get_no_subscriptions(two_days: CoreWorld) -> None:
    assert (await home(two_days)).subscriptions is None


async def test_the_dashboard_is_linked_only_when_it_is_served(
    two_days: CoreWorld, service_factory: Callable[..., PracticeService]
) -> None:
    assert (await home(two_days)).dashboard_url is None
    signin = SignInLinks(b"k" * 32, "https://mlq.example/", two_days.clock)
    served = service_factory(signin=signin)
    summary = await served.home(Invocation(two_days.channel, "U1"))
    assert summary.dashboard_url == "https://mlq.example"
