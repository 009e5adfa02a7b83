"""One-time sign-in links to the web dashboard, handed out privately by `/mlquestion dashboard`.

A link carries who asked and where (platform, workspace, channel, user, whether the platform called
them an admin) and when, signed with the dashboard's key (itsdangerous, HMAC-SHA256). It is valid
for ten minutes by the injected clock and works once: the dashboard records its nonce when it is
used. Nothing is stored when a link is made, so any replica sharing the key can check it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from bot.practice.flows import user_key
from bot.schedule.clock import Clock
from bot.seam import Destination

LINK_LIFETIME = timedelta(minutes=10)
# A link made by another replica whose clock runs a little ahead is still accepted.
CLOCK_SKEW = timedelta(seconds=60)
_SALT = "mlq-dashboard-signin-v1"
_VERSION = 1


class LinkRefused(Exception):
    """A sign-in link that cannot be used; `reason` is "invalid", "expired" or "used"."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class SignInClaim:
    """Who a valid link signs in: the invocation it was made for, when, and its single-use nonce."""

    destination: Destination
    user_id: str
    is_admin: bool
    issued_at: datetime
    nonce: str

    @property
    def user_key(self) -> str:
        return user_key(self.destination, self.user_id)


class SignInLinks:
    """Makes and checks links; keeps no state beyond its key, base URL and clock."""

    def __init__(self, key: bytes, base_url: str, clock: Clock) -> None:
        self._serializer = URLSafeSerializer(key, salt=_SALT)
        self.base_url = base_url.rstrip("/")
        self.clock = clock

    def issue(self, destination: Destination, user_id: str, is_admin: bool) -> str:
        """Return a link for this person, from this channel, valid for LINK_LIFETIME."""
        payload = {
            "v": _VERSION,
            "p": destination.platform,
            "w": destination.workspace_id or "",
            "c": destination.channel_id,
            "u": user_id,
            "a": bool(is_admin),
            "t": int(self.clock.now().timestamp()),
            "n": secrets.token_urlsafe(16),
        }
        return f"{self.base_url}/signin/{self._serializer.dumps(payload)}"

    def verify(self, token: str) -> SignInClaim:
        """Return what a link's token claims; raise LinkRefused if forged, malformed or expired.

        Whether it was used already is the store's to say (see `WebStore.use_signin_link`)."""
        try:
            data: Any = self._serializer.loads(token)
        except BadSignature:
            raise LinkRefused("invalid") from None
        claim = _claim(data)
        if claim is None:
            raise LinkRefused("invalid")
        now = self.clock.now()
        if claim.issued_at > now + CLOCK_SKEW:
            raise LinkRefused("invalid")
        if now - claim.issued_at > LINK_LIFETIME:
            raise LinkRefused("expired")
        return claim


def _claim(data: Any) -> SignInClaim | None:
    if not isinstance(data, dict) or data.get("v") != _VERSION:
        return None
    fields = ("p", "w", "c", "u", "n")
    if not all(isinstance(data.get(name), str) for name in fields) or not isinstance(data.get("t"), int):
        return None
    if not data["p"] or not data["c"] or not data["u"] or not data["n"]:
        return None
    return SignInClaim(
        Destination(data["p"], data["c"], data["w"] or None),
        data["u"],
        data.get("a") is True,
        datetime.fromtimestamp(data["t"], UTC),
        data["n"],
    )


def signing_key(explicit: str | None, platform_secrets: list[str]) -> bytes | None:
    """The key that signs links: MLQ_WEB_SECRET if set, else derived from the platform's secrets
    (so every replica with the same tokens agrees, and a rotated token retires old links); None
    when there is nothing to derive it from (the console alone)."""
    if explicit:
        return explicit.encode()
    if not platform_secrets:
        return None
    material = "\n".join(sorted(platform_secrets)).encode()
    return hmac.new(material, b"mlquestion web dashboard sign-in links", hashlib.sha256).digest()
