"""Suggested questions turned into draft question files in the bank's format, for an editor to
finish and a reviewer to check (`mlq content suggestions`, `mlq content accept ID`)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.content.loader import Problem, load_questions, parse_question_file
from bot.content.taxonomy import Difficulty, resolve_difficulty, resolve_topic
from bot.records import Suggestion
from bot.text import clean

MAX_ID_WORDS = 7


class SuggestionError(ValueError):
    """A suggestion can't become a file as asked; the message says what to pass instead."""


def question_id(question: str, taken: set[str]) -> str:
    """A file name from the question's first words, unique among `taken`."""
    words = re.findall(r"[a-z0-9]+", question.lower())[:MAX_ID_WORDS] or ["suggested"]
    base = "-".join(words)[:60].strip("-")
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def draft_file(
    suggestion: Suggestion, topic: str | None, difficulty: str | None, taken: set[str]
) -> tuple[str, str, str]:
    """Return (topic, id, file text): a `draft` question holding the suggestion's own words."""
    slug = resolve_topic(topic or suggestion.topic or "")
    if slug is None:
        given = topic or suggestion.topic
        raise SuggestionError(
            f"suggestion #{suggestion.id} has {'topic ' + repr(given) if given else 'no topic'}: "
            "pass --topic with one of the bank's topics"
        )
    level = resolve_difficulty(difficulty or suggestion.difficulty or "") or Difficulty.MEDIUM
    # Stored before the adapters cleaned user text, a suggestion may hold control characters.
    question, answer = clean(suggestion.question), clean(suggestion.answer)
    identifier = question_id(question, taken)
    meta = {
        "id": identifier,
        "title": _title(question),
        "topic": slug,
        "difficulty": level.value,
        "type": "behavioural" if slug == "behavioural" else "concept",
        "tags": ["suggested"],
        "author": f"suggested by {suggestion.user_key} (#{suggestion.id})",
        "status": "draft",
    }
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100)
    answer_heading = "Example answer" if slug == "behavioural" else "Answer"
    text = (
        f"---\n{front}---\n\n## Question\n\n{question.strip()}\n\n## {answer_heading}\n\n{answer.strip()}\n"
    )
    return slug, identifier, text


def accept_draft(
    suggestion: Suggestion, topic: str | None, difficulty: str | None, root: Path, bank: Path
) -> tuple[Path, list[Problem]]:
    """Write a suggestion as a draft file under root, its id unique among the bank's and the drafts'
    already there; return its path and what `mlq content lint` still asks of it. This is
    `mlq content accept` (the web dashboard's Accept calls it too); SuggestionError if it can't."""
    taken = {q.id for q in load_questions(bank).questions} | {p.stem for p in root.rglob("*.md")}
    slug, identifier, text = draft_file(suggestion, topic, difficulty, taken)
    path = write_draft(root, slug, identifier, text)
    return path, parse_question_file(path)[1]


def write_draft(root: Path, topic: str, identifier: str, text: str) -> Path:
    """Write the draft under root/<topic>/<id>.md without replacing anything."""
    path = root / topic / f"{identifier}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:
        handle.write(text)
    return path


def _title(question: str) -> str:
    first = question.strip().splitlines()[0].strip() if question.strip() else "Suggested question"
    return first if len(first) <= 80 else first[:77].rstrip() + "…"
