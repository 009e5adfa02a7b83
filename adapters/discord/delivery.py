"""Delivery keys on Discord: every part of a send carries a nonce (Discord drops a repeat for a few
minutes) and its key as a `ref` in the embed footer, which stays in the channel's history, so a
retry finds the parts an earlier attempt sent and skips them.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import discord

RETRY_LOOKBACK = 100  # how far back a retry looks for what an earlier attempt sent (one page)
NONCE_LIMIT = 25
_PART = re.compile(r"Part (\d+) of \d+")


def nonce(ref: str | None, part: int) -> dict[str, Any]:
    """Return the `nonce` argument of one part of a delivery (Discord drops a repeat for minutes)."""
    if ref is None:
        return {}
    value = ref if part == 1 else f"{ref}.{part}"
    if len(value) > NONCE_LIMIT:
        value = hashlib.sha256(value.encode()).hexdigest()[:NONCE_LIMIT]
    return {"nonce": value}


async def delivered(
    channel: discord.abc.Messageable, me: discord.ClientUser | None, ref: str | None
) -> dict[int, discord.Message]:
    """Return `me`'s recent messages whose footer carries `ref`, by part number (1 if unsplit).

    Discord keeps a nonce only for a few minutes and never in the history, so after a crash the
    footer is what shows that an earlier attempt got through.
    """
    found: dict[int, discord.Message] = {}
    if ref is None or me is None:
        return found
    marker = re.compile(rf"\bref {re.escape(ref)}(?![\w-])")
    async for message in channel.history(limit=RETRY_LOOKBACK):
        if message.author.id != me.id:
            continue
        for footer in (embed.footer.text or "" for embed in message.embeds):
            if marker.search(footer):
                part = _PART.search(footer)
                found[int(part.group(1)) if part else 1] = message
    return found
