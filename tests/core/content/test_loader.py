"""Question files: every problem is reported as `path:line: message`, and none is skipped silently."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.content.bank import BankInvalid, QuestionBank
from bot.content.loader import load_questions
from bot.content.removed_apis import REMOVED_APIS, removed_api_uses
from tests.support.fakes import VALID_QUESTION as VALID
from tests.support.fakes import WORDS_100


def write_question(write_file: Callable[[str, str], Path], text: str, name: str = "sample-question") -> Path:
    return write_file(f"questions/keras/{name}.md", text)


def problems_of(path: Path) -> list[str]:
    return [str(p) for p in load_questions(path).problems]


def test_a_valid_file_loads(write_file: Callable[[str, str], Path]) -> None:
    """The reference file has no problems and becomes a question."""
    path = write_question(write_file, VALID)
    result = load_questions(path.parent.parent)
    assert result.problems == []
    assert [q.id for q in result.questions] == ["sample-question"]


# Each case: how to break the reference file, a text on the line the problem must point at
# ("^" for the first line), and the message.
CASES = [
    # YAML notices an unclosed list where the next key starts.
    (
        lambda t: t.replace("title: A sample question\n", "title: [unclosed\n"),
        "topic: keras",
        "bad YAML",
    ),
    (lambda t: t.replace("difficulty: easy\n", ""), "^", "missing field 'difficulty'"),
    (
        lambda t: t.replace("status: draft\n", "status: draft\ncolour: blue\n"),
        "colour",
        "unknown field 'colour'",
    ),
    (
        lambda t: t.replace("topic: keras", "topic: astrology"),
        "astrology",
        "unknown topic 'astrology'",
    ),
    (
        lambda t: t.replace("difficulty: easy", "difficulty: brutal"),
        "brutal",
        "unknown difficulty 'brutal'",
    ),
    (lambda t: t.replace("type: concept", "type: riddle"), "riddle", "unknown type 'riddle'"),
    (lambda t: t.replace("status: draft", "status: published"), "published", "unknown status"),
    # A missing section is reported at the last heading, where it would be added.
    (
        lambda t: t.replace("## Common pitfalls\n\n- calling it before the model is built\n", ""),
        "## Follow-ups",
        "missing section '## Common pitfalls'",
    ),
    (
        lambda t: t.replace("## Follow-ups", "## Trivia\n\nx\n\n## Follow-ups"),
        "## Trivia",
        "unknown section '## Trivia'",
    ),
    (
        lambda t: t.replace(WORDS_100, " ".join(["characters"] * 300)),
        "## Question",
        "answer too long for a chat message",
    ),
    (lambda t: t.replace(WORDS_100, "too short"), "## Answer", "has 2 words (80 to 300)"),
    (
        lambda t: t.replace("To see each", " ".join(["very"] * 70) + " To see each"),
        "## Short answer",
        "short answer has 79 words",
    ),
    (
        lambda t: t.replace("- three\n", "- three\n- four\n- five\n- six\n- seven\n"),
        "## Key points",
        "key points has 7 bullets",
    ),
    (
        lambda t: t.replace("id: sample-question", "id: other-name"),
        "other-name",
        "must match the file name",
    ),
    (
        lambda t: t.replace("- one", "- use `tf.Session()` to run it"),
        "tf.Session",
        "removed API: tf.Session",
    ),
    (
        lambda t: t.replace("url: https://keras.io/api/", "url: keras.io"),
        "references:",
        "must start with https://",
    ),
    (
        lambda t: t.replace("status: draft", "status: reviewed"),
        "status:",
        "needs a 'review' mapping",
    ),
    (lambda t: t.replace("---\nid:", "id:", 1), "^", "missing YAML front matter"),
    (
        lambda t: t.replace("tags: [sample]", "tags: [sample]\ntags: [sample, twice]"),
        "tags: [sample, twice]",
        "field 'tags' appears twice (first on line 7)",
    ),
]


def line_of(text: str, marker: str) -> int:
    lines = text.splitlines()
    if marker == "^":
        return 1
    return next(i for i, line in enumerate(lines, start=1) if marker in line)


@pytest.mark.parametrize(("change", "marker", "message"), CASES)
def test_each_kind_of_problem_names_its_line(
    write_file: Callable[[str, str], Path], change: Callable[[str], str], marker: str, message: str
) -> None:
    """A malformed file gives `path:line: message`, pointing at the offending line."""
    text = change(VALID)
    path = write_question(write_file, text)
    found = problems_of(path)
    matching = [p for p in found if message in p]
    assert matching, found
    assert matching[0].startswith(f"{path}:{line_of(text, marker)}: "), matching[0]


@pytest.mark.parametrize(("change", "marker", "message"), CASES)
def test_every_problem_points_at_a_line_of_the_file(
    write_file: Callable[[str, str], Path], change: Callable[[str], str], marker: str, message: str
) -> None:
    """No problem names a line past the end of its file (or before its start)."""
    text = change(VALID)
    path = write_question(write_file, text)
    for problem in load_questions(path).problems:
        assert 1 <= problem.line <= len(text.splitlines()), problem


def test_broken_yaml_does_not_hide_the_other_problems_of_the_file(
    write_file: Callable[[str, str], Path],
) -> None:
    """An unclosed quote, a bad difficulty and a missing answer: all three in one run."""
    text = (
        VALID.replace("title: A sample question", 'title: "An unclosed quote')
        .replace("difficulty: easy", "difficulty: brutal")
        .replace(f"## Answer\n\n{WORDS_100}\n\n", "")
    )
    found = problems_of(write_question(write_file, text))
    for message in ("bad YAML", "unknown difficulty 'brutal'", "missing section '## Answer'"):
        assert any(message in p for p in found), (message, found)
    assert not any("missing field" in p for p in found), found  # the broken line may hold it


def test_an_unknown_difficulty_does_not_hide_missing_sections(
    write_file: Callable[[str, str], Path],
) -> None:
    """A bad difficulty and a missing section are reported together."""
    text = VALID.replace("difficulty: easy", "difficulty: brutal").replace("## Key points", "## Points")
    found = problems_of(write_question(write_file, text))
    assert any("unknown difficulty 'brutal'" in p for p in found)
    assert any("missing section '## Key points'" in p for p in found), found


def test_duplicate_ids_across_files_are_reported(write_file: Callable[[str, str], Path]) -> None:
    """Two files with one id: the second is reported, naming the first."""
    first = write_question(write_file, VALID)
    write_file(
        "questions/tensorflow/sample-question.md",
        VALID.replace("topic: keras", "topic: tensorflow"),
    )
    found = problems_of(first.parent.parent)
    assert any("duplicate id 'sample-question'" in p and "keras/sample-question.md" in p for p in found)


def test_every_problem_in_a_file_is_reported_not_just_the_first(
    write_file: Callable[[str, str], Path],
) -> None:
    """Several mistakes in one file give several messages."""
    broken = VALID.replace("topic: keras", "topic: astrology").replace("type: concept", "type: riddle")
    assert len(problems_of(write_question(write_file, broken))) >= 2


def test_a_bank_with_an_invalid_file_refuses_to_load(
    write_file: Callable[[str, str], Path],
) -> None:
    """The bot never skips a bad file silently: loading the bank raises with every message."""
    write_question(write_file, VALID)
    bad = write_question(
        write_file,
        VALID.replace("id: sample-question", "id: broken-one").replace(
            "difficulty: easy", "difficulty: brutal"
        ),
        name="broken-one",
    )
    with pytest.raises(BankInvalid) as raised:
        QuestionBank.load(bad.parent.parent)
    assert "unknown difficulty 'brutal'" in str(raised.value)


def test_lint_command_prints_problems_and_exits_1(
    write_file: Callable[[str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """`mlq content lint PATH` prints each problem and exits 1."""
    path = write_question(write_file, VALID.replace("type: concept", "type: riddle"))
    assert main(["content", "lint", str(path.parent.parent)]) == 1
    assert "unknown type 'riddle'" in capsys.readouterr().out


def test_lint_command_exits_0_on_a_clean_bank(
    write_file: Callable[[str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """`mlq content lint` on valid files exits 0 and says how many it checked."""
    path = write_question(write_file, VALID)
    assert main(["content", "lint", str(path.parent.parent)]) == 0
    assert "1 question(s) OK" in capsys.readouterr().out


def test_stats_command_counts_by_topic_difficulty_and_type(
    write_file: Callable[[str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """`mlq content stats` prints counts by topic, difficulty and type."""
    path = write_question(write_file, VALID)
    assert main(["content", "stats", str(path.parent.parent)]) == 0
    out = capsys.readouterr().out
    assert "questions: 1" in out
    assert any(line.split()[:2] == ["keras", "1"] for line in out.splitlines())
    assert any(line.split()[:2] == ["concept", "1"] for line in out.splitlines())


REMOVED_API_EXAMPLES = [
    "sess = tf.Session()",
    "x = tf.placeholder(tf.float32)",
    "tf.estimator.LinearClassifier()",
    "from sklearn.datasets import load_boston",
    "OneHotEncoder(sparse=False)",
    "from keras.wrappers.scikit_learn import KerasClassifier",
    "model.save('model.h5')",
    "model.SAVE('Model.H5')",
    "model.fit_generator(gen)",
    "model.predict_classes(x)",
    "tf.contrib.layers.flatten(x)",
    "from sklearn.externals import joblib",
    "from sklearn.grid_search import GridSearchCV",
    "plot_confusion_matrix(clf, X, y)",
    "keras.layers.experimental.preprocessing.Normalization()",
]


@pytest.mark.parametrize("code", REMOVED_API_EXAMPLES)
def test_removed_apis_are_rejected(write_file: Callable[[str, str], Path], code: str) -> None:
    """Answers may not teach APIs that were removed or are no longer the advice."""
    path = write_question(write_file, VALID.replace("- one", f"- `{code}`"))
    assert any("uses a removed API" in p for p in problems_of(path))


def test_every_removed_api_has_an_example_above() -> None:
    """The examples reach every entry of the list (each found through its quick text check too)."""
    found = {message for code in REMOVED_API_EXAMPLES for _, message in removed_api_uses(code, 1)}
    assert len(found) == len(REMOVED_APIS)


def test_a_migration_question_may_name_removed_apis(write_file: Callable[[str, str], Path]) -> None:
    """Tagged `migration`, a question can explain what replaced `tf.Session`."""
    text = VALID.replace("tags: [sample]", "tags: [sample, migration]").replace(
        "- one", "- `tf.Session` is gone; call functions eagerly"
    )
    assert problems_of(write_question(write_file, text)) == []
