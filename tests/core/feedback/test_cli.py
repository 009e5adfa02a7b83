"""`mlq feedback`: the offline engine from the command line, as text or JSON; bad input exits 2."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli import main
from tests.support.paths import ROOT

QUESTION = next((ROOT / "content").rglob("kv-cache-why-it-works.md"))


@pytest.fixture
def bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A one-question bank (a question with a rubric) named by MLQ_CONTENT_DIR."""
    folder = tmp_path / "questions" / "nlp-llm"
    folder.mkdir(parents=True)
    (folder / QUESTION.name).write_text(QUESTION.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("MLQ_CONTENT_DIR", str(tmp_path / "questions"))
    return tmp_path


def test_json_names_covered_and_missed_points_and_the_suggestion(
    bank: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json prints question, covered, missed, misconceptions, suggested and engine."""
    answer = bank / "answer.txt"
    answer.write_text(
        "We store past keys and values, so each step runs only the new token.", encoding="utf-8"
    )
    assert main(["feedback", "kv-cache-why-it-works", "--answer-file", str(answer), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) >= {"question", "covered", "missed", "misconceptions", "suggested", "engine"}
    assert result["engine"] == "offline" and result["suggested"] == "partly"
    assert len(result["covered"]) == 2 and len(result["missed"]) == 2


def test_the_answer_is_read_from_stdin_without_a_file(
    bank: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no --answer-file the answer comes from standard input."""
    monkeypatch.setattr("sys.stdin", io.StringIO("It caches the attention weights."))
    assert main(["feedback", "kv-cache-why-it-works"]) == 0
    assert "⚠" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["feedback", "no-such-question"], "text", "no question with id 'no-such-question'"),
        (["feedback", "kv-cache-why-it-works"], "   ", "the answer is empty"),
        (["feedback", "kv-cache-why-it-works", "--answer-file", "/nonexistent/a.txt"], "", "cannot read"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(
    bank: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    stdin: str,
    message: str,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    assert main(argv) == 2
    assert message in capsys.readouterr().err
