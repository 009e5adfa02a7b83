"""What answer feedback says, as plain dataclasses every engine returns and every adapter renders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from bot.content.questions import Question
from bot.practice.review import SelfRating

Engine = Literal["offline", "llm"]


@dataclass(frozen=True, slots=True)
class PointResult:
    """One rubric key point: covered or not, and the words of the answer that matched it.

    A point covered in part (about half its words said together, no phrasing of it) earns a Partly
    but does not count towards a Nailed."""

    point: str
    covered: bool
    matched: str = ""
    in_part: bool = False


@dataclass(frozen=True, slots=True)
class MisconceptionHit:
    """Something the answer says that is wrong, the words that said it, and the correction."""

    wrong: str
    matched: str
    correction: str


@dataclass(frozen=True, slots=True)
class Feedback:
    question_id: str
    points: tuple[PointResult, ...]
    misconceptions: tuple[MisconceptionHit, ...]
    suggested: SelfRating
    engine: Engine
    critique: str = ""
    follow_up: str = ""
    # Said to the person when the engine they expected was not used (e.g. the model timed out).
    note: str = ""

    @property
    def covered(self) -> tuple[PointResult, ...]:
        return tuple(p for p in self.points if p.covered)

    @property
    def missed(self) -> tuple[PointResult, ...]:
        return tuple(p for p in self.points if not p.covered)

    def as_json(self) -> dict[str, object]:
        """The shape `mlq feedback --json` prints."""
        return {
            "question": self.question_id,
            "covered": [
                {"point": p.point, "matched": p.matched, **({"in_part": True} if p.in_part else {})}
                for p in self.covered
            ],
            "missed": [p.point for p in self.missed],
            "misconceptions": [
                {"wrong": m.wrong, "matched": m.matched, "correction": m.correction}
                for m in self.misconceptions
            ],
            "suggested": self.suggested.value,
            "engine": self.engine,
            **({"critique": self.critique} if self.critique else {}),
            **({"follow_up": self.follow_up} if self.follow_up else {}),
            **({"note": self.note} if self.note else {}),
        }


class FeedbackError(ValueError):
    """An answer feedback cannot be given for (no rubric, empty answer); the message says why."""


class FeedbackEngine(Protocol):
    async def assess(self, question: Question, answer: str) -> Feedback: ...
