"""Read question files, validate every one, and report each problem as `path:line: message`."""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from bot.content import sections as S

# question_files is also imported from here by older callers.
from bot.content.files import display_path, display_paths, read_file
from bot.content.files import question_files as question_files
from bot.content.questions import Question, Reference, Snippet
from bot.content.removed_apis import MIGRATION_TAGS, removed_api_uses
from bot.content.rubric import ClaimCheck, Rubric, Track, parse_checks, parse_rubric, parse_tracks
from bot.content.taxonomy import TOPIC_BY_SLUG, Difficulty, QuestionType
from bot.text import mention_in

_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

REQUIRED_FIELDS = ("id", "title", "topic", "difficulty", "type", "status")
OPTIONAL_FIELDS = ("tags", "references", "verified_with", "author", "review", "tracks", "rubric", "since")
STATUSES = ("draft", "reviewed", "retired")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{2,80}$")
HEADING = re.compile(r"^##\s+(.+?)\s*$")
FENCE = re.compile(r"^```\s*([\w-]*)\s*(\w*)\s*$")
_TOP_LEVEL_FIELD = re.compile(r"^(?P<key>[A-Za-z_][\w-]*):(?:\s+(?P<value>.*?))?\s*$")


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        # Line 0 means the whole file or folder: no line to point at.
        return f"{self.path}:{self.line}: {self.message}" if self.line > 0 else f"{self.path}: {self.message}"


@dataclass(slots=True)
class LoadResult:
    questions: list[Question] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # How many of the questions came from the parsed-bank cache instead of being parsed.
    from_cache: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


ParseFile = Callable[[Path, str], tuple["Question | None", list[Problem]]]


def load_questions(
    root: Path, paths: Sequence[Path] | None = None, parse: ParseFile | None = None
) -> LoadResult:
    """Load and validate every question file under root; duplicates are checked across files.

    `paths` saves a second walk of the folder when the caller has listed it; `parse` (given a file
    and its path as shown) replaces parsing each file, e.g. by the parsed-bank cache.
    """
    with paused_collection():
        return _load(root, question_files(root) if paths is None else paths, parse or parse_question_at)


@contextmanager
def paused_collection() -> Iterator[None]:
    """Pause the garbage collector while a bank loads.

    Loading makes a few objects per line of every file, and keeps them: the collector's passes over
    them found nothing and were a fifth of loading 10,000 questions from the cache.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _load(root: Path, paths: Sequence[Path], parse: ParseFile) -> LoadResult:
    result = LoadResult()
    seen: dict[str, str] = {}
    if not paths:
        result.problems.append(Problem(display_path(root), 0, "no question files found"))
    shown = display_paths(root, paths)
    for path, path_shown in zip(paths, shown, strict=True):
        question, problems = parse(path, path_shown)
        result.problems.extend(problems)
        if question is None:
            continue
        if question.id in seen:
            result.problems.append(
                Problem(question.path, 2, f"duplicate id {question.id!r} (also in {seen[question.id]})")
            )
            continue
        seen[question.id] = question.path
        result.questions.append(question)
    return result


def parse_question_file(path: Path) -> tuple[Question | None, list[Problem]]:
    """Parse one file; return the question (None if unusable) and every problem found."""
    return parse_question_at(path, display_path(path))


def parse_question_at(path: Path, shown: str) -> tuple[Question | None, list[Problem]]:
    """Parse one file, naming it `shown` in the question and its problems."""
    try:
        data = read_file(str(path))
    except OSError as exc:
        return None, [Problem(shown, 0, f"cannot read file: {exc}")]
    return parse_question_bytes(path, shown, data)


def parse_question_bytes(path: Path, shown: str, data: bytes) -> tuple[Question | None, list[Problem]]:
    """Parse a file's bytes as read (so a caller that hashed them parses exactly what it hashed)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(shown, 0, f"cannot read file: {exc}")]
    # As reading in text mode would: Windows and old Mac line ends become "\n".
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _Parser(shown, path, text).parse()


class _Parser:
    """Validates one file's text; collects problems instead of stopping at the first."""

    def __init__(self, shown: str, path: Path, text: str) -> None:
        self.shown = shown
        self.path = path
        self.text = text
        self.problems: list[Problem] = []
        self.meta_first_line = 2
        self.yaml_broken = False

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.shown, line, message))

    def parse(self) -> tuple[Question | None, list[Problem]]:
        split = self._split()
        if split is None:
            return None, self.problems
        meta_text, body, body_line = split
        meta, key_lines = self._meta(meta_text)
        if meta is None and self.yaml_broken:
            # Go on with the fields that still read, so one lint run shows every problem of the file.
            meta, key_lines = self._salvage(meta_text)
        if meta is None:
            return None, self.problems
        sections, section_lines = self._sections(body, body_line)
        question = self._build(meta, key_lines, sections, section_lines)
        return (question if not self.problems else None), self.problems

    def _split(self) -> tuple[str, str, int] | None:
        if not self.text.startswith("---"):
            self.problem(1, "missing YAML front matter: the file must start with a '---' line")
            return None
        handler = frontmatter.default_handlers.YAMLHandler()
        try:
            meta_text, body = handler.split(self.text)
        except ValueError:
            self.problem(1, "front matter is not closed: add a '---' line after it")
            return None
        end = self.text.index(body) if body else len(self.text)
        self.meta_first_line = self.text.count("\n", 0, self.text.index(meta_text)) + 1
        return meta_text, body, self.text.count("\n", 0, end) + 1

    def _meta(self, meta_text: str) -> tuple[dict[str, Any] | None, dict[str, int]]:
        # One parse with libyaml when it is there (several times faster than the pure-Python
        # loader, which dominated loading a large bank); the node keeps each key's line.
        loader = _SAFE_LOADER(meta_text)
        try:
            node = loader.get_single_node()
            meta = loader.construct_document(node) if node is not None else None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + self.meta_first_line if mark else 1
            context = f"{exc.context}, " if exc.context else ""
            if exc.context_mark is not None and exc.context_mark is not mark:
                started = exc.context_mark.line + self.meta_first_line
                context = f"{exc.context or 'the value'} (from line {started}), "
            self.problem(line, f"bad YAML in front matter: {context}{exc.problem or exc}")
            self.yaml_broken = True
            return None, {}
        finally:
            loader.dispose()
        if not isinstance(meta, dict) or not isinstance(node, yaml.MappingNode):
            self.problem(1, "front matter must be a YAML mapping of field: value")
            return None, {}
        key_lines: dict[str, int] = {}
        for key, _ in node.value:
            name, line = str(key.value), key.start_mark.line + self.meta_first_line
            if name in key_lines:
                # YAML keeps the last value silently, so an edit to the first one would be lost.
                self.problem(line, f"field '{name}' appears twice (first on line {key_lines[name]})")
            key_lines[name] = line
        return meta, key_lines

    def _salvage(self, meta_text: str) -> tuple[dict[str, Any], dict[str, int]]:
        """Read the top-level `field: value` lines of broken front matter one by one (skipping
        any that do not parse on their own), so the fields that are fine can still be checked."""
        meta: dict[str, Any] = {}
        key_lines: dict[str, int] = {}
        for offset, raw in enumerate(meta_text.splitlines()):
            match = _TOP_LEVEL_FIELD.match(raw)
            if match is None or not match["value"]:
                continue
            try:
                value = yaml.load(match["value"], Loader=_SAFE_LOADER)  # noqa: S506 — a safe loader
            except yaml.YAMLError:
                continue
            meta[match["key"]] = value
            key_lines[match["key"]] = self.meta_first_line + offset
        return meta, key_lines

    def _sections(self, body: str, first_line: int) -> tuple[dict[str, str], dict[str, int]]:
        sections: dict[str, list[str]] = {}
        lines: dict[str, int] = {}
        current: str | None = None
        in_fence = False
        for offset, raw in enumerate(body.splitlines()):
            if raw.startswith("```"):
                in_fence = not in_fence
            match = None if in_fence else HEADING.match(raw)
            if match:
                current = match.group(1)
                if current in sections:
                    self.problem(first_line + offset, f"section '## {current}' appears twice")
                sections[current] = []
                lines[current] = first_line + offset
            elif current is not None:
                sections[current].append(raw)
            elif raw.strip():
                self.problem(first_line + offset, "text before the first '## Question' section")
        return {k: "\n".join(v).strip() for k, v in sections.items()}, lines

    def _build(
        self,
        meta: dict[str, Any],
        key_lines: dict[str, int],
        sections: dict[str, str],
        section_lines: dict[str, int],
    ) -> Question | None:
        for name in REQUIRED_FIELDS if not self.yaml_broken else ():  # the broken line may hold it
            if name not in meta or meta[name] in (None, ""):
                self.problem(1, f"missing field '{name}'")
        for name in meta:
            if name not in REQUIRED_FIELDS and name not in OPTIONAL_FIELDS:
                known = ", ".join(REQUIRED_FIELDS + OPTIONAL_FIELDS)
                self.problem(key_lines.get(str(name), 1), f"unknown field '{name}' (known: {known})")
        line = key_lines.get
        qid = str(meta.get("id", ""))
        if qid and not ID_PATTERN.match(qid):
            self.problem(line("id", 1), f"id {qid!r} must be lowercase letters, digits and '-'")
        if qid and qid != self.path.stem:
            self.problem(line("id", 1), f"id {qid!r} must match the file name {self.path.stem!r}")
        mention = mention_in(str(meta.get("title", "")))
        if mention:
            # Titles reach Slack's plain-text fallback and Discord thread names, where it would notify.
            self.problem(
                line("title", 1),
                f"title contains the mention {mention!r}: reword it (it would notify people)",
            )
        topic = str(meta.get("topic", ""))
        if topic and topic not in TOPIC_BY_SLUG:
            self.problem(line("topic", 1), f"unknown topic {topic!r} (valid: {', '.join(TOPIC_BY_SLUG)})")
        elif topic and self.path.parent.name in TOPIC_BY_SLUG and self.path.parent.name != topic:
            self.problem(
                line("topic", 1),
                f"topic {topic!r} but the file is in folder {self.path.parent.name!r}",
            )
        difficulty = _enum(Difficulty, meta.get("difficulty"))
        if "difficulty" in meta and difficulty is None:
            valid = ", ".join(d.value for d in Difficulty)
            self.problem(line("difficulty", 1), f"unknown difficulty {meta['difficulty']!r} (valid: {valid})")
        qtype = _enum(QuestionType, meta.get("type"))
        if "type" in meta and qtype is None:
            valid = ", ".join(t.value for t in QuestionType)
            self.problem(line("type", 1), f"unknown type {meta['type']!r} (valid: {valid})")
        status = str(meta.get("status", ""))
        if status and status not in STATUSES:
            self.problem(line("status", 1), f"unknown status {status!r} (valid: {', '.join(STATUSES)})")
        tags = self._tags(meta.get("tags"), line("tags", 1))
        references = self._references(meta.get("references"), line("references", 1))
        verified = self._string_map(meta.get("verified_with"), "verified_with", line("verified_with", 1))
        review = self._string_map(meta.get("review"), "review", line("review", 1))
        if status == "reviewed" and not review.get("reviewer"):
            self.problem(line("status", 1), "status 'reviewed' needs a 'review' mapping with a 'reviewer'")
        author = str(meta.get("author", ""))
        if author and review.get("reviewer") == author:
            self.problem(line("review", 1), "the reviewer must not be the question's author")
        if qtype is None:
            return None  # which sections are required depends on the type
        behavioural = qtype is QuestionType.BEHAVIOURAL
        self._check_sections(sections, section_lines, behavioural, difficulty)
        snippets = self._snippets(sections.get("Code", ""), section_lines.get("Code", 1))
        if not (MIGRATION_TAGS & set(tags)):
            for number, message in removed_api_uses(self.text, min(section_lines.values(), default=1)):
                self.problem(number, message)
        tracks, rubric, checks = self._practice_fields(meta, key_lines, sections, section_lines, behavioural)
        since = self._string_map(meta.get("since"), "since", line("since", 1))
        if difficulty is None:
            return None
        return Question(
            id=qid,
            title=str(meta.get("title", "")),
            topic=topic,
            difficulty=difficulty,
            type=qtype,
            status=status,
            sections=sections,
            path=self.shown,
            tags=tuple(tags),
            references=tuple(references),
            verified_with=verified,
            author=author,
            review=review,
            snippets=tuple(snippets),
            tracks=tracks,
            rubric=rubric,
            checks=tuple(checks),
            since=since,
        )

    def _practice_fields(
        self,
        meta: dict[str, Any],
        key_lines: dict[str, int],
        sections: dict[str, str],
        section_lines: dict[str, int],
        behavioural: bool,
    ) -> tuple[tuple[Track, ...], Rubric | None, list[ClaimCheck]]:
        """Tracks, rubric and claim checks (bank 2.0): optional per file, each validated if present."""
        tracks: tuple[Track, ...] = ()
        if "tracks" in meta:
            tracks, problems = parse_tracks(meta["tracks"])
            for message in problems:
                self.problem(key_lines.get("tracks", 1), message)
        rubric = None
        if "rubric" in meta:
            rubric, problems = parse_rubric(meta["rubric"], behavioural)
            for message in problems:
                self.problem(key_lines.get("rubric", 1), message)
        checks: list[ClaimCheck] = []
        if "Checks" in sections:
            first = section_lines["Checks"] + 1
            blocks = [
                (lang, flag, body, first + offset)
                for lang, flag, body, offset in _fenced_blocks(sections["Checks"])
            ]
            visible = "\n".join(text for name, text in sections.items() if name != "Checks")
            checks, located = parse_checks(blocks, visible)
            for number, message in located:
                self.problem(number, message)
            if not blocks:
                self.problem(section_lines["Checks"], "section '## Checks' has no ```python check block")
        return tracks, rubric, checks

    def _tags(self, value: object, line: int) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            self.problem(line, "tags must be a list of strings")
            return []
        return [str(t) for t in value]

    def _references(self, value: object, line: int) -> list[Reference]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(line, "references must be a list of {title, url} mappings")
            return []
        refs = []
        for index, item in enumerate(value, start=1):
            if not isinstance(item, dict) or not item.get("title") or not item.get("url"):
                self.problem(line, f"reference {index} needs both 'title' and 'url'")
                continue
            url = str(item["url"])
            if not url.startswith("https://"):
                self.problem(line, f"reference {index} url must start with https:// (got {url!r})")
            refs.append(Reference(str(item["title"]), url))
        return refs

    def _string_map(self, value: object, name: str, line: int) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(line, f"{name} must be a mapping")
            return {}
        return {str(k): str(v) for k, v in value.items()}

    def _check_sections(
        self,
        sections: dict[str, str],
        lines: dict[str, int],
        behavioural: bool,
        difficulty: Difficulty | None,
    ) -> None:
        required = S.BEHAVIOURAL_REQUIRED if behavioural else S.TECHNICAL_REQUIRED
        optional = S.BEHAVIOURAL_OPTIONAL if behavioural else S.TECHNICAL_OPTIONAL
        kind = "behavioural" if behavioural else "technical"
        # A missing section is reported at the last heading (where it would go), or line 1.
        anchor = max(lines.values(), default=1)
        for name in required:
            if name not in sections:
                self.problem(anchor, f"missing section '## {name}' ({kind} questions need it)")
            elif not sections[name]:
                self.problem(lines[name], f"section '## {name}' is empty")
        for name in sections:
            if name not in required and name not in optional:
                valid = ", ".join(required + optional)
                self.problem(lines[name], f"unknown section '## {name}' (valid for {kind}: {valid})")
        if behavioural:
            example = sections.get("Example answer", "")
            self._words(example, S.EXAMPLE_ANSWER_WORDS, "Example answer", lines)
            if example and "fictional composite" not in example.lower():
                self.problem(
                    lines["Example answer"],
                    "the example answer must be labelled as a fictional composite",
                )
        else:
            short = sections.get("Short answer", "")
            if short and _word_count(short) > S.SHORT_ANSWER_MAX_WORDS:
                self.problem(
                    lines["Short answer"],
                    f"short answer has {_word_count(short)} words (at most {S.SHORT_ANSWER_MAX_WORDS})",
                )
            self._words(sections.get("Answer", ""), S.ANSWER_WORDS, "Answer", lines)
            points = sections.get("Key points", "")
            if points:
                count = sum(1 for ln in points.splitlines() if ln.lstrip().startswith(("- ", "* ")))
                low, high = S.KEY_POINTS
                if not low <= count <= high:
                    self.problem(lines["Key points"], f"key points has {count} bullets ({low} to {high})")
        length = S.answer_length(sections, behavioural)
        if length > S.MAX_ANSWER_CHARS:
            self.problem(
                lines.get("Question", 1),
                f"answer too long for a chat message: {length} characters (at most {S.MAX_ANSWER_CHARS})",
            )

    def _words(self, text: str, bounds: tuple[int, int], name: str, lines: dict[str, int]) -> None:
        if not text:
            return
        count, (low, high) = _word_count(text), bounds
        if not low <= count <= high:
            self.problem(lines[name], f"section '## {name}' has {count} words ({low} to {high})")

    def _snippets(self, code_section: str, section_line: int) -> list[Snippet]:
        snippets: list[Snippet] = []
        blocks = _fenced_blocks(code_section)
        for lang, flag, body, offset in blocks:
            line = section_line + 1 + offset
            if lang == "python":
                code_lines = [ln for ln in body.splitlines() if ln.strip()]
                if len(code_lines) > S.CODE_MAX_LINES:
                    self.problem(line, f"code block has {len(code_lines)} lines (at most {S.CODE_MAX_LINES})")
                snippets.append(Snippet(body, None, flag != "norun", line))
            elif lang == "output":
                if not snippets or snippets[-1].expected_output is not None:
                    self.problem(line, "an ```output block must follow a ```python block")
                    continue
                last = snippets[-1]
                snippets[-1] = Snippet(last.code, body, last.runs, last.line)
            else:
                self.problem(line, f"code fence language {lang!r} (use python or output)")
        if code_section and not blocks:
            self.problem(section_line, "section '## Code' has no ```python block")
        return snippets


def _fenced_blocks(text: str) -> list[tuple[str, str, str, int]]:
    """Return (language, flag, body, line offset) of each fenced block in text."""
    blocks = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index].strip())
        if match and lines[index].strip() != "```":
            start = index
            body: list[str] = []
            index += 1
            while index < len(lines) and lines[index].strip() != "```":
                body.append(lines[index])
                index += 1
            blocks.append((match.group(1), match.group(2), "\n".join(body), start))
        index += 1
    return blocks


def _word_count(text: str) -> int:
    return len(re.findall(r"[\w'’-]+", re.sub(r"```.*?```", " ", text, flags=re.S)))


def _enum(kind: Any, value: object) -> Any:
    try:
        return kind(str(value)) if value is not None else None
    except ValueError:
        return None


def format_problems(problems: Iterable[Problem]) -> str:
    return "\n".join(str(p) for p in problems)
