"""The fixed vocabulary of the bank: topics, difficulties and question types."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Difficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class QuestionType(StrEnum):
    CONCEPT = "concept"
    SCENARIO = "scenario"
    DEBUG = "debug"
    CODE = "code"
    DESIGN = "design"
    BEHAVIOURAL = "behavioural"


@dataclass(frozen=True, slots=True)
class Topic:
    """A bank topic: its slug (also its folder name), label, accepted aliases and target share."""

    slug: str
    label: str
    aliases: tuple[str, ...]
    target_share: float


TOPICS: tuple[Topic, ...] = (
    Topic("ml-fundamentals", "ML fundamentals", ("fundamentals", "ml"), 0.04),
    Topic("supervised-learning", "Supervised learning", ("supervised",), 0.06),
    Topic("unsupervised-learning", "Unsupervised learning", ("unsupervised", "clustering"), 0.03),
    Topic("evaluation-metrics", "Evaluation & metrics", ("evaluation", "metrics"), 0.05),
    Topic("feature-engineering", "Feature engineering", ("features",), 0.04),
    Topic("scikit-learn", "scikit-learn API & pipelines", ("sklearn",), 0.08),
    Topic("tensorflow", "TensorFlow", ("tf",), 0.05),
    Topic("keras", "Keras 3", ("keras3",), 0.05),
    Topic("pytorch", "PyTorch", ("torch",), 0.07),
    Topic("deep-learning", "Deep-learning concepts", ("dl",), 0.04),
    Topic("nlp-llm", "LLMs & NLP", ("nlp", "llm", "llms", "genai"), 0.18),
    Topic("computer-vision", "Computer vision", ("cv", "vision"), 0.02),
    Topic("mlops", "MLOps & deployment", ("deployment", "llmops"), 0.07),
    Topic("system-design", "ML system design", ("design", "industry"), 0.10),
    Topic("behavioural", "Behavioural", ("behavioral",), 0.05),
    Topic(
        "statistics-maths",
        "Statistics & maths",
        ("statistics", "stats", "maths", "math", "probability"),
        0.07,
    ),
)

TOPIC_BY_SLUG: dict[str, Topic] = {t.slug: t for t in TOPICS}

_LOOKUP: dict[str, str] = {}
for _topic in TOPICS:
    _LOOKUP[_topic.slug] = _topic.slug
    for _alias in _topic.aliases:
        _LOOKUP[_alias] = _topic.slug


def resolve_topic(word: str) -> str | None:
    """Return the topic slug a user's word names (slug or alias, any case), or None."""
    return _LOOKUP.get(word.strip().lower())


def resolve_difficulty(word: str) -> Difficulty | None:
    """Return the difficulty a user's word names, or None."""
    try:
        return Difficulty(word.strip().lower())
    except ValueError:
        return None


def topic_label(slug: str) -> str:
    """Return the human label of a topic slug (the slug itself if unknown)."""
    topic = TOPIC_BY_SLUG.get(slug)
    return topic.label if topic else slug
