"""The question as the core sees it: a frozen dataclass built by the loader."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.content.rubric import ClaimCheck, Rubric, Track
from bot.content.taxonomy import Difficulty, QuestionType

# Official documentation, and the publishers and archives where the papers that introduced an idea
# live. A reference on one of these counts as "official" in the bank's statistics.
OFFICIAL_DOMAINS = (
    "scikit-learn.org",
    "tensorflow.org",
    "keras.io",
    "pytorch.org",
    "docs.python.org",
    "numpy.org",
    "scipy.org",
    "pandas.pydata.org",
    "joblib.readthedocs.io",
    "ai.google.dev",
    "arxiv.org",
    "doi.org",
    "dl.acm.org",
    "proceedings.neurips.cc",
    "papers.nips.cc",
    "jmlr.org",
    "proceedings.mlr.press",
    "aclanthology.org",
    "link.springer.com",
    "ieeexplore.ieee.org",
    "openreview.net",
    "research.google",
)


@dataclass(frozen=True, slots=True)
class Reference:
    title: str
    url: str

    @property
    def is_official(self) -> bool:
        host = self.url.split("://", 1)[-1].split("/", 1)[0].lower()
        return any(host == d or host.endswith("." + d) for d in OFFICIAL_DOMAINS)


@dataclass(frozen=True, slots=True)
class Snippet:
    """A runnable code block of a question and the output the answer says it prints."""

    code: str
    expected_output: str | None
    runs: bool
    line: int


@dataclass(frozen=True, slots=True)
class Question:
    """One bank question. Sections are Markdown, keyed by their heading as written in the file."""

    id: str
    title: str
    topic: str
    difficulty: Difficulty
    type: QuestionType
    status: str
    sections: dict[str, str]
    path: str
    tags: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    verified_with: dict[str, str] = field(default_factory=dict)
    author: str = ""
    review: dict[str, str] = field(default_factory=dict)
    snippets: tuple[Snippet, ...] = ()
    tracks: tuple[Track, ...] = ()
    rubric: Rubric | None = None
    checks: tuple[ClaimCheck, ...] = ()
    # Library -> the version where a behaviour the question states changed (its text says both).
    since: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.sections["Question"]

    @property
    def is_behavioural(self) -> bool:
        return self.type is QuestionType.BEHAVIOURAL

    @property
    def short_answer(self) -> str | None:
        return self.sections.get("Short answer")

    @property
    def is_plain_definition(self) -> bool:
        """Whether the question is a plain "what is X" prompt (the bank caps their share)."""
        first = self.text.strip().lower()
        return first.startswith(("what is ", "what are ", "define ", "what does "))
