"""What a good answer to a question covers and what a wrong one says: the rubric answer feedback is
built on, and the claim checks that back a question's statements with code.

Both are parsed here from a question file (the rubric from front matter, the checks from its
`## Checks` section) into frozen dataclasses; problems come back as (line, message) pairs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Track(StrEnum):
    """The role tracks a question belongs to (a question may be in several)."""

    ML_ENGINEER = "ml-engineer"
    DATA_SCIENTIST = "data-scientist"
    LLM_ENGINEER = "llm-engineer"
    MLOPS = "mlops"


TRACK_LABELS: dict[Track, str] = {
    Track.ML_ENGINEER: "ML engineer",
    Track.DATA_SCIENTIST: "Data scientist",
    Track.LLM_ENGINEER: "LLM engineer",
    Track.MLOPS: "MLOps engineer",
}
KEY_POINTS = (3, 6)
MISCONCEPTIONS = (1, 3)
PHRASINGS = (2, 12)
SWAP_PAIRS = 6
_SWAP_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
STAR_PARTS = ("situation", "task", "action", "result")
CLAIM = re.compile(r"^\s*#\s*claim:\s*(.+?)\s*$", re.M)


@dataclass(frozen=True, slots=True)
class KeyPoint:
    point: str
    phrasings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Misconception:
    wrong: str
    phrasings: tuple[str, ...]
    correction: str


@dataclass(frozen=True, slots=True)
class Rubric:
    key_points: tuple[KeyPoint, ...]
    misconceptions: tuple[Misconception, ...]
    # Pairs of words this question's answers confuse (single/ward, same/valid): said the wrong way
    # round, a key point is a swapped term, not covered.
    swaps: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ClaimCheck:
    """A block of assertions backing the claims it names (words quoted from the question's text)."""

    code: str
    claims: tuple[str, ...]
    line: int


def resolve_track(word: str) -> Track | None:
    """Return the track a user's word names (any case; `mle`/`ds`/`llm` short forms), or None."""
    cleaned = word.strip().lower()
    short = {"mle": Track.ML_ENGINEER, "ds": Track.DATA_SCIENTIST, "llm": Track.LLM_ENGINEER}
    if cleaned in short:
        return short[cleaned]
    try:
        return Track(cleaned)
    except ValueError:
        return None


def parse_tracks(value: object) -> tuple[tuple[Track, ...], list[str]]:
    """The `tracks:` field: a non-empty list of known track names."""
    valid = ", ".join(t.value for t in Track)
    if not isinstance(value, list) or not value:
        return (), [f"tracks must be a non-empty list of track names (valid: {valid})"]
    tracks: list[Track] = []
    problems: list[str] = []
    for item in value:
        track = resolve_track(str(item)) if isinstance(item, str) else None
        if track is None or track.value != item:
            problems.append(f"unknown track {item!r} (valid: {valid})")
        elif track not in tracks:
            tracks.append(track)
    return tuple(tracks), problems


def parse_rubric(value: object, behavioural: bool) -> tuple[Rubric | None, list[str]]:
    """The `rubric:` field: 3–6 key points with phrasings, 1–3 misconceptions with corrections, and
    optionally up to 6 `swaps`: pairs of words the question's answers confuse."""
    if not isinstance(value, dict):
        return None, ["rubric must be a mapping with 'key_points' and 'misconceptions'"]
    problems: list[str] = []
    unknown = set(value) - {"key_points", "misconceptions", "swaps"}
    if unknown:
        problems.append(
            f"rubric has unknown keys {sorted(unknown)} (known: key_points, misconceptions, swaps)"
        )
    swaps = _swaps(value.get("swaps", []), problems)
    points = _items(value.get("key_points"), "key_points", KEY_POINTS, problems)
    wrongs = _items(value.get("misconceptions"), "misconceptions", MISCONCEPTIONS, problems)
    key_points: list[KeyPoint] = []
    for index, item in enumerate(points, start=1):
        point = _text(item, "point", f"rubric key point {index}", problems)
        phrasings = _phrasings(item, f"rubric key point {index}", PHRASINGS, problems)
        if point:
            key_points.append(KeyPoint(point, phrasings))
    misconceptions: list[Misconception] = []
    for index, item in enumerate(wrongs, start=1):
        where = f"rubric misconception {index}"
        wrong = _text(item, "wrong", where, problems)
        correction = _text(item, "correction", where, problems)
        phrasings = _phrasings(item, where, (1, PHRASINGS[1]), problems)
        if wrong and correction:
            misconceptions.append(Misconception(wrong, phrasings, correction))
    if behavioural and key_points:
        named = {kp.point.split(":", 1)[0].strip().lower() for kp in key_points}
        missing = [part for part in STAR_PARTS if part not in named]
        if missing:
            problems.append(
                "a behavioural rubric follows STAR: key points starting 'Situation:', 'Task:', "
                f"'Action:', 'Result:' (missing: {', '.join(missing)})"
            )
    if problems:
        return None, problems
    return Rubric(tuple(key_points), tuple(misconceptions), swaps), []


def parse_checks(
    blocks: list[tuple[str, str, str, int]], visible_text: str
) -> tuple[list[ClaimCheck], list[tuple[int, str]]]:
    """The `## Checks` section's ```python check blocks; every claim must quote the question's text.

    Problems come back with the line of their block."""
    checks: list[ClaimCheck] = []
    problems: list[tuple[int, str]] = []
    flat = _flat(visible_text)
    for lang, flag, body, line in blocks:
        if (lang, flag) != ("python", "check"):
            problems.append((line, f"a Checks block must be fenced as ```python check (got {lang} {flag})"))
            continue
        claims = tuple(CLAIM.findall(body))
        if not claims:
            problems.append((line, "a check block names no claim: start it with '# claim: <words>'"))
        for claim in claims:
            if _flat(claim) not in flat:
                problems.append((line, f"claim not found word for word in the question's text: {claim!r}"))
        checks.append(ClaimCheck(body, claims, line))
    return checks, problems


def _swaps(value: object, problems: list[str]) -> tuple[tuple[str, str], ...]:
    """Each pair: two different single lower-case words, as an answer would write them."""
    shape = f"rubric swaps must be a list of up to {SWAP_PAIRS} pairs of words, like [[single, ward]]"
    if not isinstance(value, list) or len(value) > SWAP_PAIRS:
        problems.append(shape)
        return ()
    pairs: list[tuple[str, str]] = []
    for item in value:
        if (
            not isinstance(item, list)
            or len(item) != 2
            or not all(isinstance(w, str) and _SWAP_WORD.fullmatch(w) for w in item)
            or item[0] == item[1]
        ):
            problems.append(f"{shape}; {item!r} is not two different lower-case words")
            continue
        pairs.append((item[0], item[1]))
    return tuple(pairs)


def _flat(text: str) -> str:
    return " ".join(text.split()).lower()


def _items(value: object, name: str, bounds: tuple[int, int], problems: list[str]) -> list[dict[str, object]]:
    low, high = bounds
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        problems.append(f"rubric {name} must be a list of mappings ({low} to {high})")
        return []
    if not low <= len(value) <= high:
        problems.append(f"rubric has {len(value)} {name} ({low} to {high})")
    return list(value)


def _text(item: dict[str, object], key: str, where: str, problems: list[str]) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where} needs a '{key}' text")
        return ""
    return value.strip()


def _phrasings(
    item: dict[str, object], where: str, bounds: tuple[int, int], problems: list[str]
) -> tuple[str, ...]:
    value = item.get("phrasings")
    low, high = bounds
    if not isinstance(value, list) or not all(isinstance(p, str) and p.strip() for p in value):
        problems.append(f"{where} needs 'phrasings': a list of {low} to {high} short phrases")
        return ()
    if not low <= len(value) <= high:
        problems.append(f"{where} has {len(value)} phrasings ({low} to {high})")
    return tuple(p.strip().lower() for p in value)
