"""`mlq content run-snippets`: one summary, and no success when nothing could be run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.content import snippets
from tests.support.fakes import VALID_QUESTION

MISSING = "mlq_test_missing_library"
CODE = f"""## Code

```python
import {MISSING}
print(1)
```

```output
1
```

## Common pitfalls"""


@pytest.fixture
def bank_needing_a_missing_library(
    write_file: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Three questions whose snippets import a library that is not installed."""
    monkeypatch.setitem(snippets.OPTIONAL_MODULES, MISSING, "mlq-test-missing-library")
    for name in ("first-question", "second-question", "third-question"):
        text = VALID_QUESTION.replace("sample-question", name).replace("## Common pitfalls", CODE)
        write_file(f"bank/keras/{name}.md", text)
    return write_file("bank/README.md", "").parent


def test_run_snippets_sums_up_skips_instead_of_a_line_each(
    bank_needing_a_missing_library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Three skipped snippets: one line per reason, then the totals."""
    main(["content", "run-snippets", str(bank_needing_a_missing_library)])
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "skipped 3: needs mlq-test-missing-library, not installed "
        "(install the snippet libraries: pip install -e '.[snippets]')",
        "snippets and claim checks run: 0 held, 0 failed, 3 skipped",
    ]


def test_run_snippets_fails_when_everything_was_skipped(bank_needing_a_missing_library: Path) -> None:
    """Nothing checked is not a success: exit 1."""
    assert main(["content", "run-snippets", str(bank_needing_a_missing_library)]) == 1


def test_run_snippets_passes_when_a_snippet_ran_and_held(
    bank_needing_a_missing_library: Path, write_file: Callable[[str, str], Path]
) -> None:
    """One snippet that runs and prints what its answer says: exit 0 despite the skips."""
    text = VALID_QUESTION.replace("sample-question", "fourth-question").replace(
        "## Common pitfalls", CODE.replace(f"import {MISSING}\n", "")
    )
    write_file("bank/keras/fourth-question.md", text)
    assert main(["content", "run-snippets", str(bank_needing_a_missing_library)]) == 0


def test_content_commands_on_a_missing_folder_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`mlq content lint nowhere`: exit 2 naming the folder, not a lint line about line 0."""
    assert main(["content", "lint", str(tmp_path / "nowhere")]) == 2
    assert f"{tmp_path / 'nowhere'} does not exist" in capsys.readouterr().err
