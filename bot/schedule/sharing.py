"""On-demand questions shared to a channel: posted once per share key, revealed like a daily post."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.content.questions import Question
from bot.messages import CardKind, question_card
from bot.records import PostRecord
from bot.schedule.cycle import CycleContext
from bot.seam import Delivery, Destination, DestinationUnavailable

log = logging.getLogger(__name__)


async def share(
    ctx: CycleContext,
    destination: Destination,
    question: Question,
    user_id: str,
    share_key: str,
    reveal_after: timedelta,
) -> tuple[str, PostRecord | None]:
    """Post an on-demand question to a channel once per `share_key`; reveal it like a daily one.

    Returns the outcome ("posted", "already", "unavailable:<code>", "failed") and the post.
    """
    adapter = ctx.adapters.get(destination.platform)
    if adapter is None:
        return "failed", None
    now = ctx.clock.now()
    reveal_at = now + reveal_after
    post_id = await ctx.store.claim_shared_post(
        share_key, question.id, user_id, now, reveal_at, ctx.config.lease, ctx.owner
    )
    if post_id is None:
        return "already", None
    card = question_card(question, CardKind.SHARED, reveal_at, shared_by=user_id, check=f"post:{post_id}")
    try:
        thread = await adapter.post_question(destination, card, Delivery(f"mlq-post-{post_id}"))
    except DestinationUnavailable as exc:
        await ctx.store.release_shared_post(post_id)
        return f"unavailable:{exc.code}", None
    except Exception:
        await ctx.store.release_shared_post(post_id)
        log.exception("shared post failed: destination=%s question=%s", destination.key, question.id)
        return "failed", None
    post = await ctx.store.mark_post_sent(post_id, thread, ctx.clock.now())
    log.info(
        "shared question: destination=%s question=%s user=%s message=%s post=%s",
        destination.key,
        question.id,
        user_id,
        thread.message_id,
        post_id,
    )
    ctx.metrics.posts.labels(destination.platform, "shared").inc()
    for listener in ctx.listeners:
        await listener.post_sent(post)
    return "posted", post
