"""Practice queries on the SQL store (mixed into SqlStore): replies, ratings, review cards, opt-outs,
suggestions. Every method is its own transaction."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.records import Participant, PostRecord, RatingRecord, ReviewCardRecord, Suggestion
from bot.seam import Destination
from bot.store.tables import (
    fits_id,
    leaderboard_optouts,
    link_codes,
    person_links,
    posts,
    ratings,
    replies,
    review_cards,
    subscriptions,
    suggestions,
)


class PracticeQueries:
    engine: AsyncEngine
    _insert: Any

    if TYPE_CHECKING:

        async def _posts(
            self, *where: Any, order: Any = None, limit: int | None = None
        ) -> list[PostRecord]: ...

    # Participation --------------------------------------------------------------------------------

    async def record_reply(self, thread_key: str, user_key: str, user_id: str, at: datetime) -> None:
        statement = self._insert(replies).values(
            thread_key=thread_key, user_key=user_key, user_id=user_id, first_at=at, last_at=at, count=1
        )
        statement = statement.on_conflict_do_update(
            index_elements=["thread_key", "user_key"],
            set_={"last_at": statement.excluded.last_at, "count": replies.c.count + 1},
        )
        async with self.engine.begin() as conn:
            await conn.execute(statement)

    async def thread_repliers(self, thread_key: str, before: datetime | None = None) -> list[str]:
        query = select(replies.c.user_id).where(replies.c.thread_key == thread_key)
        if before is not None:
            query = query.where(replies.c.first_at <= before)
        async with self.engine.connect() as conn:
            rows = await conn.execute(query.order_by(replies.c.first_at, replies.c.id))
            return [row.user_id for row in rows]

    async def threads_repliers(self, thread_keys: Collection[str], before: datetime) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {key: [] for key in thread_keys}
        if not found:
            return found
        query = (
            select(replies.c.thread_key, replies.c.user_id)
            .where(replies.c.thread_key.in_(sorted(found)), replies.c.first_at <= before)
            .order_by(replies.c.first_at, replies.c.id)
        )
        async with self.engine.connect() as conn:
            for row in await conn.execute(query):
                found[row.thread_key].append(row.user_id)
        return found

    async def replied_threads(self, user_key: str) -> set[str]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(replies.c.thread_key).where(replies.c.user_key == user_key))
            return {row.thread_key for row in rows}

    # Ratings and review cards -----------------------------------------------------------------------

    async def save_rating(
        self,
        user_key: str,
        user_id: str,
        rating: RatingRecord,
        card: ReviewCardRecord,
        now: datetime,
        person_key: str | None = None,
    ) -> None:
        rating_row = self._insert(ratings).values(
            user_key=user_key,
            user_id=user_id,
            question_id=rating.question_id,
            context=rating.context,
            post_id=rating.post_id,
            rating=rating.rating,
            rated_at=rating.rated_at,
        )
        rating_row = rating_row.on_conflict_do_update(
            index_elements=["user_key", "question_id", "context"],
            set_={"rating": rating_row.excluded.rating, "rated_at": rating_row.excluded.rated_at},
        )
        card_values = {
            "card": card.card,
            "due": card.due,
            "card_before": card.card_before,
            "last_context": card.last_context,
            "updated_at": now,
        }
        card_row = self._insert(review_cards).values(
            user_key=person_key or user_key, question_id=card.question_id, **card_values
        )
        card_row = card_row.on_conflict_do_update(
            index_elements=["user_key", "question_id"], set_=card_values
        )
        async with self.engine.begin() as conn:
            await conn.execute(rating_row)
            await conn.execute(card_row)

    async def review_card(self, user_key: str, question_id: str) -> ReviewCardRecord | None:
        query = select(review_cards).where(
            review_cards.c.user_key == user_key, review_cards.c.question_id == question_id
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return _card(row) if row else None

    async def review_queue(self, user_key: str, limit: int = 1) -> list[ReviewCardRecord]:
        query = (
            select(review_cards)
            .where(review_cards.c.user_key == user_key)
            .order_by(review_cards.c.due, review_cards.c.question_id)
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            return [_card(row) for row in await conn.execute(query)]

    async def count_due(self, user_key: str, now: datetime) -> int:
        query = select(func.count()).where(review_cards.c.user_key == user_key, review_cards.c.due <= now)
        async with self.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def user_ratings(self, user_key: str) -> list[RatingRecord]:
        query = select(ratings).where(ratings.c.user_key == user_key).order_by(ratings.c.rated_at)
        async with self.engine.connect() as conn:
            return [
                RatingRecord(row.question_id, row.rating, row.context, row.post_id, row.rated_at)
                for row in await conn.execute(query)
            ]

    async def first_ratings(self) -> dict[str, Counter[str]]:
        """Per question, how many people rated it each way the first time they rated it.

        First ratings only: later ones come after reading the model answer and a review, so they
        measure learning, not how hard the question is."""
        first = (
            select(ratings.c.user_key, ratings.c.question_id, func.min(ratings.c.id).label("first_id"))
            .group_by(ratings.c.user_key, ratings.c.question_id)
            .subquery()
        )
        query = (
            select(ratings.c.question_id, ratings.c.rating, func.count().label("n"))
            .join(first, ratings.c.id == first.c.first_id)
            .group_by(ratings.c.question_id, ratings.c.rating)
        )
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        async with self.engine.connect() as conn:
            for row in await conn.execute(query):
                counts[row.question_id][row.rating] += int(row.n)
        return dict(counts)

    # Channels ---------------------------------------------------------------------------------------

    async def destination_posts(
        self, destination: Destination, since: datetime | None = None
    ) -> list[PostRecord]:
        channel = select(subscriptions.c.id).where(
            subscriptions.c.platform == destination.platform,
            subscriptions.c.workspace_id == (destination.workspace_id or ""),
            subscriptions.c.channel_id == destination.channel_id,
        )
        where = [posts.c.subscription_id.in_(channel), posts.c.status == "sent"]
        if since is not None:
            where.append(posts.c.scheduled_at >= since)
        return await self._posts(*where, order=posts.c.scheduled_at)

    async def post_participants(self, posts_: list[PostRecord]) -> list[Participant]:
        by_key = {post.thread.reply_key: post.id for post in posts_ if post.thread is not None}
        ids = [post.id for post in posts_]
        found: dict[tuple[str, int], Participant] = {}
        async with self.engine.connect() as conn:
            for chunk in _chunks(list(by_key), 500):
                query = select(replies.c.thread_key, replies.c.user_key, replies.c.user_id).where(
                    replies.c.thread_key.in_(chunk)
                )
                for row in await conn.execute(query):
                    post_id = by_key[row.thread_key]
                    found.setdefault((row.user_key, post_id), Participant(row.user_key, row.user_id, post_id))
            for id_chunk in _chunks(ids, 500):
                query = select(ratings.c.post_id, ratings.c.user_key, ratings.c.user_id).where(
                    ratings.c.post_id.in_(id_chunk)
                )
                for row in await conn.execute(query):
                    found.setdefault(
                        (row.user_key, row.post_id), Participant(row.user_key, row.user_id, row.post_id)
                    )
        return list(found.values())

    async def set_leaderboard_optout(self, user_key: str, opted_out: bool, now: datetime) -> None:
        async with self.engine.begin() as conn:
            if opted_out:
                statement = self._insert(leaderboard_optouts).values(user_key=user_key, opted_out_at=now)
                await conn.execute(statement.on_conflict_do_nothing(index_elements=["user_key"]))
            else:
                await conn.execute(
                    delete(leaderboard_optouts).where(leaderboard_optouts.c.user_key == user_key)
                )

    async def leaderboard_optouts(self, user_keys: set[str]) -> set[str]:
        out: set[str] = set()
        async with self.engine.connect() as conn:
            for chunk in _chunks(sorted(user_keys), 500):
                query = select(leaderboard_optouts.c.user_key).where(
                    leaderboard_optouts.c.user_key.in_(chunk)
                )
                out.update(row.user_key for row in await conn.execute(query))
        return out

    # Linked accounts ----------------------------------------------------------------------------------

    async def person_of(self, user_key: str) -> str:
        query = select(person_links.c.person_key).where(person_links.c.user_key == user_key)
        async with self.engine.connect() as conn:
            found = (await conn.execute(query)).scalar_one_or_none()
        return str(found) if found else user_key

    async def save_link_code(self, code: str, user_key: str, expires_at: datetime) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(delete(link_codes).where(link_codes.c.user_key == user_key))
            await conn.execute(
                link_codes.insert().values(code=code, user_key=user_key, expires_at=expires_at)
            )

    async def link_with_code(self, code: str, user_key: str, now: datetime) -> str | None:
        async with self.engine.begin() as conn:
            row = (await conn.execute(select(link_codes).where(link_codes.c.code == code))).first()
            if row is None or row.expires_at < now:
                return None
            await conn.execute(delete(link_codes).where(link_codes.c.code == code))
            links = select(person_links.c.person_key)
            maker = (await conn.execute(links.where(person_links.c.user_key == row.user_key))).scalar()
            person = str(maker or row.user_key)
            own = (await conn.execute(links.where(person_links.c.user_key == user_key))).scalar()
            old = str(own or user_key)
            if old != person:
                await _merge_cards(conn, old, person)
                if old == user_key:
                    await conn.execute(delete(review_cards).where(review_cards.c.user_key == user_key))
            for key in {row.user_key, user_key} - {person}:
                statement = self._insert(person_links).values(user_key=key, person_key=person, linked_at=now)
                await conn.execute(
                    statement.on_conflict_do_update(
                        index_elements=["user_key"], set_={"person_key": person, "linked_at": now}
                    )
                )
            return person

    async def unlink(self, user_key: str) -> bool:
        async with self.engine.begin() as conn:
            query = select(person_links.c.person_key).where(person_links.c.user_key == user_key)
            person = (await conn.execute(query)).scalar()
            if person is None:
                return False
            await _merge_cards(conn, str(person), user_key)
            await conn.execute(delete(person_links).where(person_links.c.user_key == user_key))
            return True

    # Suggestions --------------------------------------------------------------------------------------

    async def add_suggestion(
        self,
        user_key: str,
        destination: str,
        topic: str | None,
        difficulty: str | None,
        question: str,
        answer: str,
        now: datetime,
    ) -> int:
        statement = (
            suggestions.insert()
            .values(
                user_key=user_key,
                destination=destination,
                topic=topic,
                difficulty=difficulty,
                question=question,
                answer=answer,
                status="new",
                created_at=now,
            )
            .returning(suggestions.c.id)
        )
        async with self.engine.begin() as conn:
            return int((await conn.execute(statement)).scalar_one())

    async def list_suggestions(self, status: str | None = None) -> list[Suggestion]:
        query = select(suggestions).order_by(suggestions.c.id)
        if status is not None:
            query = query.where(suggestions.c.status == status)
        async with self.engine.connect() as conn:
            return [_suggestion(row) for row in await conn.execute(query)]

    async def get_suggestion(self, suggestion_id: int) -> Suggestion | None:
        if not fits_id(suggestion_id):
            return None  # no row has it, and PostgreSQL would refuse the number
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(suggestions).where(suggestions.c.id == suggestion_id))).first()
        return _suggestion(row) if row else None

    async def mark_suggestion_accepted(self, suggestion_id: int, path: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(suggestions)
                .where(and_(suggestions.c.id == suggestion_id))
                .values(status="accepted", accepted_path=path)
            )


async def _merge_cards(conn: AsyncConnection, source: str, target: str) -> None:
    """Copy `source`'s review cards to `target`; where both have a card, the later update wins."""
    theirs = {
        row.question_id: row
        for row in await conn.execute(select(review_cards).where(review_cards.c.user_key == target))
    }
    for row in (await conn.execute(select(review_cards).where(review_cards.c.user_key == source))).all():
        values = {
            "card": row.card,
            "due": row.due,
            "card_before": row.card_before,
            "last_context": row.last_context,
            "updated_at": row.updated_at,
        }
        existing = theirs.get(row.question_id)
        if existing is None:
            await conn.execute(
                review_cards.insert().values(user_key=target, question_id=row.question_id, **values)
            )
        elif existing.updated_at < row.updated_at:
            await conn.execute(
                update(review_cards)
                .where(review_cards.c.user_key == target, review_cards.c.question_id == row.question_id)
                .values(**values)
            )


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _card(row: Any) -> ReviewCardRecord:
    return ReviewCardRecord(row.question_id, row.card, row.due, row.card_before, row.last_context)


def _suggestion(row: Any) -> Suggestion:
    return Suggestion(
        row.id,
        row.user_key,
        row.destination,
        row.topic,
        row.difficulty,
        row.question,
        row.answer,
        row.status,
        row.created_at,
        row.accepted_path,
        row.rejected_reason,
        row.reviewed_at,
    )
