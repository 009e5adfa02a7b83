"""What a click or a form carries is checked before anything is stored: a rating's context must
belong to the channel clicked in and name a real date or a post id the database can hold; text
loses its control characters (PostgreSQL refuses NUL); bad values are quoted back clipped."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.messages import LeaderboardCard, Notice, NoticeKind
from bot.seam import Destination
from bot.service import Invocation, PracticeService
from bot.store import SqlStore
from bot.store.tables import INTEGER_MAX
from tests.support.core_support import MONDAY, CoreWorld

OTHER = Destination("fake", "C2", "T1")


def refused(response: object, says: str) -> bool:
    message = getattr(response, "message", None)
    return (
        isinstance(message, Notice)
        and message.kind is NoticeKind.ERROR
        and says in message.text
        and "nothing was recorded" in message.text
    )


async def test_a_rating_of_a_post_from_another_channel_is_refused_and_records_nothing(
    daily: CoreWorld,
) -> None:
    """C1's post rated from C2: refused; no rating, and the clicker is on no leaderboard of C2."""
    post = await daily.revealed_post(MONDAY)
    response = await daily.rate_post("U9", post, "nailed", OTHER)
    assert refused(response, "posted in another channel")
    assert await daily.store.user_ratings(daily.key("U9", OTHER)) == []
    board = await daily.service.practice.leaderboard(OTHER, "all")
    assert isinstance(board.message, LeaderboardCard) and board.message.rows == ()


async def test_a_rating_of_a_post_from_its_own_channel_still_counts(daily: CoreWorld) -> None:
    post = await daily.revealed_post(MONDAY)
    await daily.rate_post("U1", post, "partly")
    [rating] = await daily.store.user_ratings(daily.key("U1"))
    assert rating.post_id == post.id


@pytest.mark.parametrize(
    ("context", "says"),
    [
        ("review:2026-99-99", "not a real date"),  # Discord's r20269999
        ("ask:2026-02-30", "not a real date"),
        ("review:2026-12-31", "in the future"),
        ("post:999999999999", "belongs to no question I posted"),  # overflowed PostgreSQL's integer
        (f"post:{INTEGER_MAX + 1}", "belongs to no question I posted"),
        ("post:0", "belongs to no question I posted"),
        ("post:" + "9" * 13, "is not one I made"),
        ("x" * 5000, "x" * 100 + "…"),
    ],
)
async def test_a_forged_rating_context_is_refused_and_records_nothing(
    world: CoreWorld, context: str, says: str
) -> None:
    response = await world.rate("U1", "keras-easy", context, "nailed")
    assert refused(response, says)
    assert len(str(getattr(response.message, "text", ""))) < 400
    assert await world.store.user_ratings(world.key("U1")) == []


async def test_yesterdays_and_todays_private_buttons_still_count(world: CoreWorld) -> None:
    today = world.clock.now().date()
    for day in (today - timedelta(days=1), today):
        await world.rate("U1", "keras-easy", f"ask:{day.isoformat()}", "nailed")
    assert len(await world.store.user_ratings(world.key("U1"))) == 2


@pytest.mark.parametrize("post_id", [0, -1, INTEGER_MAX + 1, 999_999_999_999])
async def test_the_store_answers_none_for_an_id_no_integer_column_holds(
    store: SqlStore, post_id: int
) -> None:
    """Checked before the query: PostgreSQL would raise on the overflow."""
    assert await store.get_post(post_id) is None
    assert await store.get_suggestion(post_id) is None
    assert await store.get_subscription_by_id(post_id) is None


async def test_control_characters_in_a_suggestion_are_not_stored(
    service: PracticeService, store: SqlStore, destination: Destination
) -> None:
    """NUL crashed the PostgreSQL path (SQLite stored it); escape sequences would reach a terminal."""
    response = await service.suggest(
        Invocation(destination, "U1"), "Why\x00 scale\x1b[2J features?", "Distances\x9b depend on units.\r\n"
    )
    assert isinstance(response.message, Notice) and response.message.kind is NoticeKind.INFO
    [saved] = await store.list_suggestions()
    assert (saved.question, saved.answer) == ("Why scale[2J features?", "Distances depend on units.")


@pytest.mark.parametrize("text", ["link K7QX\x00MPA", "link \x00", "keras\x00 hard", "subscribe 09:00\x00"])
async def test_control_characters_in_a_command_never_reach_the_store(
    service: PracticeService, destination: Destination, text: str
) -> None:
    """A NUL in `link CODE` reached PostgreSQL; the command text is cleaned before it is parsed."""
    responses = await service.handle_command(Invocation(destination, "U1", is_admin=True), text)
    assert all("\x00" not in str(getattr(r.message, "text", "")) for r in responses)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("link ABC", "`ABC` is not a link code"),
        ("link " + "Z" * 5000, "Z" * 100 + "…` is not a link code"),
        ("x" * 5000, "`" + "x" * 100 + "…`"),
        ("help " + "y" * 5000, "y" * 100 + "…"),
        ("subscribe skip 2026-12-24" + "x" * 5000, "'2026-12-24" + "x" * 90 + "…'"),
        ("subscribe reveal " + "r" * 5000 + " 6h", "r" * 100 + "…"),
    ],
)
async def test_a_bad_value_is_quoted_back_clipped(
    service: PracticeService, destination: Destination, text: str, says: str
) -> None:
    """A 5,000-character bad value came back in full, over several messages: now 100 characters and "…"."""
    [response] = await service.handle_command(Invocation(destination, "U1", is_admin=True), text)
    assert isinstance(response.message, Notice) and response.message.kind is NoticeKind.ERROR
    assert says in response.message.text and len(response.message.text) < 1500


async def test_an_unknown_question_id_from_a_button_is_quoted_back_clipped(
    service: PracticeService, destination: Destination
) -> None:
    invocation = Invocation(destination, "U1")
    rated = await service.rate(invocation, "q" * 5000, "ask:2026-11-23", "nailed")
    shared = await service.share(invocation, "q" * 5000, "click-1")
    for response in (rated, shared):
        assert isinstance(response.message, Notice) and response.message.kind is NoticeKind.ERROR
        assert "`" + "q" * 100 + "…`" in response.message.text and len(response.message.text) < 300
