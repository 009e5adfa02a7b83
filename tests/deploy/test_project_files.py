"""The files around the code: licence, ignore rules, the example configuration, CI and README."""

from __future__ import annotations

import fnmatch
import tomllib

import pytest

from bot.ops.settings import Settings, variable_name
from tests.support.paths import ROOT

EVERY_VARIABLE = [variable_name(field) for field in Settings.model_fields]


def test_the_licence_pyproject_names_is_there() -> None:
    """pyproject says MIT; LICENSE holds the MIT text for the mlquestion authors."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert project["license"] == "MIT"
    assert text.startswith("MIT License") and "Copyright (c) 2026 the mlquestion authors" in text


@pytest.mark.parametrize("name", ["mlquestion.db-wal", "mlquestion.db-shm", "x.sqlite3-wal", "x.sqlite3-shm"])
def test_git_ignores_sqlite_side_files(name: str) -> None:
    """SQLite's write-ahead log and shared-memory files are ignored like the database itself."""
    patterns = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns)


@pytest.mark.parametrize("variable", EVERY_VARIABLE)
def test_env_example_names_every_setting(variable: str) -> None:
    """Each setting appears in .env.example, so a copy of it shows everything there is to set."""
    assert variable in (ROOT / ".env.example").read_text(encoding="utf-8")


@pytest.mark.parametrize("variable", EVERY_VARIABLE)
def test_the_readme_lists_every_setting(variable: str) -> None:
    """Each setting has a row in the README's configuration table."""
    assert f"`{variable}`" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", ["README.md", ".ci/run", ".env.example"])
def test_no_notes_about_the_machine_the_project_was_written_on(path: str) -> None:
    """What holds on one authoring machine is no instruction for anyone else."""
    text = (ROOT / path).read_text(encoding="utf-8").lower()
    assert "this machine" not in text and "this kind of machine" not in text
    assert "arrive with their own issues" not in text
