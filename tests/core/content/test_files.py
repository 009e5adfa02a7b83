"""Finding and naming question files: the fast walk finds what pathlib's rglob found, in its order, and
names each file as resolving it would."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.content.files import display_path, display_paths, question_files, read_file
from tests.support.paths import CONTENT, ROOT


def rglob_files(root: Path) -> list[Path]:
    """The previous definition: what the walk must keep finding."""
    return sorted(p for p in root.rglob("*.md") if p.name.lower() != "readme.md")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A bank with nested folders, a README, a hidden file, a name that sorts apart from its path,
    a file that is a link, and a linked folder (which rglob does not enter)."""
    root = tmp_path / "bank"
    for relative in ("a/b.md", "a-c/d.md", "a/README.md", "a/x/y.md", ".hidden.md", "top.md", "notes.txt"):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text("x", encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "linked.md").write_text("x", encoding="utf-8")
    (root / "a" / "link.md").symlink_to(outside / "linked.md")
    (root / "linked-folder").symlink_to(outside)
    return root


def test_the_walk_finds_what_rglob_finds_in_the_same_order(tree: Path) -> None:
    """Same files, same order, README left out, linked folders not entered."""
    assert question_files(tree) == rglob_files(tree)


def test_the_walk_finds_the_real_bank_as_rglob_did() -> None:
    """The content/ bank is listed exactly as before."""
    assert question_files(CONTENT) == rglob_files(CONTENT)


def test_a_file_given_as_the_root_is_the_only_file(tree: Path) -> None:
    """`mlq content lint path/to/one.md` checks that file."""
    assert question_files(tree / "a" / "b.md") == [tree / "a" / "b.md"]


@pytest.mark.parametrize("cwd", ["outside the bank", "the bank's parent", "inside the bank"])
def test_files_are_shown_as_resolving_each_would_show_them(
    tree: Path, monkeypatch: pytest.MonkeyPatch, cwd: str
) -> None:
    """Relative to the working folder when below it, as given otherwise, a linked file by its target."""
    folder = {"outside the bank": ROOT, "the bank's parent": tree.parent, "inside the bank": tree / "a"}[cwd]
    monkeypatch.chdir(folder)
    for root in (tree, Path(os.path.relpath(tree, folder))):
        files = question_files(root)
        assert display_paths(root, files) == [display_path(path) for path in files]


def test_read_file_names_a_folder_it_cannot_read(tmp_path: Path) -> None:
    """A folder named like a question file fails as reading it with pathlib would: naming the path."""
    folder = tmp_path / "folder.md"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match=r"folder\.md"):
        read_file(str(folder))
