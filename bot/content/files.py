"""Finding a bank's question files, naming them as problems show them, and reading them: the steps of
a load that run once per file whether or not its question comes from the cache."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


def question_files(root: Path) -> list[Path]:
    """Return every question file below root (or root itself if it is a file), sorted.

    The files `root.rglob("*.md")` finds (folders that are links are not entered), in the same
    order, but found with os.scandir and sorted on their names: at 10,000 files pathlib's walk and
    its path comparisons took a tenth of a start-up.
    """
    if root.is_file():
        return [root]
    found: list[tuple[str, ...]] = []
    folders: list[tuple[str, ...]] = [()]
    while folders:
        parts = folders.pop()
        try:
            with os.scandir(root.joinpath(*parts)) as listing:
                entries = list(listing)
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue  # as rglob: a folder that vanished or cannot be listed holds nothing
        for entry in entries:
            if entry.name.endswith(".md") and entry.name.lower() != "readme.md":
                found.append((*parts, entry.name))
            if entry.is_dir(follow_symlinks=False):
                folders.append((*parts, entry.name))
    # Path order is the order of the parts, which are all below the same root.
    return [root.joinpath(*parts) for parts in sorted(found)]


def read_file(path: str) -> bytes:
    """Return a file's bytes, raising OSError naming the file as Path.read_bytes does.

    Four system calls instead of read_bytes' seven or eight (it also asks whether the file is a
    terminal and stats it twice): at 10,000 files, reading them was half of a warm start.
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        chunks = []
        while chunk := os.read(descriptor, 1 << 16):
            chunks.append(chunk)
    except OSError as exc:  # e.g. a folder: open() accepts it, read() refuses it, naming no file
        raise OSError(exc.errno, exc.strerror, path) from None
    finally:
        os.close(descriptor)
    return b"".join(chunks)


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def display_paths(root: Path, paths: Sequence[Path]) -> list[str]:
    """Return each file's path as problems and questions show it: relative to the working folder.

    Resolving every file costs a system call per folder of its path, which for a large bank was a
    sixth of loading it. The folders below root were walked without following links (rglob), so
    only root itself, and a file that is a link, need resolving: the rest is root's resolved path
    joined to each file's path below root (string work, as pathlib's is slow at this count).
    """
    try:
        base = str(root.resolve())
        cwd = str(Path.cwd())
    except OSError:
        return [display_path(path) for path in paths]
    given = str(root)
    prefix = "" if given == "." else given.rstrip(os.sep) + os.sep
    base_prefix = base.rstrip(os.sep) + os.sep
    cwd_prefix = cwd.rstrip(os.sep) + os.sep
    texts = [str(path) for path in paths]
    links = _links_among(texts)
    shown = []
    for path, text in zip(paths, texts, strict=True):
        if not text.startswith(prefix) or text == given or text in links:
            shown.append(display_path(path))
            continue
        resolved = base_prefix + text[len(prefix) :]
        shown.append(resolved[len(cwd_prefix) :] if resolved.startswith(cwd_prefix) else text)
    return shown


def _links_among(paths: list[str]) -> set[str]:
    """Return the paths that are symbolic links: one listing per folder, not a system call per file."""
    links: set[str] = set()
    wanted = set(paths)
    for folder in {os.path.dirname(path) for path in paths}:
        try:
            with os.scandir(folder or os.curdir) as listing:
                for entry in listing:
                    path = os.path.join(folder, entry.name)
                    if entry.is_symlink() and path in wanted:
                        links.add(path)
        except OSError:
            links.update(path for path in paths if os.path.dirname(path) == folder and os.path.islink(path))
    return links
