"""`mlq content run-snippets`: one summary, and no success when nothing could be run."""

from __future__ import annotations

import sys
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


CHECKS = """

## Checks

```python check
# claim: each layer's output shape
import {module}
assert {module}.VERSION == "{version}"
```
"""
SNIPPET_PRINTING_TWO = (
    CODE.replace(f"import {MISSING}\n", "")
    .replace("print(1)", "print(2)")
    .replace("```output\n1", "```output\n2")
)


@pytest.fixture
def older_python(tmp_path: Path) -> Path:
    """An 'interpreter' whose library `mlq_test_lib` is version 1.6 (a wrapper adding it to the path)."""
    site = tmp_path / "old-site"
    site.mkdir()
    (site / "mlq_test_lib.py").write_text('VERSION = "1.6"\n', encoding="utf-8")
    wrapper = tmp_path / "old-python"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH="{site}" exec "{sys.executable}" "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    return wrapper


@pytest.fixture
def bank_checking_a_versioned_library(write_file: Callable[[str, str], Path]) -> Path:
    """One question whose check asserts mlq_test_lib 1.6, one whose check imports only json."""
    versioned = VALID_QUESTION.replace("sample-question", "versioned")
    write_file("bank/keras/versioned.md", versioned + CHECKS.format(module="mlq_test_lib", version="1.6"))
    plain = VALID_QUESTION.replace("sample-question", "plain").replace(
        "## Common pitfalls", SNIPPET_PRINTING_TWO
    )
    write_file(
        "bank/keras/plain.md",
        plain
        + CHECKS.format(module="json", version="x").replace(
            'assert json.VERSION == "x"', "assert json.dumps(1) == '1'"
        ),
    )
    return write_file("bank/README.md", "").parent


def test_run_snippets_runs_checks_with_the_interpreter_python_names(
    bank_checking_a_versioned_library: Path, older_python: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--python` runs every check with that interpreter: the 1.6-only check holds there."""
    bank = str(bank_checking_a_versioned_library)
    assert main(["content", "run-snippets", bank, "--python", str(older_python)]) == 0
    assert (
        capsys.readouterr().out.splitlines()[-1]
        == "snippets and claim checks run: 3 held, 0 failed, 0 skipped"
    )


def test_the_same_check_fails_with_the_default_interpreter(
    bank_checking_a_versioned_library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without `--python` the library is not there: the check fails and names its claim."""
    assert main(["content", "run-snippets", str(bank_checking_a_versioned_library)]) == 1
    out = capsys.readouterr().out
    assert "versioned.md" in out and "claim not backed (each layer's output shape)" in out


def test_importing_runs_only_what_imports_that_module(
    bank_checking_a_versioned_library: Path, older_python: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--importing mlq_test_lib` runs the one check that imports it, not the other question's."""
    bank = str(bank_checking_a_versioned_library)
    args = [
        "content",
        "run-snippets",
        bank,
        "--python",
        str(older_python),
        "--importing",
        "mlq_test_lib",
        "-v",
    ]
    assert main(args) == 0
    ran = [line for line in capsys.readouterr().out.splitlines() if line.endswith(": ok")]
    assert len(ran) == 1 and "versioned.md" in ran[0]


def test_checks_only_leaves_the_snippets_out(
    bank_checking_a_versioned_library: Path, older_python: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--checks-only`: the two checks run, the snippet does not."""
    bank = str(bank_checking_a_versioned_library)
    assert main(["content", "run-snippets", bank, "--python", str(older_python), "--checks-only"]) == 0
    assert (
        capsys.readouterr().out.splitlines()[-1]
        == "snippets and claim checks run: 2 held, 0 failed, 0 skipped"
    )


def test_jobs_run_at_once_give_the_same_summary(
    bank_checking_a_versioned_library: Path, older_python: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--jobs 3` changes how many run at once, not what is reported."""
    bank = str(bank_checking_a_versioned_library)
    assert main(["content", "run-snippets", bank, "--python", str(older_python), "--jobs", "3"]) == 0
    assert (
        capsys.readouterr().out.splitlines()[-1]
        == "snippets and claim checks run: 3 held, 0 failed, 0 skipped"
    )


def test_jobs_must_be_at_least_one(
    bank_checking_a_versioned_library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--jobs 0` is refused by name before anything runs."""
    with pytest.raises(SystemExit) as exited:
        main(["content", "run-snippets", str(bank_checking_a_versioned_library), "--jobs", "0"])
    assert exited.value.code == 2
    assert "--jobs: must be 1 or more, not 0" in capsys.readouterr().err
