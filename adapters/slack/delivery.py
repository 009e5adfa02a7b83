"""Delivery keys on Slack: a send carries its key in the message's metadata, which stays in the
channel's history, so a retry finds what an earlier attempt delivered and adopts it.

First attempts make no extra call; only a retry reads the history (or the thread's replies). Those
reads are the scarcest calls an app has (one a minute per workspace, 15 messages, for apps outside
the Slack Marketplace): they wait for their turn in the pacer, and the core runs retries in a lane
of their own so first attempts never queue behind them.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.pacing import Pacer
from adapters.slack.render import SlackMessage
from bot.seam import Delivery, Destination, ThreadRef

log = logging.getLogger(__name__)

DELIVERY_EVENT = "mlq_delivery"


def tagged(message: SlackMessage, delivery: Delivery | None) -> dict[str, Any]:
    """The message's chat.postMessage arguments, tagged with the delivery key if there is one."""
    arguments = message.payload()
    if delivery is not None:
        # Message metadata stays in the channel's history, where a retry can find it.
        arguments["metadata"] = {"event_type": DELIVERY_EVENT, "event_payload": {"key": delivery.key}}
    return arguments


def delivery_key(message: dict[str, Any]) -> str | None:
    """The delivery key a message from the history carries, if it is one of ours."""
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != DELIVERY_EVENT:
        return None
    payload = metadata.get("event_payload")
    key = payload.get("key") if isinstance(payload, dict) else None
    return key if isinstance(key, str) and key else None


async def delivered_in_channel(
    client: AsyncWebClient, pacer: Pacer, destination: Destination, key: str
) -> str | None:
    """Return the ts of the channel's recent message tagged with `key`, if any (one page of history:
    the message is sought soon after the attempt, when it is among the channel's newest)."""
    try:
        async with pacer.call(destination.workspace_id, "conversations.history", destination.channel_id):
            history = await client.conversations_history(
                channel=destination.channel_id, limit=pacer.rates.history_page, include_all_metadata=True
            )
    except SlackApiError as exc:
        # Without history we can't tell: post again (a bounded duplicate beats a lost post).
        log.warning("could not read %s to look for %s: %s", destination.key, key, exc.response.get("error"))
        return None
    for message in history.get("messages") or []:
        if delivery_key(message) == key:
            return str(message["ts"])
    return None


async def delivered_in_thread(client: AsyncWebClient, pacer: Pacer, thread: ThreadRef) -> set[str]:
    """Return the delivery keys of the messages already in a thread (its first page of replies: the
    question and the answer's parts come first)."""
    destination = thread.destination
    try:
        async with pacer.call(destination.workspace_id, "conversations.replies", destination.channel_id):
            replies = await client.conversations_replies(
                channel=destination.channel_id,
                ts=thread.thread_id or thread.message_id,
                limit=pacer.rates.history_page,
                include_all_metadata=True,
            )
    except SlackApiError as exc:
        log.warning("could not read thread %s: %s", thread.message_id, exc.response.get("error"))
        return set()
    return {key for message in replies.get("messages") or [] if (key := delivery_key(message))}
