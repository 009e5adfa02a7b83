"""Practice that sticks: participation, self-ratings feeding spaced repetition, stats, leaderboards,
weekly summaries and suggestions. Platform-neutral; the service routes commands and clicks here."""

from __future__ import annotations

import re
import secrets
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, datetime, timedelta

from bot import commands as C
from bot.content.bank import QuestionBank
from bot.content.taxonomy import TOPICS, Difficulty, resolve_difficulty, resolve_topic, topic_label
from bot.messages import (
    CardKind,
    LeaderboardCard,
    LeaderboardRow,
    Notice,
    NoticeKind,
    RatingPrompt,
    Response,
    StatsCard,
    SuggestForm,
    TopicScore,
    question_card,
)
from bot.practice.review import ReviewPlanner, SelfRating, parse_rating
from bot.practice.streaks import streak
from bot.records import Participant, RatingRecord, ReviewCardRecord, Subscription
from bot.schedule.clock import Clock, until
from bot.seam import Destination, reply_key
from bot.store import Store
from bot.text import clean, shown

PERIODS: dict[str, tuple[str, timedelta | None]] = {
    "week": ("the last 7 days", timedelta(days=7)),
    "month": ("the last 30 days", timedelta(days=30)),
    "all": ("all time", None),
}
LEADERBOARD_SIZE = 10
QUESTION_LIMIT = 3000  # characters, as Slack's and Discord's form fields allow
ANSWER_LIMIT = 4000
# "post:<id>" under a posted answer, "ask:<date>" or "review:<date>" under a private one,
# "mock:<date>" for a mock interview's rating (recorded by bot.practice.mock, never a button's).
_CONTEXT = re.compile(r"post:(?P<post>\d{1,12})|(?:ask|review|mock):(?P<date>\d{4}-\d{2}-\d{2})")
LINK_CODE_LIFETIME = timedelta(minutes=10)
LINK_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
OPT_OUT_HINT = "Not on it by choice? `/mlquestion leaderboard optout` (and `optin` to come back)."


def user_key(destination: Destination, user_id: str) -> str:
    """A person on one platform and workspace: the key of everything practice stores about them."""
    return f"{destination.platform}:{destination.workspace_id or '-'}:{user_id}"


class Practice:
    """Holds no state beyond its collaborators; everything durable is in the store."""

    def __init__(
        self, bank: QuestionBank, store: Store, clock: Clock, planner: ReviewPlanner | None = None
    ) -> None:
        self.bank = bank
        self.store = store
        self.clock = clock
        self.planner = planner or ReviewPlanner()

    # Participation ---------------------------------------------------------------------------------

    async def record_reply(self, destination: Destination, root_id: str, user_id: str) -> None:
        """Count a reply in a question's thread: who and when, never the text."""
        await self.store.record_reply(
            reply_key(destination, root_id), user_key(destination, user_id), user_id, self.clock.now()
        )

    # Ratings and reviews -----------------------------------------------------------------------------

    def prompt(self, question_id: str, kind: str) -> RatingPrompt:
        """Buttons for a private answer: `kind` is "ask" or "review"; dated so a later day's rating
        is a new review while a second click the same day changes the first."""
        return RatingPrompt(question_id, f"{kind}:{self.clock.now().date().isoformat()}")

    async def rate(
        self, destination: Destination, user_id: str, question_id: str, context: str, choice: str
    ) -> Response:
        """Record the clicking user's own rating (nobody can rate for someone else: the key is theirs)."""
        try:
            rating = parse_rating(choice)
        except ValueError as exc:
            return _error(f"{exc}. Nothing was recorded.")
        question = self.bank.get(question_id)
        if question is None:
            gone = shown(question_id)
            return _error(f"The question `{gone}` is no longer in the bank; nothing was recorded.")
        post_id, problem = await self.check_context(destination, question_id, context)
        if problem is not None:
            return _error(f"{problem}; nothing was recorded.")
        key = user_key(destination, user_id)
        person = await self.store.person_of(key)
        now = self.clock.now()
        existing = await self.store.review_card(person, question_id)
        changed = existing is not None and existing.last_context == context
        # A second click where the first was made replaces that rating; otherwise it is a new review.
        before = (existing.card_before if changed else existing.card) if existing else None
        card, due = self.planner.review(before, rating, now)
        await self.store.save_rating(
            key,
            user_id,
            RatingRecord(question_id, rating.value, context, post_id, now),
            ReviewCardRecord(question_id, card, due, before, context),
            now,
            person,
        )
        verb = "Changed your rating to" if changed else "Recorded"
        return Response(
            Notice(
                f"{verb} **{rating.label}** for “{question.title}”. "
                f"It comes back in `/mlquestion review` {until(due, now)}."
            )
        )

    async def check_context(
        self, destination: Destination, question_id: str, context: str
    ) -> tuple[int | None, str | None]:
        """Check a rating button's context; return the post it names (None under a private answer),
        or why it is refused. A post's buttons count only in the channel it was posted to, and a
        date must be a real one, not after tomorrow (buttons are dated today, in UTC)."""
        match = _CONTEXT.fullmatch(context)
        if match is None:
            return None, f"That button's context {shown(context)!r} is not one I made"
        if match["date"] is not None:
            try:
                day = date.fromisoformat(match["date"])
            except ValueError:
                return None, f"That button's date {match['date']!r} is not a real date"
            if day > self.clock.now().date() + timedelta(days=1):
                return None, f"That button's date {day.isoformat()} is in the future"
            return None, None
        post_id = int(match["post"])
        post = await self.store.get_post(post_id)  # None for an id no Integer column can hold
        if post is None or post.question_id != question_id:
            return None, "That rating button belongs to no question I posted"
        if post.thread is None or post.thread.destination != destination:
            return None, "That rating button belongs to a question posted in another channel"
        return post_id, None

    async def review(self, destination: Destination, user_id: str) -> Response:
        """The caller's most overdue question, privately, with the rating buttons."""
        now = self.clock.now()
        person = await self.store.person_of(user_key(destination, user_id))
        for card in await self.store.review_queue(person, limit=20):
            if card.due > now:
                return Response(
                    Notice(
                        "Nothing to review right now. Your next review is due "
                        f"{until(card.due, now)}. Meanwhile: `/mlquestion` for a new question."
                    )
                )
            question = self.bank.get(card.question_id)
            if question is None:
                continue  # removed from the bank since it was rated
            rating = self.prompt(question.id, "review")
            review_card = replace(
                question_card(question, CardKind.REVIEW, check=rating.context),
                rating=rating,
                overdue_since=card.due,
            )
            return Response(review_card)
        return Response(
            Notice(
                "Nothing to review yet. Rate an answer with **Nailed it**, **Partly** or **Missed it** "
                "and it comes back here when you are about to forget it."
            )
        )

    # Stats ---------------------------------------------------------------------------------------------

    async def stats(self, destination: Destination, user_id: str) -> Response:
        """The caller's own figures; the service always replies privately."""
        now = self.clock.now()
        key = user_key(destination, user_id)
        replied = await self.store.replied_threads(key)
        ratings = await self.store.user_ratings(key)
        posts = await self.store.destination_posts(destination)
        took_part = {p.id for p in posts if p.thread is not None and p.thread.reply_key in replied}
        took_part |= {r.post_id for r in ratings if r.post_id is not None}
        run = streak(posts, took_part)
        latest: dict[str, str] = {}
        for rating in ratings:  # oldest first: the latest rating of each question wins
            latest[rating.question_id] = rating.rating
        by_topic: dict[str, Counter[str]] = defaultdict(Counter)
        for question_id, value in latest.items():
            question = self.bank.get(question_id)
            if question is not None:
                by_topic[question.topic][value] += 1
        topics = sorted(by_topic.items(), key=lambda item: (_score(item[1]), item[0]))
        person = await self.store.person_of(key)
        queue = await self.store.review_queue(person, limit=1)
        return Response(
            StatsCard(
                current_streak=run.current,
                longest_streak=run.longest,
                streak_scope="this channel's daily questions" if posts else None,
                answered=len(replied),
                rated=len(latest),
                topics=tuple(
                    TopicScore(
                        topic_label(topic),
                        counts[SelfRating.NAILED],
                        counts[SelfRating.PARTLY],
                        counts[SelfRating.MISSED],
                    )
                    for topic, counts in topics
                ),
                reviews_due=await self.store.count_due(person, now),
                next_review_at=queue[0].due if queue else None,
            )
        )

    # Linked accounts -----------------------------------------------------------------------------------

    async def link(self, destination: Destination, user_id: str, code: str | None) -> Response:
        """`link`: a code to type on another platform; `link CODE`: join that schedule."""
        key = user_key(destination, user_id)
        now = self.clock.now()
        if code is None:
            code = "".join(secrets.choice(LINK_ALPHABET) for _ in range(8))
            await self.store.save_link_code(code, key, now + LINK_CODE_LIFETIME)
            minutes = int(LINK_CODE_LIFETIME.total_seconds() // 60)
            return Response(
                Notice(
                    f"To share your review schedule with your account on another platform, run "
                    f"`/mlquestion link {code}` there within {minutes} minutes. The code works once."
                )
            )
        person = await self.store.link_with_code(code, key, now)
        if person is None:
            return _error(
                f"The code `{shown(code)}` is unknown or expired (codes last "
                f"{int(LINK_CODE_LIFETIME.total_seconds() // 60)} minutes and work once): run "
                "`/mlquestion link` on the other platform for a new one. Nothing was linked."
            )
        return Response(
            Notice(
                "Linked: your reviews and their schedule are now shared with your other account. "
                "`/mlquestion unlink` separates them again."
            )
        )

    async def unlink(self, destination: Destination, user_id: str) -> Response:
        if await self.store.unlink(user_key(destination, user_id)):
            return Response(Notice("Unlinked: this account keeps a copy of the shared review schedule."))
        return Response(Notice("This account is not linked to another one; nothing changed."))

    # Leaderboards and summaries -------------------------------------------------------------------

    async def leaderboard(self, destination: Destination, period: C.Period) -> Response:
        label, span = PERIODS[period]
        since = self.clock.now() - span if span else None
        card = await self._leaderboard(destination, since, label, LEADERBOARD_SIZE)
        return Response(card, private=False)

    async def set_optout(self, destination: Destination, user_id: str, opted_out: bool) -> Response:
        await self.store.set_leaderboard_optout(user_key(destination, user_id), opted_out, self.clock.now())
        text = (
            "You are off the leaderboards (your own `/mlquestion stats` still work)."
            if opted_out
            else "You are back on the leaderboards."
        )
        return Response(Notice(text))

    async def weekly_summary(self, subscription: Subscription) -> Notice | None:
        """Last week in the channel, for the subscription's first question of the week (None if quiet)."""
        since = self.clock.now() - timedelta(days=7)
        posts = await self.store.destination_posts(subscription.destination, since)
        if not posts:
            return None
        participants = await self.store.post_participants(posts)
        people = len({p.user_key for p in participants})
        answered = len({p.post_id for p in participants})
        # No names: a summary goes to everyone, and opting out of leaderboards covers it too.
        return Notice(
            f"Last week: {len(posts)} question{'s' if len(posts) != 1 else ''}, "
            f"{people} {'person' if people == 1 else 'people'} took part, "
            f"{answered} of the questions got answers. `/mlquestion leaderboard week` shows who kept "
            "it up; `/mlquestion review` brings back what you missed."
        )

    async def _leaderboard(
        self, destination: Destination, since: datetime | None, label: str, size: int
    ) -> LeaderboardCard:
        posts = await self.store.destination_posts(destination, since)
        rows = await leaderboard_rows(self.store, await self.store.post_participants(posts), size)
        return LeaderboardCard(label, rows, len(posts), OPT_OUT_HINT)

    # Suggestions ------------------------------------------------------------------------------------

    def suggest_form(self) -> Response:
        return Response(
            SuggestForm(tuple((t.slug, t.label) for t in TOPICS), tuple(d.value for d in Difficulty))
        )

    async def suggest(
        self,
        destination: Destination,
        user_id: str,
        question: str,
        answer: str,
        topic: str | None = None,
        difficulty: str | None = None,
    ) -> Response:
        """Store a suggestion for moderators; a bad field is named and nothing is lost from the form."""
        # The adapters clean form fields at the edge; cleaning again costs nothing and keeps NUL
        # (which PostgreSQL refuses in text) and escape sequences out of the store whatever the caller.
        question, answer = clean(question).strip(), clean(answer).strip()
        problems = []
        if not question:
            problems.append("the question is empty")
        elif len(question) > QUESTION_LIMIT:
            problems.append(f"the question has {len(question)} characters (at most {QUESTION_LIMIT})")
        if not answer:
            problems.append("the answer is empty")
        elif len(answer) > ANSWER_LIMIT:
            problems.append(f"the answer has {len(answer)} characters (at most {ANSWER_LIMIT})")
        slug = resolve_topic(topic) if topic else None
        if topic and slug is None:
            problems.append(f"unknown topic {shown(topic)!r}")
        level = resolve_difficulty(difficulty) if difficulty else None
        if difficulty and level is None:
            problems.append(f"unknown difficulty {shown(difficulty)!r}")
        if problems:
            return _error("Not saved: " + "; ".join(problems) + ".")
        suggestion_id = await self.store.add_suggestion(
            user_key(destination, user_id),
            destination.key,
            slug,
            level.value if level else None,
            question,
            answer,
            self.clock.now(),
        )
        return Response(Notice(f"Thanks! Suggestion #{suggestion_id} is saved for the moderators to review."))


async def leaderboard_rows(
    store: Store, participants: list[Participant], size: int
) -> tuple[LeaderboardRow, ...]:
    """Rank people by the questions they took part in (ties share a rank), leaving out whoever
    opted out of leaderboards; the first `size` rows."""
    counts: Counter[str] = Counter(p.user_key for p in participants)
    names = {p.user_key: p.user_id for p in participants}
    hidden = await store.leaderboard_optouts(set(counts))
    ranked = sorted(
        ((count, key) for key, count in counts.items() if key not in hidden), key=lambda x: (-x[0], x[1])
    )[:size]
    rows: list[LeaderboardRow] = []
    for count, key in ranked:
        rank = rows[-1].rank if rows and rows[-1].questions == count else len(rows) + 1
        rows.append(LeaderboardRow(rank, names[key], count))
    return tuple(rows)


def _score(counts: Counter[str]) -> float:
    """Share of the topic's questions answered well: nailed 1, partly ½, missed 0 (lowest = weakest)."""
    total = sum(counts.values())
    return (counts[SelfRating.NAILED] + counts[SelfRating.PARTLY] / 2) / total if total else 1.0


def _error(text: str) -> Response:
    return Response(Notice(text, NoticeKind.ERROR))
