"""Discord's documented REST rate limits, as the fake Discord enforces them when asked to.

- The global limit: 50 requests per second per bot token (interaction callbacks and webhooks are
  exempt). Beyond it: 429 with `"global": true`, `X-RateLimit-Global: true` and
  `X-RateLimit-Scope: global`.
- Per-route buckets: each (route, major parameter) pair — the channel, guild or webhook in the
  path — allows `bucket_limit` requests per `bucket_seconds`. Every answer on a limited route
  carries `X-RateLimit-Limit`, `-Remaining`, `-Reset`, `-Reset-After` and `-Bucket`, which is what
  discord.py's own limiter reads to wait before it would be refused.
- The invalid-request limit: 10,000 answers of 401, 403 or 429 (a 429 of scope `shared` excepted)
  in 10 minutes get the IP banned by Cloudflare. The fake records the trip and from then on answers
  every request as the ban does: a 429 without a `Via` header and with a text body, which
  discord.py raises instead of retrying.

Windows are fixed (the first request opens one), which matches the headers Discord sends. Time can
be compressed for benchmarks: with `time_scale` 4 a documented second lasts 0.25 s of real time,
and every `retry_after` and reset is given in real seconds, so a client sleeps the compressed time.
The clock is injectable; the object keeps counters, read by tests and benchmarks.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Discord's documented values.
GLOBAL_PER_SECOND = 50
INVALID_LIMIT = 10_000
INVALID_WINDOW_SECONDS = 600.0
INVALID_STATUSES = frozenset({401, 403, 429})
VIA = {"Via": "1.1 google"}  # Discord's answers pass its proxy; a 429 without it is Cloudflare's
CLOUDFLARE_BAN = (429, "error code: 1015", {"Content-Type": "text/plain"})

_MAJOR = re.compile(r"^/(?:channels|guilds)/(?P<id>\d+)|^/webhooks/(?P<webhook>\d+/[^/]+)")
_ID = re.compile(r"/\d{5,}")

# A status, a JSON-able body and extra headers, as FakeDiscord's handlers answer.
Answer = tuple[int, Any, dict[str, str]]


@dataclass(frozen=True)
class LimitRules:
    """Which limits apply and how fast time runs (Discord's values unless told otherwise)."""

    global_per_second: int = GLOBAL_PER_SECOND
    bucket_limit: int = 5
    bucket_seconds: float = 5.0
    invalid_limit: int = INVALID_LIMIT
    invalid_window: float = INVALID_WINDOW_SECONDS
    time_scale: float = 1.0

    def real(self, seconds: float) -> float:
        """Real seconds that `seconds` of Discord's time last here."""
        return seconds / self.time_scale


@dataclass
class _Window:
    opened: float
    used: int = 0


@dataclass
class Tally:
    """What the limits did: answers refused by each limit, invalid answers, the ban."""

    requests: int = 0
    global_windows: int = 0  # global seconds that saw a request
    global_limited: int = 0
    route_limited: int = 0
    invalid: int = 0  # every 401/403/429 answered (the invalid-request limit's measure)
    invalid_peak: int = 0  # the most invalid answers inside any one window
    banned_at: float | None = None
    by_status: dict[int, int] = field(default_factory=dict)


def route_of(method: str, path: str) -> tuple[str, str]:
    """Return (route, major parameter) of a path: ids replaced, the channel/guild/webhook kept."""
    match = _MAJOR.match(path)
    major = (match["id"] or match["webhook"]) if match else ""
    return f"{method} {_ID.sub('/:id', path)}", major


def exempt_from_global(path: str) -> bool:
    """Interaction callbacks and their webhooks are not bound to the bot's global limit."""
    return path.startswith(("/interactions/", "/webhooks/"))


class DiscordLimits:
    """Enforces the rules on the fake's answers; keeps the windows and the tally."""

    def __init__(self, rules: LimitRules | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.rules = rules or LimitRules()
        self.clock = clock
        self.tally = Tally()
        self._global: _Window | None = None
        self._buckets: dict[tuple[str, str], _Window] = {}
        self._invalid: deque[float] = deque()

    @property
    def banned(self) -> bool:
        return self.tally.banned_at is not None

    def admit(self, method: str, path: str) -> Answer | None:
        """Count a request; return the answer that refuses it, or None to let the route answer."""
        self.tally.requests += 1
        if self.banned:
            return CLOUDFLARE_BAN
        now = self.clock()
        if not exempt_from_global(path):
            window = self._current(self._global, now, 1.0)
            if window is not self._global:
                self._global = window
                self.tally.global_windows += 1
            if window.used >= self.rules.global_per_second:
                self.tally.global_limited += 1
                return self._refused(window, now, 1.0, scope="global")
            window.used += 1
        bucket = self._current(self._buckets.get(route_of(method, path)), now, self.rules.bucket_seconds)
        self._buckets[route_of(method, path)] = bucket
        if bucket.used >= self.rules.bucket_limit:
            self.tally.route_limited += 1
            answer = self._refused(bucket, now, self.rules.bucket_seconds, scope="user")
            return answer[0], answer[1], answer[2] | self._bucket_headers(method, path, bucket, now)
        bucket.used += 1
        return None

    def headers(self, method: str, path: str) -> dict[str, str]:
        """The bucket headers for an answer the route gave (after `admit` let it through)."""
        bucket = self._buckets.get(route_of(method, path))
        return {} if bucket is None else self._bucket_headers(method, path, bucket, self.clock())

    def settle(self, status: int, headers: dict[str, str]) -> None:
        """Count an answer's status towards the invalid-request limit; trip the ban at the limit."""
        self.tally.by_status[status] = self.tally.by_status.get(status, 0) + 1
        if status not in INVALID_STATUSES or headers.get("X-RateLimit-Scope") == "shared" or self.banned:
            return
        now = self.clock()
        self.tally.invalid += 1
        self._invalid.append(now)
        while self._invalid and now - self._invalid[0] >= self.rules.real(self.rules.invalid_window):
            self._invalid.popleft()
        self.tally.invalid_peak = max(self.tally.invalid_peak, len(self._invalid))
        if len(self._invalid) >= self.rules.invalid_limit:
            self.tally.banned_at = now

    def _current(self, window: _Window | None, now: float, seconds: float) -> _Window:
        if window is None or now - window.opened >= self.rules.real(seconds):
            return _Window(now)
        return window

    def _refused(self, window: _Window, now: float, seconds: float, scope: str) -> Answer:
        wait = max(0.001, window.opened + self.rules.real(seconds) - now)
        body = {
            "message": "You are being rate limited.",
            "retry_after": round(wait, 3),
            "global": scope == "global",
        }
        headers = {"Retry-After": str(max(1, round(wait))), "X-RateLimit-Scope": scope, **VIA}
        if scope == "global":
            headers["X-RateLimit-Global"] = "true"
        return 429, body, headers

    def _bucket_headers(self, method: str, path: str, bucket: _Window, now: float) -> dict[str, str]:
        reset_after = max(0.0, bucket.opened + self.rules.real(self.rules.bucket_seconds) - now)
        route = route_of(method, path)[0]
        return {
            "X-RateLimit-Limit": str(self.rules.bucket_limit),
            "X-RateLimit-Remaining": str(max(0, self.rules.bucket_limit - bucket.used)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": hashlib.sha256(route.encode()).hexdigest()[:16],
        }
