"""Slack's Web API rate limits as Slack states them, for the fake Slack to enforce when told to.

From Slack's rate-limit guide and method reference: limits apply per method per workspace per app,
by tier (Tier 1: 1+ a minute, Tier 2: 20+, Tier 3: 50+, Tier 4: 100+, each with some bursting);
`chat.postMessage` is special: about one message a second per channel with short bursts, plus a
workspace-wide limit ("several hundred messages per minute"; 300 here); and, for commercially
distributed apps outside the Slack Marketplace (since 2025), `conversations.history` and
`conversations.replies` allow one call a minute and return at most 15 messages. Over a limit Slack
answers HTTP 429, `{"ok": false, "error": "ratelimited"}` and `Retry-After` in whole seconds.

Each budget is a GCRA bucket (the next call's due instant; a burst may run that far ahead of now).
`speed` runs Slack's clock that many times faster than the wall clock, so a test can meet a
one-a-minute limit in a second; `Retry-After` is then given in real seconds (what the client waits).
Keeps state: each budget's due instant, and how many calls it refused, by method.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Limit:
    per_minute: float
    burst: int = 1


TIERS = {1: Limit(1, 1), 2: Limit(20, 3), 3: Limit(50, 5), 4: Limit(100, 10)}
# The tier of each method the bot calls, as its page in Slack's method reference gives it.
# chat.postMessage is special (below); auth.test is special with a large allowance (unlimited here).
METHOD_TIERS = {
    "apps.connections.open": 1,
    "chat.update": 3,
    "chat.postEphemeral": 4,
    "conversations.info": 3,
    "users.info": 4,
    "views.open": 4,
}
HISTORY_METHODS = frozenset({"conversations.history", "conversations.replies"})


@dataclass
class SlackLimits:
    """Enforces the limits above; `check` says whether a call may pass and counts it if so."""

    post_per_channel: Limit = Limit(60, 3)
    post_per_workspace: Limit = Limit(300, 30)
    history: Limit = Limit(1, 1)  # non-Marketplace apps; Marketplace apps get Tier 3
    history_page: int = 15
    speed: float = 1.0
    clock: Callable[[], float] = time.monotonic
    refused: Counter[str] = field(default_factory=Counter)
    _due: dict[tuple[str, ...], float] = field(default_factory=dict)

    def check(self, team: str, method: str, channel: str) -> int | None:
        """None if the call passes (and counts against its budgets); else its Retry-After."""
        budgets = self._budgets(team, method, channel)
        now = self.clock() * self.speed  # Slack's time, in seconds
        waits = []
        for name, limit in budgets:
            interval = 60.0 / limit.per_minute
            due = max(self._due.get(name, now), now)
            waits.append(due - interval * (limit.burst - 1) - now)
        if budgets and max(waits) > 1e-9:
            self.refused[method] += 1
            return max(1, math.ceil(max(waits) / self.speed))
        for name, limit in budgets:
            self._due[name] = max(self._due.get(name, now), now) + 60.0 / limit.per_minute
        return None

    def _budgets(self, team: str, method: str, channel: str) -> list[tuple[tuple[str, ...], Limit]]:
        if method == "chat.postMessage":
            return [
                ((team, method), self.post_per_workspace),
                ((team, method, channel), self.post_per_channel),
            ]
        if method in HISTORY_METHODS:
            return [((team, method), self.history)]
        tier = METHOD_TIERS.get(method)
        return [((team, method), TIERS[tier])] if tier else []
