"""The offline feedback engine: the answer against the question's rubric, no network, no model.

Each key point is covered when one of its phrasings is said (see `matching`); each misconception is
detected when one of its phrasings is said, or when a key point is said with a swapped term (L2 where
the point needs L1). The suggested rating follows from the share of points covered and how much of
the rubric's own vocabulary the answer uses, capped when the answer says something wrong.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from bot.content.questions import Question
from bot.content.rubric import Misconception
from bot.feedback.matching import (
    Match,
    Pairs,
    Sentence,
    contradicted,
    find,
    find_swapped,
    inverted,
    normalise,
    phrase_terms,
    sentences,
    words_of,
)
from bot.feedback.model import Feedback, FeedbackError, MisconceptionHit, PointResult
from bot.practice.review import SelfRating

MIN_WORDS = 3
NAILED_SHARE = 0.6
# A key point is said when one of its phrasings is, every word of it (rubrics list the ways people
# say a point; letting a third of a phrasing's words go matched "past … only … token" to "tokens only
# attend to the past"), or when most of the point's own words are said together.
PHRASE_SHARE = 1.0
POINT_SHARE = 0.6
# Half of the point's own words said together is the point said in part: weaker evidence, enough to
# make an answer Partly but not to count towards Nailed.
IN_PART_SHARE = 0.5
# A broad answer: at least this share of the points said plainly and this share of the rubric's own
# words used (see `breadth`) is Nailed too, if nothing in it is wrong.
BROAD_SHARE = 0.4
BROAD_WORDS = 1 / 3


class OfflineEngine:
    """Deterministic and private: nothing leaves the process, nothing is stored."""

    async def assess(self, question: Question, answer: str) -> Feedback:
        return assess(question, answer)


def assess(question: Question, answer: str) -> Feedback:
    rubric = question.rubric
    if rubric is None:
        raise FeedbackError(f"question {question.id!r} has no rubric yet, so its answers cannot be checked")
    if not answer.strip():
        raise FeedbackError("the answer is empty: write or paste your answer first")
    said = sentences(answer)
    asked = frozenset(_said(sentences(f"{question.title} {question.text}")))
    swaps = rubric.swaps
    points: list[PointResult] = []
    hits: list[MisconceptionHit] = []
    for key_point in rubric.key_points:
        match = _first(
            find(p, said, PHRASE_SHARE, asked=asked, swaps=swaps)
            for p in (*key_point.phrasings, key_point.point)
        )
        if match is None:
            match = find(key_point.point, said, POINT_SHARE, asked=asked, swaps=swaps)
        in_part = match is None
        if match is None:
            # Half of the point's words is weak evidence: none of it may be just the question's.
            match = find(
                key_point.point, said, IN_PART_SHARE, asked=asked, enough_asked=math.inf, swaps=swaps
            )
        # A phrasing said with the partner of one of the point's named terms next to it makes the
        # point wrong, not covered ("a Laplace prior gives L2").
        swapped = contradicted(key_point.point, match, swaps) if match is not None else None
        # A ratio of the point said upside down ("r over alpha" for alpha / r) is wrong wherever it is.
        swapped = swapped or _first(inverted(t, said) for t in (key_point.point, *key_point.phrasings))
        if match is not None and swapped is None:
            points.append(PointResult(key_point.point, True, match.words, in_part))
            continue
        points.append(PointResult(key_point.point, False))
        if swapped is None:
            swapped = _first(find_swapped(p, said, swaps) for p in key_point.phrasings)
        if swapped is None or swapped.swapped is None:
            continue
        needed, used = swapped.swapped
        if any(hit.matched == swapped.words for hit in hits):
            continue  # the same words already reported against another point
        hits.append(
            MisconceptionHit(
                f"{used} where the point needs {needed}",
                swapped.words,
                f"{key_point.point} (you wrote {used!r}, not {needed!r}).",
            )
        )
    for misconception in rubric.misconceptions:
        match = _first(
            find(p, said, families=True, dismissable=True, swaps=swaps) for p in misconception.phrasings
        )
        if match is not None and not _refuted(misconception, said, swaps):
            hits.append(MisconceptionHit(misconception.wrong, match.words, misconception.correction))
    return Feedback(
        question.id,
        tuple(points),
        tuple(hits),
        suggest(points, hits, answer, breadth(question, said, asked)),
        engine="offline",
    )


def suggest(
    points: list[PointResult], hits: list[MisconceptionHit], answer: str, used: float = 0.0
) -> SelfRating:
    """Nailed: most points, or two fifths of them and a third of the rubric's words, and nothing
    wrong. Partly: some point. Missed: none, or mostly wrong."""
    if len(answer.split()) < MIN_WORDS or not points:
        return SelfRating.MISSED
    covered = sum(p.covered for p in points)
    share = sum(p.covered and not p.in_part for p in points) / len(points)
    if hits:
        # Saying something wrong caps the rating: a confident wrong answer must never look nailed.
        return SelfRating.PARTLY if share >= NAILED_SHARE else SelfRating.MISSED
    if share >= NAILED_SHARE:
        return SelfRating.NAILED
    # Phrasings miss much of a right answer said in other words; one that plainly makes some of the
    # points and uses much of the rubric's vocabulary covers the rest in its own way.
    if share >= BROAD_SHARE and used >= BROAD_WORDS:
        return SelfRating.NAILED
    # One key point said right, and nothing wrong, is a partial answer.
    return SelfRating.PARTLY if covered else SelfRating.MISSED


def _refuted(misconception: Misconception, said: list[Sentence], swaps: Pairs) -> bool:
    """An answer that also says half of the correction is naming the error to refute it. Only the
    correction's own words count: one that shares most of its words with the error ("the mean is
    not …" for "the mean is …") would otherwise find itself in the error."""
    error = {
        term
        for text in (misconception.wrong, *misconception.phrasings)
        for term in phrase_terms(text, swaps)[0]
    }
    # Negators and stopwords (no terms of their own) stay: "almost never to exactly zero" is said
    # only with its "never".
    kept = []
    for word in words_of(normalise(misconception.correction)):
        terms = set(phrase_terms(word, swaps)[0])
        if not terms or not terms <= error:
            kept.append(word)
    own = phrase_terms(" ".join(kept), swaps)[0]
    return len(own) >= 2 and find(" ".join(kept), said, IN_PART_SHARE, swaps=swaps) is not None


def _first(matches: Iterable[Match | None]) -> Match | None:
    return next((m for m in matches if m is not None), None)


def breadth(question: Question, said: list[Sentence], asked: frozenset[str]) -> float:
    """The share of the rubric's own words (key points and phrasings, less the question's words
    `asked`, which any answer repeats) that the answer uses, in any sentence and any order."""
    rubric = question.rubric
    vocabulary: set[str] = set()
    for key_point in rubric.key_points if rubric else ():
        for text in (key_point.point, *key_point.phrasings):
            vocabulary |= set(phrase_terms(text, rubric.swaps if rubric else ())[0])
    vocabulary -= asked
    return len(vocabulary & _said(said)) / len(vocabulary) if vocabulary else 0.0


def _said(said: list[Sentence]) -> set[str]:
    # Stems for ordinary words, the words themselves for critical ones (phrase_terms keeps those).
    return {term for sentence in said for term in (*sentence.stems, *sentence.words)}
