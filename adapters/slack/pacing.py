"""Spacing Web API calls to stay inside Slack's stated rate limits, per workspace.

Slack limits calls "per method per workspace per app" by tier (Tier 2: 20+ a minute, Tier 3: 50+,
Tier 4: 100+), and `chat.postMessage` specially: about one message a second per channel with short
bursts, plus a workspace-wide limit ("several hundred messages per minute"). For apps distributed
outside the Slack Marketplace `conversations.history` and `conversations.replies` are limited to one
call a minute (since 2025). Sending into a limit only buys 429s, so each call waits for its turn in
a budget kept here (GCRA: each budget remembers when its next call is due), and a 429's
`Retry-After` holds the whole budget, not just the call that met it.

The figures below are Slack's stated minimums; the workspace-wide posting rate is not published and
is a setting. State: the budgets' next due instants, one per (workspace, budget) seen.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

# The paced call in progress in this task: where the retry handler reports a 429.
_CALL: ContextVar[tuple[Pacer, str, str, str] | None] = ContextVar("slack_paced_call", default=None)


@dataclass(frozen=True, slots=True)
class Rate:
    """`per_minute` calls on average, up to `burst` at once after a quiet spell."""

    per_minute: float
    burst: int = 1

    @property
    def interval(self) -> float:
        return 60.0 / self.per_minute


# Bursts are a little smaller than Slack allows (3, 5, 10; 3 a channel and 30 a workspace for posts):
# calls reach Slack with some jitter after their turn, and a burst spent to the last call would meet
# a 429 when the first calls of a fan-out arrive late and the later ones early.
TIER_2 = Rate(20, 2)
TIER_3 = Rate(50, 3)
TIER_4 = Rate(100, 8)
# The tier of each method the bot calls, from its page in Slack's method reference.
# chat.postMessage is "special" (per channel and per workspace, below); auth.test is special too and
# allows far more than the bot's one call at start-up.
METHOD_TIERS: dict[str, Rate] = {
    "chat.update": TIER_3,
    "chat.postEphemeral": TIER_4,
    "conversations.info": TIER_3,
    "users.info": TIER_4,
    "views.open": TIER_4,
}
HISTORY_METHODS = frozenset({"conversations.history", "conversations.replies"})
# Calls are spaced this much wider than the limit: a call reaches Slack a little after its turn, and
# a budget with no burst (history) would meet a 429 for a few milliseconds of jitter.
MARGIN = 1.02


@dataclass(frozen=True, slots=True)
class SlackRates:
    """The limits the adapter keeps to. `speed` > 1 runs every limit that many times faster (tests
    and benchmarks, against a fake Slack told the same)."""

    post_per_channel: Rate = Rate(60, 2)
    post_per_workspace: Rate = Rate(300, 25)
    # Non-Marketplace apps: 1 a minute, 15 messages a page. Marketplace apps are Tier 3.
    history: Rate = Rate(1, 1)
    history_page: int = 15
    speed: float = 1.0


@dataclass(slots=True)
class _Budget:
    interval: float
    tolerance: float  # how far ahead of now the next due instant may run (the burst)
    due: float = 0.0  # theoretical arrival time of the next call

    def ready_at(self, now: float) -> float:
        return max(now, self.due - self.tolerance)

    def take(self, at: float) -> None:
        self.due = max(self.due, at) + self.interval

    def hold(self, until: float) -> None:
        self.due = max(self.due, until + self.tolerance)


# A single-workspace deployment runs the team's own (internal) app, which Slack's 2025 history limit
# for distributed apps outside the Marketplace does not cover: history and replies stay Tier 3.
INTERNAL_APP_RATES = SlackRates(history=TIER_3, history_page=100)


@dataclass
class Pacer:
    """Hands out turns in each call's budgets; one per adapter (so per bot token's workspaces)."""

    rates: SlackRates = field(default_factory=SlackRates)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _budgets: dict[tuple[str, ...], _Budget] = field(default_factory=dict)

    def budgets(self, team: str, method: str, channel: str) -> list[tuple[str, ...]]:
        """The budgets a call counts against (none for methods without a stated limit we meet)."""
        if method == "chat.postMessage":
            return [(team, method), (team, method, channel)]
        if method in HISTORY_METHODS or method in METHOD_TIERS:
            return [(team, method)]
        return []

    @asynccontextmanager
    async def call(self, team: str | None, method: str, channel: str) -> AsyncIterator[None]:
        """Wait for the call's turn, then make it (a 429 met inside holds its budgets)."""
        name = team or "-"
        await self.turn(name, method, channel)
        token = _CALL.set((self, name, method, channel))
        try:
            yield
        finally:
            _CALL.reset(token)

    async def turn(self, team: str, method: str, channel: str) -> None:
        """Wait until the call may go out without meeting a limit; count it."""
        names = self.budgets(team, method, channel)
        if not names:
            return
        budgets = [self._budget(name) for name in names]
        now = self.clock()
        at = max(budget.ready_at(now) for budget in budgets)
        for budget in budgets:
            budget.take(at)  # reserved now, so the calls queued behind this one are spaced after it
        if at - now > 1e-6:  # not float noise
            await self.sleep(at - now)

    def back_off(self, team: str, method: str, channel: str, seconds: float) -> None:
        """Slack said 429: no call in these budgets before `seconds` (its Retry-After) from now."""
        until = self.clock() + seconds
        for name in self.budgets(team, method, channel):
            self._budget(name).hold(until)

    def _budget(self, name: tuple[str, ...]) -> _Budget:
        budget = self._budgets.get(name)
        if budget is None:
            rate = self._rate(name)
            interval = rate.interval * MARGIN / self.rates.speed
            budget = self._budgets[name] = _Budget(interval, interval * (rate.burst - 1))
        return budget

    def _rate(self, name: tuple[str, ...]) -> Rate:
        method = name[1]
        if method == "chat.postMessage":
            return self.rates.post_per_channel if len(name) == 3 else self.rates.post_per_workspace
        if method in HISTORY_METHODS:
            return self.rates.history
        return METHOD_TIERS[method]


class PacedRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack-sdk's 429 handler (it waits `Retry-After`, then retries), which also holds the budgets
    of the paced call that met the 429, so the calls queued behind it wait too."""

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        call = _CALL.get()
        if call is not None and response is not None:
            pacer, team, method, channel = call
            pacer.back_off(team, method, channel, _retry_after(response.headers))
        await super().prepare_for_next_attempt_async(
            state=state, request=request, response=response, error=error
        )


def _retry_after(headers: dict[str, Any]) -> float:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return float(raw)
            except ValueError:
                break
    return 1.0
