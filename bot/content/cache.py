"""The parsed-bank cache: a start-up reuses the questions an earlier one parsed from the same files.

Each question is stored under its file's path and a hash of the file's bytes, in one JSON file per
bank; the whole cache is also keyed on the code that parses (so an upgrade re-parses everything).
Only files that parsed without a problem are stored: a file with problems is parsed, and its problems
reported, every time. Files are read and hashed at every start, so an edit is never missed, whatever
its timestamps say.

A cache that cannot be read, does not verify or was written by other code is ignored with a log
line, and one that cannot be written is left alone with a log line: the bank then loads as if there
were no cache. Writes go to a temporary file renamed over the old one, so a reader sees the old cache
or the new one, never part of one; two processes starting together both parse and the last rename
wins, each having written a whole, valid cache.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import platform
import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from bot.content.files import read_file
from bot.content.loader import (
    LoadResult,
    Problem,
    load_questions,
    parse_question_bytes,
    paused_collection,
)
from bot.content.questions import Question, Reference, Snippet
from bot.content.rubric import ClaimCheck, KeyPoint, Misconception, Rubric, Track
from bot.content.taxonomy import Difficulty, QuestionType

log = logging.getLogger(__name__)

# Raise when the file's layout changes (the code hash below covers changes to what is stored).
FORMAT = 1
# The modules whose code decides what a file parses to, and this one, which decides how it is stored.
PARSING_MODULES = (
    "bot.content.loader",
    "bot.content.files",
    "bot.content.questions",
    "bot.content.rubric",
    "bot.content.sections",
    "bot.content.removed_apis",
    "bot.content.taxonomy",
    "bot.text",
    __name__,
)

Entry = tuple[str, dict[str, Any]]  # (hash of the file's bytes, the question's fields)


class BankCache:
    """Parsed questions on disk in `folder`, one file per bank; keeps no state between loads."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load(self, root: Path, paths: Sequence[Path]) -> LoadResult:
        """Load the question files `paths` under root as `load_questions` does, reusing stored questions.

        The result is the one parsing every file would give; `from_cache` counts the reused ones.
        """
        with paused_collection():
            return self._load(root, paths)

    def _load(self, root: Path, paths: Sequence[Path]) -> LoadResult:
        target = self.folder / _file_name(root)
        stored = self._read(target)
        kept: dict[str, Entry] = {}
        reused = 0

        def parse(path: Path, shown: str) -> tuple[Question | None, list[Problem]]:
            nonlocal reused
            try:
                data = read_file(str(path))
            except OSError as exc:
                return None, [Problem(shown, 0, f"cannot read file: {exc}")]
            digest = hashlib.sha256(data).hexdigest()
            entry = stored.get(shown)
            if entry is not None and entry[0] == digest:
                question = _decoded(entry[1], shown)
                if question is not None:
                    kept[shown] = entry
                    reused += 1
                    return question, []
            question, problems = parse_question_bytes(path, shown, data)
            if question is not None and not problems:
                kept[shown] = (digest, encode(question))
            return question, problems

        result = load_questions(root, paths, parse)
        result.from_cache = reused
        if reused != len(kept) or len(kept) != len(stored):
            self._write(target, kept)
        return result

    def _read(self, target: Path) -> dict[str, Entry]:
        try:
            raw = target.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            log.warning("question bank cache %s cannot be read (%s): parsing the bank", target, exc)
            return {}
        header_line, _, body = raw.partition(b"\n")
        try:
            header = json.loads(header_line)
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                raise ValueError("unknown format")
            if header.get("code") != code_version():
                log.info("question bank cache %s was written by other code: parsing the bank", target)
                return {}
            if header.get("sha256") != hashlib.sha256(body).hexdigest():
                raise ValueError("its checksum does not match its contents")
            entries = json.loads(body)
            return {str(shown): (str(digest), fields) for shown, (digest, fields) in entries.items()}
        except (ValueError, TypeError, AttributeError) as exc:
            log.warning("question bank cache %s is corrupt (%s): ignoring it", target, exc)
            return {}

    def _write(self, target: Path, entries: dict[str, Entry]) -> None:
        body = json.dumps(entries, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        header = {"format": FORMAT, "code": code_version(), "sha256": hashlib.sha256(body).hexdigest()}
        temporary: str | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # A name of its own per writer, in the same folder (a rename across file systems is a copy).
            handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=self.folder)
            # Readable by all, like the bank itself: a cache warmed while building an image is then
            # read by the unprivileged user the bot runs as (mkstemp makes it private to its writer).
            os.chmod(temporary, 0o644)
            with os.fdopen(handle, "wb") as out:
                out.write(json.dumps(header).encode("ascii") + b"\n" + body)
            os.replace(temporary, target)
            temporary = None
        except OSError as exc:
            log.warning(
                "question bank cache %s cannot be written (%s): the next start parses the bank again "
                "(set MLQ_BANK_CACHE_DIR to a writable folder, or to `off`)",
                target,
                exc,
            )
        finally:
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)


def cache_in(folder: Path | None) -> BankCache | None:
    """Return the cache kept in folder, or None (no cache) for no folder: MLQ_BANK_CACHE_DIR=off."""
    return BankCache(folder) if folder is not None else None


def _file_name(root: Path) -> str:
    # Paths as shown are relative to the working folder, so a bank read from elsewhere gets a cache
    # of its own instead of replacing this one's at every start.
    place = f"{root.resolve()}\0{Path.cwd()}"
    return f"bank-{hashlib.sha256(place.encode('utf-8', 'surrogateescape')).hexdigest()[:20]}.json"


@cache
def code_version() -> str:
    """Return a hash of the parsing code and of the libraries it uses: what a stored question depends on."""
    digest = hashlib.sha256(f"{FORMAT}\0{platform.python_version()}\0".encode())
    digest.update(f"{yaml.__version__}\0{hasattr(yaml, 'CSafeLoader')}\0".encode())
    digest.update(f"{getattr(frontmatter, '__version__', '')}\0".encode())
    for name in PARSING_MODULES:
        source = getattr(importlib.import_module(name), "__file__", None)
        digest.update(name.encode() + b"\0" + (Path(source).read_bytes() if source else b"") + b"\0")
    return digest.hexdigest()


def _decoded(fields: dict[str, Any], shown: str) -> Question | None:
    try:
        question = decode(fields)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        log.warning("question bank cache: the entry of %s does not decode (%s): parsing the file", shown, exc)
        return None
    # The path is part of the key: an entry stored under another path is not this file's question.
    return question if question.path == shown else None


def encode(question: Question) -> dict[str, Any]:
    """Return a question's fields as JSON-ready values."""
    rubric = question.rubric
    return {
        "id": question.id,
        "title": question.title,
        "topic": question.topic,
        "difficulty": question.difficulty.value,
        "type": question.type.value,
        "status": question.status,
        "sections": question.sections,
        "path": question.path,
        "tags": question.tags,
        "references": [(r.title, r.url) for r in question.references],
        "verified_with": question.verified_with,
        "author": question.author,
        "review": question.review,
        "snippets": [(s.code, s.expected_output, s.runs, s.line) for s in question.snippets],
        "tracks": [t.value for t in question.tracks],
        "rubric": None
        if rubric is None
        else {
            "key_points": [(k.point, k.phrasings) for k in rubric.key_points],
            "misconceptions": [(m.wrong, m.phrasings, m.correction) for m in rubric.misconceptions],
            "swaps": [list(pair) for pair in rubric.swaps],
        },
        "checks": [(c.code, c.claims, c.line) for c in question.checks],
        "since": question.since,
    }


def decode(fields: dict[str, Any]) -> Question:
    """Rebuild a question from `encode`'s values; raise KeyError, TypeError or ValueError if they don't fit.

    The values' types are not checked one by one (a tenth of a warm start at 10,000 questions): the
    file's checksum has shown they are what `encode` wrote, from a question of the same code. (List
    comprehensions, not generators, inside tuple(): they are faster for the short lists here.)
    """
    if fields.keys() != QUESTION_FIELDS:
        raise KeyError(f"fields {sorted(set(fields) ^ QUESTION_FIELDS)} differ from a question's")
    rubric = fields["rubric"]
    return Question(
        id=fields["id"],
        title=fields["title"],
        topic=fields["topic"],
        difficulty=_DIFFICULTIES[fields["difficulty"]],
        type=_TYPES[fields["type"]],
        status=fields["status"],
        sections=fields["sections"],
        path=fields["path"],
        tags=tuple(fields["tags"]),
        references=tuple([Reference(title, url) for title, url in fields["references"]]),
        verified_with=fields["verified_with"],
        author=fields["author"],
        review=fields["review"],
        snippets=tuple([Snippet(code, out, runs, line) for code, out, runs, line in fields["snippets"]]),
        tracks=tuple([_TRACKS[t] for t in fields["tracks"]]),
        rubric=None
        if rubric is None
        else Rubric(
            tuple(KeyPoint(point, tuple(said)) for point, said in rubric["key_points"]),
            tuple(Misconception(wrong, tuple(said), fix) for wrong, said, fix in rubric["misconceptions"]),
            tuple((a, b) for a, b in rubric["swaps"]),
        ),
        checks=tuple([ClaimCheck(code, tuple(claims), line) for code, claims, line in fields["checks"]]),
        since=fields["since"],
    )


QUESTION_FIELDS = frozenset(Question.__dataclass_fields__)
# Enum members by value: a dictionary lookup costs a fraction of calling the enum.
_DIFFICULTIES = {d.value: d for d in Difficulty}
_TYPES = {t.value: t for t in QuestionType}
_TRACKS = {t.value: t for t in Track}
