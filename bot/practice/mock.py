"""Mock interviews: a private run of 3–8 questions. Each question: the person answers in the answer
form, gets feedback and the interviewer's follow-up, rates themselves (the suggested rating
pre-chosen), and the next question comes. At the end a summary: each rating, the strong and weak
topics, and an overall read against the level the questions imply. Ratings feed the review schedule.

All progress is in the store (a restart loses nothing); a session idle for 30 minutes expires.
Buttons carry "mock:<session>:<position>", so a stale or doubled click cannot skip a question.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import replace
from datetime import timedelta

from bot.content.bank import Filters, QuestionBank
from bot.content.questions import Question
from bot.content.rubric import TRACK_LABELS, Track
from bot.content.taxonomy import topic_label
from bot.feedback.model import Feedback, FeedbackEngine
from bot.messages import (
    CardKind,
    CheckPrompt,
    Message,
    MockResult,
    MockSummary,
    Notice,
    NoticeKind,
    QuestionCard,
    Response,
    question_card,
)
from bot.practice.answers import assess, feedback_card, follow_up_of, tidy_answer
from bot.practice.flows import Practice, user_key
from bot.practice.review import SelfRating, parse_rating
from bot.records import MockSession
from bot.schedule.clock import Clock
from bot.seam import Destination

IDLE_LIMIT = timedelta(minutes=30)
COUNTS = (3, 8)
DEFAULT_COUNT = 5
_CONTEXT = re.compile(r"mock:(?P<session>\d{1,10}):(?P<position>\d)")
_ORDER = {"easy": 0, "medium": 1, "hard": 2}
_SCORE = {SelfRating.NAILED.value: 1.0, SelfRating.PARTLY.value: 0.5, SelfRating.MISSED.value: 0.0}
_LEVELS = ((0.6, "a junior"), (1.4, "a mid-level"), (2.1, "a senior"))


def is_mock_context(context: str) -> bool:
    return context.startswith("mock:")


class MockInterviews:
    def __init__(
        self,
        bank: QuestionBank,
        practice: Practice,
        clock: Clock,
        engine: FeedbackEngine,
        rng: random.Random | None = None,
    ) -> None:
        self.bank = bank
        self.practice = practice
        self.store = practice.store
        self.clock = clock
        self.engine = engine
        self.rng = rng or random.SystemRandom()

    # Commands ----------------------------------------------------------------------------------------

    async def start(
        self, destination: Destination, user_id: str, track: Track | None, count: int
    ) -> list[Response]:
        key = user_key(destination, user_id)
        session = await self._open(key)
        if session is not None:
            question = self.bank.get(session.question_ids[session.position])
            note = Notice(
                f"You already have a mock interview going (question {session.position + 1} of "
                f"{len(session.question_ids)}): answer it below, or `/mlquestion mock stop` to end it."
            )
            replies = [_direct(note)]
            if question is not None:
                replies.append(_direct(self._card(session, question)))
            return replies
        questions = self._pick(track, count)
        if len(questions) < count:
            where = f"the {track} track" if track else "the bank"
            return [
                _error(
                    f"{where.capitalize()} has {len(questions)} questions with an answer rubric; "
                    f"ask for at most {len(questions)}."
                )
            ]
        now = self.clock.now()
        draft = MockSession(
            id=0,
            user_key=key,
            user_id=user_id,
            destination=destination,
            track=track.value if track else None,
            question_ids=tuple(q.id for q in questions),
            position=0,
            suggested=(None,) * count,
            ratings=(None,) * count,
            started_at=now,
            updated_at=now,
        )
        session = replace(draft, id=await self.store.add_mock(draft))
        label = f"{TRACK_LABELS[track]} track, " if track else ""
        intro = Notice(
            f"**Mock interview** — {count} questions ({label}easiest first). For each: press "
            "**Answer**, write what you would say, get feedback and a follow-up, then rate yourself "
            "to move on. Ratings go to your `/mlquestion review` schedule. `/mlquestion mock stop` "
            f"ends it; it expires after {int(IDLE_LIMIT.total_seconds() // 60)} idle minutes."
        )
        return [_direct(intro), _direct(self._card(session, questions[0]))]

    async def stop(self, destination: Destination, user_id: str) -> Response:
        session = await self._open(user_key(destination, user_id))
        if session is None:
            return Response(Notice("No mock interview is going. `/mlquestion mock` starts one."))
        ended = replace(session, ended="stopped", updated_at=self.clock.now())
        await self.store.save_mock(ended, session.position)
        return _direct(self.summary(ended))

    # Clicks and answers ----------------------------------------------------------------------------

    async def form_for(self, destination: Destination, user_id: str, context: str) -> str | None:
        """Why an "Answer" click can't open the form (None: it can)."""
        _, problem = await self._current(destination, user_id, context)
        return problem

    async def check(
        self, destination: Destination, user_id: str, question_id: str, context: str, answer: str
    ) -> Response:
        session, problem = await self._current(destination, user_id, context, question_id)
        if session is None:
            return _error(problem or "That mock interview is over.")
        question = self.bank.get(question_id)
        if question is None:
            return _error("That question is no longer in the bank; `/mlquestion mock stop` ends the session.")
        text, problem = tidy_answer(answer)
        if problem is not None:
            return _error(problem)
        result = await assess(self.engine, question, text)
        if not isinstance(result, Feedback):
            return result
        suggested = list(session.suggested)
        suggested[session.position] = result.suggested.value
        saved = replace(session, suggested=tuple(suggested), updated_at=self.clock.now())
        await self.store.save_mock(saved, session.position)
        total = len(session.question_ids)
        return _direct(
            feedback_card(
                question,
                result,
                context,
                follow_up=follow_up_of(question, result, session.id + session.position),
                progress=f"Question {session.position + 1} of {total} · mock interview",
            )
        )

    async def rate(
        self, destination: Destination, user_id: str, question_id: str, context: str, choice: str
    ) -> Response:
        """Record the rating (to the review schedule too) and move on: the next card, or the summary."""
        try:
            rating = parse_rating(choice)
        except ValueError as exc:
            return _error(f"{exc}. Nothing was recorded.")
        session, problem = await self._current(destination, user_id, context, question_id)
        if session is None:
            return _error(f"{problem or 'That mock interview is over'}; nothing was recorded.")
        ratings = list(session.ratings)
        ratings[session.position] = rating.value
        position = session.position + 1
        finished = position == len(session.question_ids)
        moved = replace(
            session,
            ratings=tuple(ratings),
            position=session.position if finished else position,
            ended="finished" if finished else None,
            updated_at=self.clock.now(),
        )
        if not await self.store.save_mock(moved, session.position):
            return _error("That question was already rated; nothing was recorded twice.")
        day = f"mock:{self.clock.now().date().isoformat()}"
        # Under the account that started the session, wherever the click came from (see _current).
        await self.practice.rate(session.destination, user_id, question_id, day, rating.value)
        if finished:
            return _direct(self.summary(moved))
        question = self.bank.get(moved.question_ids[position])
        if question is None:
            return _direct(Notice("The next question was removed from the bank; `/mlquestion mock stop`."))
        card = self._card(moved, question)
        recorded = f"Recorded **{rating.label}**. "
        return _direct(replace(card, progress=recorded + (card.progress or "")))

    # Summary ---------------------------------------------------------------------------------------

    def summary(self, session: MockSession) -> MockSummary:
        results: list[MockResult] = []
        by_topic: dict[str, list[float]] = defaultdict(list)
        levels: list[int] = []
        for question_id, rating in zip(session.question_ids, session.ratings, strict=True):
            question = self.bank.get(question_id)
            if question is None:
                continue
            results.append(
                MockResult(question.title, topic_label(question.topic), question.difficulty.value, rating)
            )
            if rating is not None:
                by_topic[topic_label(question.topic)].append(_SCORE[rating])
                levels.append(_ORDER[question.difficulty.value])
        strong = tuple(t for t, s in by_topic.items() if sum(s) / len(s) >= 0.75)
        weak = tuple(t for t, s in by_topic.items() if sum(s) / len(s) < 0.5)
        return MockSummary(
            tuple(results), strong, weak, _overall(by_topic, levels), session.ended or "finished"
        )

    # Helpers ---------------------------------------------------------------------------------------

    def _pick(self, track: Track | None, count: int) -> list[Question]:
        """Questions with a rubric (feedback needs one), different topics where possible, easiest first."""
        pool = [
            q for q in self.bank.matching(Filters(tracks=(track,) if track else ())) if q.rubric is not None
        ]
        self.rng.shuffle(pool)
        chosen: list[Question] = []
        topics: set[str] = set()
        for question in pool:  # one per topic first, then fill
            if question.topic not in topics and len(chosen) < count:
                chosen.append(question)
                topics.add(question.topic)
        for question in pool:
            if len(chosen) >= count:
                break
            if question not in chosen:
                chosen.append(question)
        return sorted(chosen, key=lambda q: _ORDER[q.difficulty.value])

    def _card(self, session: MockSession, question: Question) -> QuestionCard:
        context = f"mock:{session.id}:{session.position}"
        card = question_card(question, CardKind.MOCK)
        return replace(
            card,
            check=CheckPrompt(question.id, context, label="Answer"),
            progress=f"Question {session.position + 1} of {len(session.question_ids)} · mock interview",
        )

    async def _open(self, key: str) -> MockSession | None:
        """The person's open session; one idle too long is marked expired and not returned."""
        session = await self.store.open_mock(key)
        if session is None:
            return None
        if self.clock.now() - session.updated_at > IDLE_LIMIT:
            await self.store.save_mock(replace(session, ended="expired"), session.position)
            return None
        return session

    async def _current(
        self, destination: Destination, user_id: str, context: str, question_id: str | None = None
    ) -> tuple[MockSession | None, str | None]:
        """The session a button names if it is the clicker's, open, and at that button's question."""
        match = _CONTEXT.fullmatch(context)
        if match is None:
            return None, "That button belongs to no mock interview I started"
        session = await self.store.get_mock(int(match["session"]))
        # The person, not the channel: the session's buttons are clicked in a direct message, which
        # on Discord belongs to no server (so its user key differs from the one that started it).
        if session is None or (session.destination.platform, session.user_id) != (
            destination.platform,
            user_id,
        ):
            return None, "That button belongs to someone else's mock interview"
        if session.ended is None and self.clock.now() - session.updated_at > IDLE_LIMIT:
            await self.store.save_mock(replace(session, ended="expired"), session.position)
            session = replace(session, ended="expired")
        if session.ended == "expired":
            return (
                None,
                "That mock interview expired after 30 idle minutes; `/mlquestion mock` starts a new one",
            )
        if session.ended is not None:
            return None, "That mock interview is over; `/mlquestion mock` starts a new one"
        position = int(match["position"])
        if position != session.position or (
            question_id is not None and session.question_ids[position] != question_id
        ):
            return None, "That button is for an earlier question of this mock interview"
        return session, None


def _overall(by_topic: dict[str, list[float]], levels: list[int]) -> str:
    scores = [s for values in by_topic.values() for s in values]
    if not scores:
        return "No question was rated, so there is no overall read yet."
    score = sum(scores) / len(scores)
    mean_level = sum(levels) / len(levels)
    level = next((name for limit, name in _LEVELS if mean_level <= limit), "a senior")
    if score >= 0.75:
        read = "on track for"
    elif score >= 0.5:
        read = "close to"
    else:
        read = "not yet at"
    return (
        f"Score {round(score * 100)}% over {len(scores)} rated question{'s' if len(scores) != 1 else ''}; "
        f"the questions' difficulty matches {level} interview, and this run is {read} that level."
    )


def _direct(message: Message) -> Response:
    return Response(message, private=True, direct=True)


def _error(text: str) -> Response:
    return Response(Notice(text, NoticeKind.ERROR), private=True, direct=True)
