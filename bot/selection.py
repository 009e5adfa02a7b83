"""Which question comes next: a per-scope rotation with no repeats inside a cycle."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
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
        # The bank is immutable, so each filter's matches are computed once per bank.
        self._matching: dict[Filters, list[Question]] = {}
        self._matching_bank = bank

    async def next(self, scope: str, filters: Filters, now: datetime) -> Selection:
        """Pick, record and return the scope's next question (one transaction in the store)."""
        matching = self.matching(filters)
        chosen: list[Selection] = []

        def choose(cycle: int, asked_ids: list[str]) -> tuple[str, int]:
            selection = self.choose(matching, cycle, asked_ids)
            chosen.append(selection)
            return selection.question.id, selection.cycle

        await self.store.draw(scope, now, choose)
        return chosen[-1]

    async def plan(self, requests: Sequence[tuple[str, Filters]]) -> list[Selection | NoQuestionMatches]:
        """Choose the next question of many (scope, filters) with one read of the store.

        Nothing is recorded: the caller records the choices (with what they are for, in this
        order). A scope named more than once sees its earlier choices, as consecutive `next` calls
        would. Filters matching nothing give NoQuestionMatches in that place.
        """
        states = await self.store.rotations({scope for scope, _ in requests})
        results: list[Selection | NoQuestionMatches] = []
        for scope, filters in requests:
            try:
                matching = self.matching(filters)
            except NoQuestionMatches as exc:
                results.append(exc)
                continue
            cycle, asked_ids = states[scope]
            selection = self.choose(matching, cycle, asked_ids)
            if selection.new_cycle:
                states[scope] = selection.cycle, [selection.question.id]
            else:
                asked_ids.append(selection.question.id)
            results.append(selection)
        return results

    def matching(self, filters: Filters) -> list[Question]:
        """The active questions the filters match; NoQuestionMatches if none."""
        if self._matching_bank is not self.bank or len(self._matching) > 1024:
            self._matching, self._matching_bank = {}, self.bank
        matching = self._matching.get(filters)
        if matching is None:
            matching = self._matching[filters] = self.bank.matching(filters)
        if not matching:
            raise NoQuestionMatches(filters)
        return matching

    def choose(self, matching: list[Question], cycle: int, asked_ids: Sequence[str]) -> Selection:
        """Pick from `matching` given the scope's current cycle and what was asked in it (oldest
        first); the new cycle starts when nothing is left. Touches nothing but the random source."""
        asked_set = set(asked_ids)
        candidates = [q for q in matching if q.id not in asked_set]
        new_cycle = False
        if not candidates:
            cycle, new_cycle, candidates = cycle + 1, True, matching
        previous = self.bank.get(asked_ids[-1]) if asked_ids else None
        return Selection(self.rng.choice(_vary_topic(candidates, previous)), cycle, new_cycle)
