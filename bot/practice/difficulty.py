"""Difficulty from data: how people rated each question the first time, against its label.

A question's ease is the share of first ratings that were "Nailed it", with "Partly" counting half.
Each label owns a band of ease; a label is flagged only when enough people rated the question and
its ease lies clearly outside the label's band (by more than a margin), so noise flags nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.content.questions import Question
from bot.content.taxonomy import Difficulty
from bot.practice.review import SelfRating

MIN_RATINGS = 10
MARGIN = 0.10
# Ease (nailed + partly / 2, over all first ratings) each label expects.
BANDS: dict[Difficulty, tuple[float, float]] = {
    Difficulty.EASY: (0.65, 1.0),
    Difficulty.MEDIUM: (0.35, 0.75),
    Difficulty.HARD: (0.0, 0.45),
}


@dataclass(frozen=True, slots=True)
class DifficultyEvidence:
    question_id: str
    label: Difficulty
    counts: Counter[str]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, rating: SelfRating) -> float:
        return self.counts.get(rating.value, 0) / self.total if self.total else 0.0

    @property
    def ease(self) -> float:
        return self.share(SelfRating.NAILED) + self.share(SelfRating.PARTLY) / 2

    @property
    def verdict(self) -> str | None:
        """ "looks harder" / "looks easier" when the data contradicts the label; None otherwise."""
        if self.total < MIN_RATINGS:
            return None
        low, high = BANDS[self.label]
        if self.ease < low - MARGIN:
            return "looks harder"
        if self.ease > high + MARGIN:
            return "looks easier"
        return None


def difficulty_evidence(
    questions: Iterable[Question], first_ratings: Mapping[str, Counter[str]]
) -> list[DifficultyEvidence]:
    """Evidence for every rated question of the bank, most contradicted first."""
    found = [
        DifficultyEvidence(q.id, q.difficulty, first_ratings[q.id])
        for q in questions
        if q.id in first_ratings
    ]
    return sorted(found, key=lambda e: (e.verdict is None, -e.total, e.question_id))


def render_evidence(evidence: list[DifficultyEvidence]) -> str:
    """A plain-text table: share of Nailed / Partly / Missed per question and the flag."""
    if not evidence:
        return "no ratings stored yet: difficulty from data needs people's self-ratings"
    lines = [f"{'question':<44}{'label':<8}{'n':>5}  nailed partly missed  flag"]
    for item in evidence:
        shares = "  ".join(f"{item.share(r):>5.0%}" for r in SelfRating)
        if item.total < MIN_RATINGS:
            flag = f"(fewer than {MIN_RATINGS} ratings)"
        else:
            flag = f"{item.verdict} than {item.label.value}" if item.verdict else "ok"
        lines.append(f"{item.question_id[:43]:<44}{item.label.value:<8}{item.total:>5}  {shares}   {flag}")
    flagged = sum(1 for item in evidence if item.verdict)
    lines.append(f"\n{len(evidence)} rated question(s); {flagged} label(s) the ratings contradict")
    return "\n".join(lines)
