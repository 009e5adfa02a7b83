"""Self-assessment and spaced repetition: three buttons mapped onto FSRS ratings.

FSRS (the `fsrs` package) keeps a card per person and question and says when to see it again.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from enum import StrEnum

from fsrs import Card, Rating, Scheduler

from bot.text import shown


class SelfRating(StrEnum):
    NAILED = "nailed"
    PARTLY = "partly"
    MISSED = "missed"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {SelfRating.NAILED: "Nailed it", SelfRating.PARTLY: "Partly", SelfRating.MISSED: "Missed it"}

# Why this mapping: people rate an open interview answer against the model answer, not a flashcard.
# - "Nailed it" is Good, not Easy: self-assessment after reading a model answer runs optimistic, and
#   Easy would multiply the next interval on a rating nobody checked.
# - "Partly" is Hard: the answer came back, with gaps; FSRS then grows the interval only a little.
# - "Missed it" is Again: the card lapses and returns the next day (see the relearning step below).
FSRS_RATING = {
    SelfRating.NAILED: Rating.Good,
    SelfRating.PARTLY: Rating.Hard,
    SelfRating.MISSED: Rating.Again,
}


def parse_rating(text: str) -> SelfRating:
    try:
        return SelfRating(text.strip().lower())
    except ValueError:
        valid = ", ".join(r.value for r in SelfRating)
        raise ValueError(f"unknown rating {shown(text)!r}: use one of {valid}") from None


class ReviewPlanner:
    """Turns a rating into the card's next state and due date.

    Questions are practised at most daily, so the learning and relearning steps are one day rather
    than FSRS's flashcard minutes; fuzzing is off so a team sees the same schedule the tests check.
    """

    def __init__(self, desired_retention: float = 0.9) -> None:
        self.scheduler = Scheduler(
            desired_retention=desired_retention,
            learning_steps=(timedelta(days=1),),
            relearning_steps=(timedelta(days=1),),
            enable_fuzzing=False,
        )

    def review(self, card_json: str | None, rating: SelfRating, now: datetime) -> tuple[str, datetime]:
        """Apply a rating to a stored card (None: a new card) and return the new card and its due."""
        card = Card.from_dict(json.loads(card_json)) if card_json else Card(card_id=1, due=now)
        updated, _log = self.scheduler.review_card(card, FSRS_RATING[rating], now)
        return json.dumps(updated.to_dict(), sort_keys=True), updated.due
