"""Your data to take away or delete: `/mlquestion export` and `/mlquestion forget-me`.

The export is the person's own ratings and review schedule as CSV, and an Anki deck (genanki) of the
questions whose latest rating was Partly or Missed. Forgetting deletes every row kept about the
account, in one store transaction, and says what went. Platform-neutral: adapters deliver the files.
A channel's participation CSV for its admins (the web dashboard's download) is built here too, with
the same CSV conventions.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import datetime

import genanki
from markdown_it import MarkdownIt

from bot.content import sections
from bot.content.bank import QuestionBank
from bot.content.questions import Question
from bot.messages import (
    DataExport,
    ExportFile,
    ForgetConfirm,
    Forgotten,
    Notice,
    NoticeKind,
    Response,
    rating_label,
)
from bot.practice.flows import user_key
from bot.records import RatingRecord, ReviewCardRecord
from bot.schedule.clock import Clock
from bot.seam import Destination
from bot.store import Store

RATINGS_FILE = "mlquestion-ratings.csv"
REVIEWS_FILE = "mlquestion-review-schedule.csv"
DECK_FILE = "mlquestion-to-revisit.apkg"
CSV_TYPE = "text/csv"
APKG_TYPE = "application/octet-stream"  # Anki registers no media type of its own
TO_REVISIT = frozenset({"partly", "missed"})

# Fixed ids, so importing a newer export updates the same note type and deck in Anki instead of
# adding copies (notes are matched by a GUID made from the question id).
ANKI_MODEL_ID = 1_736_204_117
ANKI_DECK_ID = 1_736_204_118
_ANKI_MODEL = genanki.Model(
    ANKI_MODEL_ID,
    "mlquestion interview question",
    fields=[{"name": "Question"}, {"name": "Answer"}, {"name": "QuestionId"}],
    templates=[
        {
            "name": "Card 1",
            "qfmt": "{{Question}}",
            "afmt": '{{FrontSide}}<hr id="answer">{{Answer}}',
        }
    ],
)
# CommonMark with raw HTML escaped: question text is ours, but a `<` in it must show as typed.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})
_FSRS_STATES = {1: "learning", 2: "review", 3: "relearning"}


class YourData:
    """Builds exports and forgets people. Holds no state beyond its collaborators."""

    def __init__(self, bank: QuestionBank, store: Store, clock: Clock) -> None:
        self.bank = bank
        self.store = store
        self.clock = clock

    async def export(self, destination: Destination, user_id: str) -> Response:
        """The caller's ratings, review schedule and revisit deck, as private files."""
        key = user_key(destination, user_id)
        ratings = await self.store.user_ratings(key)
        cards = await self.store.review_cards_of(await self.store.person_of(key))
        revisit = self._to_revisit(ratings)
        deck = await asyncio.to_thread(anki_deck, revisit, self.clock.now())
        files = (
            ExportFile(RATINGS_FILE, ratings_csv(ratings, self.bank), CSV_TYPE),
            ExportFile(REVIEWS_FILE, reviews_csv(cards, self.bank), CSV_TYPE),
            ExportFile(DECK_FILE, deck, APKG_TYPE),
        )
        text = (
            f"Your data: `{RATINGS_FILE}` ({_count(len(ratings), 'rating')}), `{REVIEWS_FILE}` "
            f"({_count(len(cards), 'question')} in your review schedule) and `{DECK_FILE}`, an Anki "
            f"deck of the {_count(len(revisit), 'question')} you last rated Partly or Missed "
            "(File → Import in Anki)."
        )
        return Response(DataExport(text, files))

    def forget_prompt(self) -> Response:
        """Ask before deleting: nothing is deleted by the command itself."""
        return Response(
            ForgetConfirm(
                "**Delete everything kept about you here?** Your ratings, reply counts, review "
                "schedule, account links, leaderboard entries and opt-out, mock interviews, web "
                "dashboard sessions and sign-in links, on-demand question history and suggestions. "
                "This cannot be undone; `/mlquestion export` first if you want a copy."
            )
        )

    async def forget(self, destination: Destination, user_id: str) -> Response:
        """Delete everything kept about the confirming account and say what was deleted."""
        counts = await self.store.forget_user(
            user_key(destination, user_id), user_id, destination.platform, destination.workspace_id
        )
        return Response(Forgotten(tuple(counts.items())))

    def _to_revisit(self, ratings: list[RatingRecord]) -> list[Question]:
        """The questions (still in the bank) whose latest rating is Partly or Missed, by title."""
        latest: dict[str, str] = {}
        for rating in sorted(ratings, key=lambda r: r.rated_at):
            latest[rating.question_id] = rating.rating
        found = [self.bank.get(qid) for qid, value in latest.items() if value in TO_REVISIT]
        return sorted((q for q in found if q is not None), key=lambda q: (q.title, q.id))


def cancelled() -> Response:
    """The reply to a cancelled `forget-me`."""
    return Response(Notice("Nothing was deleted.", NoticeKind.INFO))


def ratings_csv(ratings: list[RatingRecord], bank: QuestionBank) -> bytes:
    """One row per rating, oldest first; times in UTC (ISO 8601)."""
    rows = [
        [
            rating.rated_at.isoformat(),
            rating.question_id,
            *_labels(bank, rating.question_id),
            rating.rating,
            rating_label(rating.rating),
            rating.context,
        ]
        for rating in sorted(ratings, key=lambda r: r.rated_at)
    ]
    header = [
        "rated_at_utc",
        "question_id",
        "title",
        "topic",
        "difficulty",
        "rating",
        "rating_label",
        "where",
    ]
    return _csv(header, rows)


def reviews_csv(cards: list[ReviewCardRecord], bank: QuestionBank) -> bytes:
    """One row per review card, soonest due first: when it is due and the FSRS state behind it."""
    rows = []
    for card in cards:
        state = json.loads(card.card)
        rows.append(
            [
                card.question_id,
                *_labels(bank, card.question_id),
                card.due.isoformat(),
                _FSRS_STATES.get(state.get("state"), ""),
                state.get("last_review") or "",
                _number(state.get("stability")),
                _number(state.get("difficulty")),
            ]
        )
    header = [
        "question_id",
        "title",
        "topic",
        "difficulty",
        "due_utc",
        "state",
        "last_review_utc",
        "fsrs_stability",
        "fsrs_difficulty",
    ]
    return _csv(header, rows)


def anki_deck(questions: list[Question], now: datetime) -> bytes:
    """An Anki package of the questions: the question on the front, the model answer on the back."""
    deck = genanki.Deck(ANKI_DECK_ID, "mlquestion — to revisit")
    for question in questions:
        answer = "\n\n".join(
            f"**{heading}**\n\n{body}"
            for heading, body in sections.answer_markdown(question.sections, question.is_behavioural)
        )
        deck.add_note(
            genanki.Note(
                model=_ANKI_MODEL,
                fields=[
                    _MARKDOWN.render(f"## {question.title}\n\n{question.text}"),
                    _MARKDOWN.render(answer),
                    question.id,
                ],
                guid=genanki.guid_for("mlquestion", question.id),
                tags=[question.topic, question.difficulty.value],
            )
        )
    out = io.BytesIO()
    genanki.Package(deck).write_to_file(out, timestamp=now.timestamp())
    return out.getvalue()


async def participation_csv(bank: QuestionBank, store: Store, destination: Destination) -> bytes:
    """A channel's participation for its admins: one row per daily question sent there, oldest
    first, with how many people took part (replied in its thread or rated under its reveal).

    Counts only, never names: the dashboard's leaderboard names people who have not opted out, and
    a file that leaves the dashboard should not carry what an opt-out or `forget-me` withdrew."""
    posts = await store.destination_posts(destination)
    people: dict[int, int] = dict.fromkeys((post.id for post in posts), 0)
    for participant in await store.post_participants(posts):
        people[participant.post_id] += 1
    rows = [
        [
            post.local_date.isoformat(),
            post.posted_at.isoformat() if post.posted_at else "",
            post.question_id or "",
            *_labels(bank, post.question_id or ""),
            str(people[post.id]),
        ]
        for post in posts
    ]
    header = ["date", "posted_at_utc", "question_id", "title", "topic", "difficulty", "people_took_part"]
    return _csv(header, rows)


def _labels(bank: QuestionBank, question_id: str) -> list[str]:
    question = bank.get(question_id)
    if question is None:
        return ["(no longer in the bank)", "", ""]
    return [question.title, question.topic, question.difficulty.value]


def _number(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, int | float) else ""


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    # A cell starting with = + - @ is a formula to a spreadsheet: quote it as text.
    writer.writerows([[_no_formula(cell) for cell in row] for row in rows])
    return text.getvalue().encode("utf-8")


def _no_formula(cell: str) -> str:
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
