"""Which question comes next: a per-scope rotation with no repeats inside a cycle."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from bot.bank import Filters, QuestionBank
from bot.commands import valid_filters_text
from bot.questions import Question
from bot.store import Store


class NoQuestionMatches(LookupError):  # noqa: N818 — reads as the condition a user hit
    """The filters match no question in the bank."""

    def __init__(self, filters: Filters) -> None:
        self.filters = filters
        super().__init__(
            f"No question matches {filters.describe()}. {valid_filters_text()}"
        )


@dataclass(frozen=True, slots=True)
class Selection:
    question: Question
    cycle: int
    new_cycle: bool


class Rotation:
    """Draws questions per scope (a channel, or a user on demand); stateless apart from the store.

    Within a cycle no question repeats; when every question matching the filters has been asked,
    the next cycle starts. Consecutive questions avoid the previous topic where the bank allows.
    """

    def __init__(self, bank: QuestionBank, store: Store, rng: random.Random | None = None) -> None:
        self.bank = bank
        self.store = store
        self.rng = rng or random.Random()  # noqa: S311 — variety, not security

    async def next(self, scope: str, filters: Filters, now: datetime) -> Selection:
        """Pick, record and return the scope's next question."""
        matching = self.bank.matching(filters)
        if not matching:
            raise NoQuestionMatches(filters)
        cycle, asked_ids = await self.store.rotation(scope)
        asked_set = set(asked_ids)
        candidates = [q for q in matching if q.id not in asked_set]
        new_cycle = False
        if not candidates:
            cycle, new_cycle, candidates = cycle + 1, True, matching
        previous = self.bank.get(asked_ids[-1]) if asked_ids else None
        if previous is not None:
            fresh = [q for q in candidates if q.id != previous.id]
            candidates = fresh or candidates
            other_topic = [q for q in candidates if q.topic != previous.topic]
            candidates = other_topic or candidates
        choice = self.rng.choice(candidates)
        await self.store.record_asked(scope, choice.id, cycle, now)
        return Selection(choice, cycle, new_cycle)
