"""The loaded, validated question bank: lookup, filtering and counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.cache import BankCache
from bot.content.files import question_files
from bot.content.loader import Problem, format_problems, load_questions
from bot.content.questions import Question
from bot.content.rubric import Track
from bot.content.taxonomy import TOPICS, Difficulty


class BankInvalid(Exception):
    """The bank has invalid files; the bot refuses to start rather than skip them."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(
            f"the question bank has {len(self.problems)} problem(s):\n{format_problems(self.problems)}"
        )


class BankMissing(BankInvalid):
    """The bank's folder does not exist or holds no question file (usually: run from elsewhere)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        what = "does not exist" if not root.exists() else "holds no question files"
        self.problems = [Problem(str(root), 0, f"the question bank folder {what}")]
        Exception.__init__(self, f"no question bank: {self.root} {what}")


@dataclass(frozen=True, slots=True)
class Filters:
    """Topic, difficulty and role-track filters; an empty tuple means "any"."""

    topics: tuple[str, ...] = ()
    difficulties: tuple[Difficulty, ...] = ()
    tracks: tuple[Track, ...] = ()

    def matches(self, question: Question) -> bool:
        return (
            (not self.topics or question.topic in self.topics)
            and (not self.difficulties or question.difficulty in self.difficulties)
            and (not self.tracks or any(t in question.tracks for t in self.tracks))
        )

    def describe(self) -> str:
        parts = [
            ", ".join(self.topics) or "any topic",
            ", ".join(self.difficulties) or "any difficulty",
        ]
        if self.tracks:
            parts.append("track " + ", ".join(self.tracks))
        return " · ".join(parts)


class QuestionBank:
    """An immutable set of active questions (retired ones are kept out of selection)."""

    def __init__(self, questions: Iterable[Question]) -> None:
        self._all = sorted(questions, key=lambda q: q.id)
        self._active = [q for q in self._all if q.status != "retired"]
        self._by_id = {q.id: q for q in self._all}

    @classmethod
    def load(cls, root: Path, cache: BankCache | None = None) -> QuestionBank:
        """Load every file under root; raise BankInvalid listing every problem if any.

        A folder that does not exist or holds no question file raises BankMissing. With a cache,
        files whose contents were parsed before are not parsed again (the bank is the same).
        """
        paths = question_files(root)
        if not paths:
            raise BankMissing(root)
        result = cache.load(root, paths) if cache is not None else load_questions(root, paths)
        if result.problems:
            raise BankInvalid(result.problems)
        return cls(result.questions)

    def __len__(self) -> int:
        return len(self._active)

    def get(self, question_id: str) -> Question | None:
        return self._by_id.get(question_id)

    @property
    def questions(self) -> list[Question]:
        return list(self._active)

    def matching(self, filters: Filters) -> list[Question]:
        return [q for q in self._active if filters.matches(q)]

    def topics_present(self) -> list[str]:
        present = {q.topic for q in self._active}
        return [t.slug for t in TOPICS if t.slug in present]

    def stats(self) -> BankStats:
        active = self._active
        return BankStats(
            total=len(active),
            by_topic=Counter(q.topic for q in active),
            by_difficulty=Counter(q.difficulty.value for q in active),
            by_type=Counter(q.type.value for q in active),
            by_status=Counter(q.status for q in self._all),
            with_snippet=sum(1 for q in active if any(s.runs for s in q.snippets)),
            with_reference=sum(
                1 for q in active if not q.is_behavioural and any(r.is_official for r in q.references)
            ),
            reviewed=sum(1 for q in active if q.status == "reviewed"),
            technical=sum(1 for q in active if not q.is_behavioural),
            plain_definitions=sum(1 for q in active if q.is_plain_definition),
            by_track=Counter(t.value for q in active for t in q.tracks),
            track_mix={
                track.value: Counter(q.difficulty.value for q in active if track in q.tracks)
                for track in Track
            },
            with_rubric=sum(1 for q in active if q.rubric is not None),
            with_checks=sum(1 for q in active if q.checks),
        )


@dataclass(frozen=True, slots=True)
class BankStats:
    total: int
    by_topic: Counter[str]
    by_difficulty: Counter[str]
    by_type: Counter[str]
    by_status: Counter[str]
    with_snippet: int
    with_reference: int
    reviewed: int
    technical: int
    plain_definitions: int
    by_track: Counter[str] = field(default_factory=Counter)
    # Per track: its questions by difficulty.
    track_mix: dict[str, Counter[str]] = field(default_factory=dict)
    with_rubric: int = 0
    with_checks: int = 0

    def render(self) -> str:
        """Return a plain-text table of the counts, with each topic's share against its target."""
        total = self.total or 1
        out = [f"questions: {self.total}", "", "by topic (share / target):"]
        for topic in TOPICS:
            count = self.by_topic.get(topic.slug, 0)
            out.append(f"  {topic.slug:<22}{count:>5}  {count / total:6.1%} / {topic.target_share:4.0%}")
        out += ["", "by difficulty:"]
        out += [
            f"  {d.value:<22}{self.by_difficulty.get(d.value, 0):>5}  "
            f"{self.by_difficulty.get(d.value, 0) / total:6.1%}"
            for d in Difficulty
        ]
        out += ["", "by track (difficulty mix easy/medium/hard):"]
        for track in Track:
            count = self.by_track.get(track.value, 0)
            mix = self.track_mix.get(track.value, Counter())
            shares = "/".join(f"{mix.get(d.value, 0) / (count or 1):.0%}" for d in Difficulty)
            out.append(f"  {track.value:<22}{count:>5}  {shares}")
        out += ["", "by type:"]
        out += [f"  {k:<22}{v:>5}" for k, v in sorted(self.by_type.items())]
        out += ["", "by status (including retired):"]
        out += [f"  {k:<22}{v:>5}" for k, v in sorted(self.by_status.items())]
        api = sum(self.by_topic.get(t, 0) for t in ("scikit-learn", "tensorflow", "keras"))
        tech = self.technical or 1
        out += [
            "",
            f"scikit-learn + TensorFlow + Keras: {api}",
            f"with a runnable snippet:          {self.with_snippet}",
            f"technical citing official docs:   {self.with_reference} ({self.with_reference / tech:.0%})",
            f"reviewed:                         {self.reviewed} ({self.reviewed / total:.0%})",
            f"with an answer rubric:            {self.with_rubric} ({self.with_rubric / total:.0%})",
            f"with claim checks:                {self.with_checks}",
            f"plain 'what is X' questions:      {self.plain_definitions}"
            f" ({self.plain_definitions / total:.0%})",
        ]
        return "\n".join(out)
