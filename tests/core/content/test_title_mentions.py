"""A question title must not notify anyone: it goes into Slack's plain-text fallback and Discord's
thread names, where `<!channel>` or `@everyone` would ping a whole channel."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.content.loader import load_questions
from tests.support.fakes import VALID_QUESTION


@pytest.mark.parametrize("mention", ["<!channel>", "<!here>", "@everyone", "@here", "<@U0123ABC>", "<@!42>"])
def test_a_title_with_a_mention_is_a_lint_problem_on_its_line(
    write_file: Callable[[str, str], Path], mention: str
) -> None:
    text = VALID_QUESTION.replace("title: A sample question", f'title: "A sample {mention} question"')
    path = write_file("questions/keras/sample-question.md", text)
    title_line = text.splitlines().index(f'title: "A sample {mention} question"') + 1
    result = load_questions(path)
    assert [str(p) for p in result.problems] == [
        f"{path}:{title_line}: title contains the mention {mention!r}: reword it (it would notify people)"
    ]
    assert result.questions == []


def test_a_title_with_an_email_like_word_or_angle_brackets_is_fine(
    write_file: Callable[[str, str], Path],
) -> None:
    text = VALID_QUESTION.replace("title: A sample question", 'title: "Is a < b when loss > 0?"')
    path = write_file("questions/keras/sample-question.md", text)
    assert load_questions(path).problems == []
