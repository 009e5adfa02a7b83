"""The Slack adapter's pacer: each call waits its turn in the budgets Slack states, per workspace."""

from __future__ import annotations

import pytest

from adapters.slack.pacing import MARGIN, Pacer, SlackRates
from tests.support.slack_support import StoppedClock


class Sleeps:
    """Records how long each call was told to wait (the clock stays put: the calls come at once)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(round(seconds, 6))


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def pacer(limits_clock: StoppedClock, sleeps: Sleeps) -> Pacer:
    return Pacer(SlackRates(), clock=limits_clock, sleep=sleeps)


async def calls(pacer: Pacer, sleeps: Sleeps, count: int, method: str, channel: str = "C1") -> list[float]:
    """Make `count` calls at once; return the waits of those that had to wait."""
    for _ in range(count):
        await pacer.turn("T1", method, channel)
    return sleeps.waits


async def test_a_channel_gets_a_burst_of_two_posts_then_one_a_second(pacer: Pacer, sleeps: Sleeps) -> None:
    """Posts to one channel: two at once (a notice and its question), then a second apart (+ margin)."""
    waits = await calls(pacer, sleeps, 4, "chat.postMessage")
    assert waits == [pytest.approx(1.0 * MARGIN), pytest.approx(2.0 * MARGIN)]


async def test_a_workspace_gets_a_burst_of_25_posts_then_five_a_second(pacer: Pacer, sleeps: Sleeps) -> None:
    """Posts to 27 channels of one workspace: 25 at once, then a 300th of a minute apart."""
    for n in range(27):
        await pacer.turn("T1", "chat.postMessage", f"C{n}")
    assert sleeps.waits == [pytest.approx(0.2 * MARGIN), pytest.approx(0.4 * MARGIN)]


async def test_workspaces_have_budgets_of_their_own(pacer: Pacer, sleeps: Sleeps) -> None:
    """Two posts to a channel use its burst; the same channel id in another workspace waits for nothing."""
    for team in ("T1", "T1", "T2"):
        await pacer.turn(team, "chat.postMessage", "C1")
    assert sleeps.waits == []


@pytest.mark.parametrize(
    ("method", "burst", "per_minute"),
    [("chat.update", 3, 50), ("users.info", 8, 100), ("conversations.history", 1, 1)],
)
async def test_methods_wait_by_their_tier(
    pacer: Pacer, sleeps: Sleeps, method: str, burst: int, per_minute: int
) -> None:
    """Tier 3 (chat.update), Tier 4 (users.info) and the history's one a minute: a burst, then spaced."""
    waits = await calls(pacer, sleeps, burst + 1, method)
    assert waits == [pytest.approx(60 / per_minute * MARGIN)]


async def test_a_429_holds_the_budget_for_its_retry_after(pacer: Pacer, sleeps: Sleeps) -> None:
    """After Slack says Retry-After 5, the next post to the workspace waits 5 s, its budget full or not."""
    pacer.back_off("T1", "chat.postMessage", "C1", 5)
    await pacer.turn("T1", "chat.postMessage", "C2")
    assert sleeps.waits == [pytest.approx(5.0)]


async def test_calls_without_a_limit_we_could_meet_never_wait(pacer: Pacer, sleeps: Sleeps) -> None:
    """auth.test is called once at start-up: no budget."""
    assert await calls(pacer, sleeps, 50, "auth.test") == []
