"""What the gateway cache already says about a destination, so the bot doesn't ask Discord a
question whose answer is a 403.

Discord bans an IP for a while after 10,000 answers of 401, 403 or 429 in 10 minutes. A bad day —
the bot removed from many servers, a role edit that takes its Send Messages away in many channels —
would otherwise cost one 403 per channel. The cache knows the bot's guilds, their channels, the
bot's roles and every overwrite (GUILD_CREATE, then GUILD_DELETE, CHANNEL_UPDATE and role events
keep them current), so a refusal it predicts is raised without a request, with the code Discord
would have answered. Where the cache cannot tell (a channel or thread not in it, a guild of a
shard this process does not run, an outage), the request goes out and Discord decides.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from enum import Enum

import discord

from adapters.discord.client import BotClient
from bot.seam import Destination, DestinationUnavailable

MISSING_ACCESS = "forbidden:50001"
MISSING_PERMISSIONS = "forbidden:50013"


class Action(Enum):
    """What the bot is about to do in a channel, and so which permissions it needs there."""

    SEND = "send"
    OPEN_THREAD = "open_thread"
    EDIT_OWN = "edit_own"


def predicted_refusal(client: BotClient, guild_id: str | None, channel_id: int, action: Action) -> str | None:
    """Return the refusal code the cache predicts for `action`, or None when the request may go."""
    if guild_id is None or not guild_id.isdigit():
        return None  # a direct message, or a destination recorded without its guild
    guild = client.get_guild(int(guild_id))
    if guild is None:
        # Not in the cache: removed from the guild (seen, or the cache is complete for its shard).
        removed = int(guild_id) in client.departed
        complete = client.is_ready() and _runs_shard_of(client, int(guild_id))
        return MISSING_ACCESS if removed or complete else None
    me = guild.me
    channel = guild.get_channel_or_thread(channel_id)
    if guild.unavailable or me is None or channel is None:
        return None
    if isinstance(channel, discord.Thread) and channel.parent is None:
        return None  # a thread's permissions are its parent's, which is not cached
    allowed = channel.permissions_for(me)
    if not allowed.view_channel:
        return MISSING_ACCESS
    return None if _may(allowed, action, isinstance(channel, discord.Thread)) else MISSING_PERMISSIONS


def _may(allowed: discord.Permissions, action: Action, in_thread: bool) -> bool:
    if action is Action.SEND:
        return allowed.send_messages_in_threads if in_thread else allowed.send_messages
    if action is Action.OPEN_THREAD:
        # Opening a thread is only useful if the answer can be posted in it.
        return allowed.create_public_threads and allowed.send_messages_in_threads
    return True  # editing its own message needs no more than seeing the channel


def _runs_shard_of(client: discord.AutoShardedClient, guild_id: int) -> bool:
    count = client.shard_count
    if not count:
        return False
    return (guild_id >> 22) % count in (client.shard_ids or range(count))


@contextlib.contextmanager
def reaching(destination: Destination) -> Iterator[None]:
    """Turn Discord's "you can't post there" answers into DestinationUnavailable for the core."""
    try:
        yield
    except discord.Forbidden as exc:
        raise DestinationUnavailable(destination, f"forbidden:{exc.code}") from exc
    except discord.NotFound as exc:
        raise DestinationUnavailable(destination, f"not_found:{exc.code}") from exc
