"""The import rules of the layout: the core imports no adapter or chat SDK, adapters stay apart.

The rules are import-linter contracts in pyproject.toml; these tests run them on the real tree and
on a copy with a deliberate violation, so a contract that could never fail would show here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(  # noqa: S603 — our own venv's lint-imports on our own tree
        [str(LINT_IMPORTS), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """The packages and the contracts, copied where a test may break them."""
    for package in ("bot", "adapters"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def append(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_tree_keeps_every_import_contract() -> None:
    """The layout as committed keeps all of its import rules."""
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 kept, 0 broken" in done.stdout


def test_the_copy_the_other_tests_break_is_sound(tree_copy: Path) -> None:
    """The untouched copy passes too, so a failure below comes from the violation alone."""
    done = lint_imports(tree_copy)
    assert done.returncode == 0, done.stdout + done.stderr


CORE_RULE = "The core imports no adapter and no chat SDK"
APART_RULE = "An adapter never imports another adapter"
ROOT_RULE = "Adapters use the core, not its composition root"


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("bot/content/taxonomy.py", "import slack_sdk", CORE_RULE),
        ("bot/service.py", "import discord", CORE_RULE),
        (
            "bot/schedule/daily.py",
            "import adapters.slack.render",
            "The core imports no adapter and no chat SDK",
        ),
        (
            "adapters/slack/render.py",
            "import adapters.discord.render",
            "An adapter never imports another adapter",
        ),
        ("adapters/console/adapter.py", "import bot.app", ROOT_RULE),
        ("adapters/web/pages.py", "import adapters.slack.render", APART_RULE),
        ("adapters/web/server.py", "import bot.cli", ROOT_RULE),
    ],
)
def test_a_deliberate_violation_breaks_its_contract(
    tree_copy: Path, module: str, line: str, contract: str
) -> None:
    """Adding one forbidden import makes the check fail and name the rule it broke."""
    append(tree_copy / module, line)
    done = lint_imports(tree_copy)
    assert done.returncode != 0
    assert f"{contract} BROKEN" in done.stdout


def test_import_discord_inside_the_discord_package_means_the_library() -> None:
    """`adapters/discord/` does not shadow discord.py for the modules inside it."""
    import discord

    from adapters.discord import adapter, commands, render

    for module in (adapter, commands, render):
        assert module.discord is discord
    assert hasattr(discord, "Client")
    assert "site-packages" in (discord.__file__ or "")
