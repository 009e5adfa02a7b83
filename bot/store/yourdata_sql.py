"""A person's data on the SQL store (mixed into SqlStore): everything to export, and forgetting it all
in one transaction."""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.records import ReviewCardRecord
from bot.store.tables import (
    asked,
    leaderboard_optouts,
    link_codes,
    mock_sessions,
    person_links,
    posts,
    ratings,
    replies,
    review_cards,
    suggestions,
    web_link_uses,
    web_sessions,
)

# What `forget_user` counts, in the order people read it.
FORGET_KINDS = (
    "ratings",
    "reply counts",
    "review cards",
    "account links",
    "link codes",
    "leaderboard opt-outs",
    "mock interviews",
    "web sessions",
    "sign-in links",
    "on-demand question history",
    "suggestions",
    "moderation marks",
    "shared-question marks",
)


class YourDataQueries:
    engine: AsyncEngine
    _rotations: OrderedDict[str, tuple[int, list[str], int]]

    async def review_cards_of(self, person_key: str) -> list[ReviewCardRecord]:
        """Return every review card of a person, soonest due first."""
        query = (
            select(review_cards)
            .where(review_cards.c.user_key == person_key)
            .order_by(review_cards.c.due, review_cards.c.question_id)
        )
        async with self.engine.connect() as conn:
            return [
                ReviewCardRecord(row.question_id, row.card, row.due, row.card_before, row.last_context)
                for row in await conn.execute(query)
            ]

    async def forget_user(
        self, user_key: str, user_id: str, platform: str, workspace_id: str | None
    ) -> dict[str, int]:
        """Delete everything kept about one account; return how many rows of each kind went.

        One transaction: a failure half-way leaves everything as it was. Accounts linked to this one
        keep their shared review schedule (it is theirs too); this account's own link is removed.
        """
        counts = dict.fromkeys(FORGET_KINDS, 0)
        async with self.engine.begin() as conn:
            counts["review cards"], counts["account links"] = await _forget_links(conn, user_key)
            simple = {
                "ratings": delete(ratings).where(ratings.c.user_key == user_key),
                "reply counts": delete(replies).where(replies.c.user_key == user_key),
                "link codes": delete(link_codes).where(link_codes.c.user_key == user_key),
                "leaderboard opt-outs": delete(leaderboard_optouts).where(
                    leaderboard_optouts.c.user_key == user_key
                ),
                "mock interviews": delete(mock_sessions).where(mock_sessions.c.user_key == user_key),
                "web sessions": delete(web_sessions).where(web_sessions.c.user_key == user_key),
                "sign-in links": delete(web_link_uses).where(web_link_uses.c.user_key == user_key),
                "on-demand question history": delete(asked).where(asked.c.scope == f"user:{user_key}"),
                "suggestions": delete(suggestions).where(suggestions.c.user_key == user_key),
                "moderation marks": update(suggestions)
                .where(suggestions.c.reviewed_by == user_key)
                .values(reviewed_by=None),
            }
            for kind, statement in simple.items():
                counts[kind] = _rowcount(await conn.execute(statement))
            counts["shared-question marks"] = await _forget_shares(conn, user_id, platform, workspace_id)
        # The rotation hint for the deleted history would otherwise outlive it in this process.
        self._rotations.pop(f"user:{user_key}", None)
        return counts


async def _forget_links(conn: AsyncConnection, user_key: str) -> tuple[int, int]:
    """Unlink the account and delete the review cards that were its alone: (cards, links) deleted.

    Cards live under a person key. If this account is that key for others, the first of them takes
    the cards over (they are its schedule too); if it is linked under another key, that key's cards
    stay with the accounts still linked there.
    """
    links = 0
    others = [
        str(row.user_key)
        for row in await conn.execute(
            select(person_links.c.user_key)
            .where(person_links.c.person_key == user_key)
            .order_by(person_links.c.linked_at, person_links.c.user_key)
        )
    ]
    if others:
        heir = others[0]
        links += _rowcount(await conn.execute(delete(person_links).where(person_links.c.user_key == heir)))
        await conn.execute(
            update(person_links).where(person_links.c.person_key == user_key).values(person_key=heir)
        )
        await conn.execute(delete(review_cards).where(review_cards.c.user_key == heir))
        await conn.execute(
            update(review_cards).where(review_cards.c.user_key == user_key).values(user_key=heir)
        )
    links += _rowcount(await conn.execute(delete(person_links).where(person_links.c.user_key == user_key)))
    cards = _rowcount(await conn.execute(delete(review_cards).where(review_cards.c.user_key == user_key)))
    return cards, links


async def _forget_shares(conn: AsyncConnection, user_id: str, platform: str, workspace_id: str | None) -> int:
    """Clear "shared by" on the questions this account posted to a channel of its own workspace.

    A post names the sharer by platform id only; its thread reference says which platform and
    workspace, so the same id on another platform is left alone."""
    rows = await conn.execute(select(posts.c.id, posts.c.thread_ref).where(posts.c.shared_by == user_id))
    mine = [row.id for row in rows if _in_workspace(row.thread_ref, platform, workspace_id)]
    if not mine:
        return 0
    await conn.execute(update(posts).where(posts.c.id.in_(mine)).values(shared_by=None))
    return len(mine)


def _in_workspace(thread_ref: str | None, platform: str, workspace_id: str | None) -> bool:
    if not thread_ref:
        return False
    destination = json.loads(thread_ref).get("destination", {})
    return bool(
        destination.get("platform") == platform
        and (destination.get("workspace_id") or None) == (workspace_id or None)
    )


def _rowcount(result: Any) -> int:
    return max(int(result.rowcount or 0), 0)
