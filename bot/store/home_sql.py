"""Home view queries on the SQL store (mixed into SqlStore). Every method is its own transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.tables import posts, ratings, replies, subscriptions


class HomeQueries:
    engine: AsyncEngine

    async def channels_taken_part(self, user_key: str, platform: str, workspace_id: str | None) -> set[str]:
        # Ratings name their post, and a daily post its subscription's channel.
        rated = (
            select(subscriptions.c.channel_id)
            .distinct()
            .select_from(
                ratings.join(posts, posts.c.id == ratings.c.post_id).join(
                    subscriptions, subscriptions.c.id == posts.c.subscription_id
                )
            )
            .where(
                ratings.c.user_key == user_key,
                subscriptions.c.platform == platform,
                subscriptions.c.workspace_id == (workspace_id or ""),
            )
        )
        replied = select(replies.c.thread_key).where(replies.c.user_key == user_key)
        async with self.engine.connect() as conn:
            found = {row.channel_id for row in await conn.execute(rated)}
            thread_keys = [row.thread_key for row in await conn.execute(replied)]
        # A thread's key is "platform:channel:root" (bot.seam.reply_key) and the user key already
        # names the workspace, so the channel is read off the key instead of joining on JSON.
        for key in thread_keys:
            parts = key.split(":")
            if len(parts) >= 3 and parts[0] == platform:
                found.add(":".join(parts[1:-1]))
        return found
