"""Which `##` sections a question file has, and the order the answer shows them in."""

from __future__ import annotations

TECHNICAL_REQUIRED: tuple[str, ...] = (
    "Question",
    "Short answer",
    "Answer",
    "Key points",
    "Common pitfalls",
    "Follow-ups",
)
# Checks: assertions backing the text's claims (run by the suite, never shown).
TECHNICAL_OPTIONAL: tuple[str, ...] = ("Code", "Hint", "Checks")
TECHNICAL_ANSWER_ORDER: tuple[str, ...] = (
    "Short answer",
    "Answer",
    "Key points",
    "Code",
    "Common pitfalls",
    "Follow-ups",
)

BEHAVIOURAL_REQUIRED: tuple[str, ...] = (
    "Question",
    "What the interviewer is probing",
    "STAR outline",
    "Example answer",
    "Strong signals",
    "Red flags",
    "Follow-ups",
)
BEHAVIOURAL_OPTIONAL: tuple[str, ...] = ("Hint", "Checks")
BEHAVIOURAL_ANSWER_ORDER: tuple[str, ...] = BEHAVIOURAL_REQUIRED[1:]

# The whole answer must fit one Slack section (3,000 characters) and one Discord embed.
MAX_ANSWER_CHARS = 3000
SHORT_ANSWER_MAX_WORDS = 60
ANSWER_WORDS = (80, 300)
EXAMPLE_ANSWER_WORDS = (120, 200)
KEY_POINTS = (3, 6)
CODE_MAX_LINES = 15


def answer_markdown(sections: dict[str, str], behavioural: bool) -> list[tuple[str, str]]:
    """Return the (heading, Markdown) pairs of a question's model answer, in reading order."""
    order = BEHAVIOURAL_ANSWER_ORDER if behavioural else TECHNICAL_ANSWER_ORDER
    return [(name, sections[name]) for name in order if sections.get(name)]


def answer_length(sections: dict[str, str], behavioural: bool) -> int:
    """Return the characters the rendered answer takes: bold heading, body, blank line."""
    return sum(len(f"**{name}**\n{body}\n\n") for name, body in answer_markdown(sections, behavioural))
