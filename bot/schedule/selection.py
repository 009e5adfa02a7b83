"""Which question comes next: a per-scope rotation with no repeats inside a cycle."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import filterfalse

from bot.commands import valid_filters_text
from bot.content.bank import Filters, QuestionBank
from bot.content.questions import Question
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


def _topics_to_draw(counts: Counter[str], previous_topic: str | None) -> set[str]:
    """The topics to draw from so that the rest of the cycle can still avoid same-topic neighbours.

    `counts` are the topic counts of the questions left to draw from (all positive). Remaining
    questions with topic counts c_t can follow a question of topic p without two neighbours sharing
    a topic iff every c_t <= ceil(n / 2), and c_p <= floor(n / 2). When no other topic is left,
    every topic is.
    """
    n = sum(counts.values()) - 1  # left after this draw
    over = [t for t, c in counts.items() if c > (n + 1) // 2]  # too many unless drawn from now
    other = [t for t in counts if t != previous_topic]
    arrangeable = [t for t in other if (not over or over == [t]) and counts[t] - 1 <= n // 2]
    return set(arrangeable) or set(other) or set(counts)


@dataclass(frozen=True, slots=True)
class _Pool:
    """The active questions one filter matches, indexed so a draw costs little more than its picks."""

    ids: frozenset[str]
    by_topic: dict[str, list[str]]  # in bank order
    topic_sets: dict[str, frozenset[str]]

    @classmethod
    def of(cls, questions: list[Question]) -> _Pool:
        by_topic: dict[str, list[str]] = {}
        for question in questions:
            by_topic.setdefault(question.topic, []).append(question.id)
        sets = {topic: frozenset(ids) for topic, ids in by_topic.items()}
        return cls(frozenset(q.id for q in questions), by_topic, sets)

    def counts(self, excluded: frozenset[str]) -> Counter[str]:
        """Questions left per topic (topics with none left omitted)."""
        left = Counter({t: len(ids) - len(ids & excluded) for t, ids in self.topic_sets.items()})
        return +left


class Rotation:
    """Draws questions per scope (a channel, or a user on demand); stateless apart from the store.

    Within a cycle no question repeats; when every question matching the filters has been asked,
    the next cycle starts. Consecutive questions avoid the previous topic where the bank allows.
    """

    def __init__(self, bank: QuestionBank, store: Store, rng: random.Random | None = None) -> None:
        self.bank = bank
        self.store = store
        self.rng = rng or random.Random()  # noqa: S311 — variety, not security
        # The bank is immutable, so each filter's pool is built once per bank.
        self._pools: dict[Filters, _Pool] = {}
        self._pools_bank = bank

    async def next(
        self, scope: str, filters: Filters, now: datetime, record_later: bool = False
    ) -> Selection:
        """Pick, record and return the scope's next question (one transaction in the store).

        `record_later`: return once picked; the store writes the pick in the background.
        """
        pool = self._pool(filters)
        chosen: list[Selection] = []

        def choose(cycle: int, asked_ids: list[str]) -> tuple[str, int]:
            selection = self._choose(pool, cycle, asked_ids)
            chosen.append(selection)
            return selection.question.id, selection.cycle

        await self.store.draw(scope, now, choose, record_later)
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
                pool = self._pool(filters)
            except NoQuestionMatches as exc:
                results.append(exc)
                continue
            cycle, asked_ids = states[scope]
            selection = self._choose(pool, cycle, asked_ids)
            if selection.new_cycle:
                states[scope] = selection.cycle, [selection.question.id]
            else:
                asked_ids.append(selection.question.id)
            results.append(selection)
        return results

    def choose(self, filters: Filters, cycle: int, asked_ids: Sequence[str]) -> Selection:
        """Pick the next question for a scope whose current cycle and asked ids (oldest first) are
        given; a new cycle starts when nothing is left. Touches nothing but the random source."""
        return self._choose(self._pool(filters), cycle, asked_ids)

    def _pool(self, filters: Filters) -> _Pool:
        if self._pools_bank is not self.bank or len(self._pools) > 1024:
            self._pools, self._pools_bank = {}, self.bank
        pool = self._pools.get(filters)
        if pool is None:
            pool = self._pools[filters] = _Pool.of(self.bank.matching(filters))
        if not pool.ids:
            raise NoQuestionMatches(filters)
        return pool

    def _choose(self, pool: _Pool, cycle: int, asked_ids: Sequence[str]) -> Selection:
        # Candidates: the pool less what this cycle asked (all of it again in a new cycle).
        excluded = pool.ids.intersection(asked_ids)
        new_cycle = len(excluded) == len(pool.ids)
        if new_cycle:
            cycle, excluded = cycle + 1, frozenset()
        counts = pool.counts(excluded)
        previous = self.bank.get(asked_ids[-1]) if asked_ids else None
        repeat = previous is not None and previous.id in pool.ids and previous.id not in excluded
        if previous is not None and repeat and sum(counts.values()) > 1:
            # A new cycle does not open with the question that closed the last one, if it can help it.
            excluded = excluded | {previous.id}
            counts[previous.topic] -= 1
            counts = +counts
        topics = _topics_to_draw(counts, previous.topic if previous else None)
        # Uniform over the candidates of those topics: a topic by its count, then one of its own.
        pick = self.rng.randrange(sum(counts[t] for t in topics))
        for topic in sorted(topics):
            if pick < counts[topic]:
                left = list(filterfalse(excluded.__contains__, pool.by_topic[topic]))
                question = self.bank.get(left[pick])
                if question is None:  # the pool is built from this bank
                    raise LookupError(left[pick])
                return Selection(question, cycle, new_cycle)
            pick -= counts[topic]
        raise AssertionError("a draw fell outside its candidates")
