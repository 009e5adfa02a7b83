"""Which question comes next: a per-scope rotation with no repeats inside a cycle."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from bot.bank import Filters, QuestionBank
from bot.commands import valid_filters_text
from bot.questions import Question
from bot.store import Store


class NoQuestionMatches(LookupError):
    """The filters match no question in the bank."""

    def __init__(self, filters: Filters) -> None:
        self.filters = filters
        super().__init__(f"No question matches {filters.describe()}. {valid_filters_text()}")


@dataclass(frozen=True, slots=True)
class Selection:
    question: Question
    cycle: int
    new_cycle: bool


def _vary_topic(candidates: list[Question], previous: Question | None) -> list[Question]:
    """Keep the candidates after which the rest of the cycle can still avoid same-topic neighbours.

    Remaining questions with topic counts c_t can follow a question of topic p without two
    neighbours sharing a topic iff every c_t <= ceil(n / 2), and c_p <= floor(n / 2).
    """
    fresh = [q for q in candidates if previous is None or q.id != previous.id] or candidates
    counts = Counter(q.topic for q in fresh)

    def arrangeable_after(topic: str) -> bool:
        rest = counts.copy()
        rest[topic] -= 1
        n = len(fresh) - 1
        return all(c <= (n // 2 if t == topic else (n + 1) // 2) for t, c in rest.items())

    other = [t for t in counts if previous is None or t != previous.topic]
    good = {t for t in other if arrangeable_after(t)} or set(other)
    return [q for q in fresh if q.topic in good] or fresh


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
        candidates = _vary_topic(candidates, previous)
        choice = self.rng.choice(candidates)
        await self.store.record_asked(scope, choice.id, cycle, now)
        return Selection(choice, cycle, new_cycle)
