"""Bank 2.0 fields of a question file: role tracks, the answer rubric, and claim checks run as code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.content.loader import load_questions
from bot.content.questions import Question
from bot.content.rubric import Track, resolve_track
from bot.content.snippets import imported_modules, run_check
from tests.support.fakes import VALID_QUESTION

RUBRIC = """tracks: [ml-engineer, data-scientist]
rubric:
  key_points:
    - point: "It shows each layer's output shape"
      phrasings: ["output shape", "shape of each layer"]
    - point: "It counts parameters"
      phrasings: ["parameter count", "number of weights"]
    - point: "The model must be built first"
      phrasings: ["must be built", "after build"]
  misconceptions:
    - wrong: "It trains the model"
      phrasings: ["summary trains"]
      correction: "It only describes the model; fit trains it."
"""

CHECKS = """
## Checks

```python check
# claim: To see each layer's output shape
assert 2 + 2 == 4
```
"""


def with_bank2(text: str = VALID_QUESTION, fields: str = RUBRIC, checks: str = CHECKS) -> str:
    return text.replace("status: draft\n", "status: draft\n" + fields) + checks


@pytest.fixture
def load(write_file: Callable[[str, str], Path]) -> Callable[[str], tuple[list[Question], list[str]]]:
    def run(text: str) -> tuple[list[Question], list[str]]:
        path = write_file("questions/keras/sample-question.md", text)
        result = load_questions(path.parent.parent)
        return result.questions, [str(p) for p in result.problems]

    return run


Load = Callable[[str], tuple[list[Question], list[str]]]


def test_tracks_rubric_and_checks_are_loaded(load: Load) -> None:
    """A file with tracks, a rubric and a check becomes a question carrying all three."""
    [question], problems = load(with_bank2())
    assert problems == []
    assert question.tracks == (Track.ML_ENGINEER, Track.DATA_SCIENTIST)
    assert question.rubric is not None
    assert question.rubric.key_points[0].phrasings == ("output shape", "shape of each layer")
    assert question.rubric.misconceptions[0].correction.startswith("It only describes")
    assert [c.claims for c in question.checks] == [("To see each layer's output shape",)]


def test_a_rubric_may_name_the_word_pairs_its_answers_confuse(load: Load) -> None:
    """`swaps: [[a, b], …]` is kept in order; a rubric without it has none."""
    swaps = RUBRIC.replace(
        "  misconceptions:", "  swaps: [[summary, fit], [built, compiled]]\n  misconceptions:"
    )
    [question], problems = load(with_bank2(fields=swaps))
    assert problems == []
    assert question.rubric is not None
    assert question.rubric.swaps == (("summary", "fit"), ("built", "compiled"))
    [plain], _ = load(with_bank2())
    assert plain.rubric is not None and plain.rubric.swaps == ()


def test_the_checks_section_is_never_part_of_the_answer(load: Load) -> None:
    """Checks are for the suite: the rendered answer has no trace of them."""
    from bot.content.sections import answer_markdown

    [question], _ = load(with_bank2())
    headings = [name for name, _ in answer_markdown(question.sections, behavioural=False)]
    assert "Checks" not in headings


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("tracks: [astronaut]\n", "unknown track 'astronaut'"),
        ("tracks: []\n", "tracks must be a non-empty list"),
        (
            RUBRIC.replace('    - point: "It counts parameters"\n', "    - pointy: x\n"),
            "needs a 'point' text",
        ),
        (
            RUBRIC.replace('["parameter count", "number of weights"]', '["parameter count"]'),
            "1 phrasings (2 to 12)",
        ),
        (RUBRIC.split("  misconceptions:")[0], "rubric misconceptions must be a list"),
        (
            RUBRIC.replace('      correction: "It only describes the model; fit trains it."\n', ""),
            "needs a 'correction'",
        ),
        ("rubric: [1, 2]\n", "rubric must be a mapping"),
        (
            RUBRIC.replace("  misconceptions:", "  swaps: [[fit, fit]]\n  misconceptions:"),
            "['fit', 'fit'] is not two different lower-case words",
        ),
        (
            RUBRIC.replace("  misconceptions:", "  swaps: [[Fit now, predict]]\n  misconceptions:"),
            "rubric swaps must be a list of up to 6 pairs of words",
        ),
    ],
)
def test_a_malformed_rubric_or_track_is_reported_at_its_field(load: Load, fields: str, message: str) -> None:
    """Each shape problem names what is wrong, on the line of the field."""
    _, problems = load(with_bank2(fields=fields))
    assert any(message in p for p in problems), problems
    assert all(":" in p.split(" ", 1)[0] for p in problems)  # path:line: message


def test_a_claim_that_does_not_quote_the_text_is_refused(load: Load) -> None:
    """A check must name words the question actually says, so a reader can find the claim it backs."""
    _, problems = load(with_bank2(checks=CHECKS.replace("To see each layer's output shape", "Summaries fly")))
    assert any("claim not found word for word" in p and "Summaries fly" in p for p in problems)


def test_a_check_block_without_a_claim_is_refused(load: Load) -> None:
    """Every check names at least one claim."""
    _, problems = load(with_bank2(checks=CHECKS.replace("# claim: To see each layer's output shape\n", "")))
    assert any("names no claim" in p for p in problems)


def test_a_behavioural_rubric_must_follow_star(load: Load) -> None:
    """Behavioural questions are judged on Situation, Task, Action and Result."""
    behavioural = VALID_QUESTION.replace("type: concept", "type: behavioural")
    _, problems = load(with_bank2(behavioural, checks=""))
    assert any("STAR" in p and "situation" in p for p in problems)


def test_a_passing_check_passes_and_a_false_claim_fails(load: Load) -> None:
    """The suite runs each check; a failed assertion names the claim it could not back."""
    [question], _ = load(with_bank2())
    assert run_check(question, question.checks[0]).passed
    [broken], _ = load(with_bank2(checks=CHECKS.replace("2 + 2 == 4", "2 + 2 == 5")))
    outcome = run_check(broken, broken.checks[0])
    assert not outcome.passed
    assert "To see each layer's output shape" in outcome.detail


@pytest.mark.parametrize(
    ("word", "track"),
    [("LLM-Engineer", Track.LLM_ENGINEER), ("ds", Track.DATA_SCIENTIST), ("mle", Track.ML_ENGINEER)],
)
def test_tracks_are_named_in_any_case_or_short_form(word: str, track: Track) -> None:
    assert resolve_track(word) is track


def test_an_unknown_track_word_resolves_to_nothing() -> None:
    assert resolve_track("astronaut") is None


def test_every_module_of_a_comma_separated_import_counts_as_imported() -> None:
    """`import numpy as np, keras` needs keras too: a check is skipped, or left out of the
    scikit-learn-only floor run, by all it imports."""
    code = "import numpy as np, keras, tensorflow as tf\nfrom sklearn.model_selection import KFold\n"
    assert imported_modules(code) == {"numpy", "keras", "tensorflow", "sklearn"}
