"""The one `/mlquestion` text grammar, parsed here and shared by every adapter that receives text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from zoneinfo import ZoneInfo

from bot.bank import Filters
from bot.schedule import (
    RevealRule,
    ScheduleError,
    parse_days,
    parse_duration,
    parse_time,
    parse_zone,
)
from bot.taxonomy import TOPICS, Difficulty, resolve_difficulty, resolve_topic

USAGE = """\
`/mlquestion` — a question from your rotation
`/mlquestion <topic> <difficulty>` — filter, in any order (e.g. `/mlquestion keras hard`)
`/mlquestion topics` — the topics and difficulties
`/mlquestion help` — this help
Channel admins:
`/mlquestion subscribe [HH:MM] [Zone] [days] [reveal after Nh | reveal at HH:MM] [topics…] [difficulty…]`
   e.g. `/mlquestion subscribe 09:30 Europe/Berlin mon-fri reveal after 6h keras tensorflow`
`/mlquestion unsubscribe` · `/mlquestion pause` · `/mlquestion resume` · `/mlquestion settings`"""


class CommandError(ValueError):
    """A command argument we cannot use; the message names it and what is valid."""


@dataclass(frozen=True, slots=True)
class Ask:
    filters: Filters = field(default_factory=Filters)


@dataclass(frozen=True, slots=True)
class Help:
    pass


@dataclass(frozen=True, slots=True)
class ListTopics:
    pass


@dataclass(frozen=True, slots=True)
class Subscribe:
    """Subscribe (or change the subscription of) the channel; None fields keep current/default."""

    post_time: time | None = None
    zone: ZoneInfo | None = None
    days: frozenset[int] | None = None
    reveal: RevealRule | None = None
    filters: Filters | None = None


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    pass


@dataclass(frozen=True, slots=True)
class Pause:
    pass


@dataclass(frozen=True, slots=True)
class Resume:
    pass


@dataclass(frozen=True, slots=True)
class ShowSettings:
    pass


Command = Ask | Help | ListTopics | Subscribe | Unsubscribe | Pause | Resume | ShowSettings
ADMIN_COMMANDS = (Subscribe, Unsubscribe, Pause, Resume)
_SIMPLE: dict[str, Command] = {
    "help": Help(),
    "topics": ListTopics(),
    "unsubscribe": Unsubscribe(),
    "pause": Pause(),
    "resume": Resume(),
    "settings": ShowSettings(),
}


def valid_filters_text() -> str:
    """Return the list of valid topic and difficulty words, for error replies."""
    topics = ", ".join(t.slug for t in TOPICS)
    return f"Topics: {topics}. Difficulties: {', '.join(d.value for d in Difficulty)}."


def parse_command(text: str) -> Command:
    """Parse the text after `/mlquestion`; raise CommandError naming the bad argument."""
    words = text.strip().removeprefix("/mlquestion").split()
    if not words:
        return Ask()
    head = words[0].lower()
    if head in _SIMPLE:
        if len(words) > 1:
            raise CommandError(f"`{head}` takes no arguments (got {' '.join(words[1:])!r})")
        return _SIMPLE[head]
    if head == "subscribe":
        return _parse_subscribe(words[1:])
    return Ask(_parse_filters(words, allow_other=False)[0])


def _parse_filters(words: list[str], allow_other: bool) -> tuple[Filters, list[str]]:
    topics: list[str] = []
    difficulties: list[Difficulty] = []
    other: list[str] = []
    for word in words:
        topic, difficulty = resolve_topic(word), resolve_difficulty(word)
        if topic:
            topics.append(topic)
        elif difficulty:
            difficulties.append(difficulty)
        elif allow_other:
            other.append(word)
        else:
            raise CommandError(
                f"unknown topic or difficulty `{word}`. {valid_filters_text()} "
                "Or try `help`, `topics`, `subscribe`, `settings`."
            )
    return Filters(tuple(dict.fromkeys(topics)), tuple(dict.fromkeys(difficulties))), other


def _parse_subscribe(words: list[str]) -> Subscribe:
    post_time: time | None = None
    zone: ZoneInfo | None = None
    days: frozenset[int] | None = None
    reveal: RevealRule | None = None
    rest: list[str] = []
    index = 0
    try:
        while index < len(words):
            word = words[index]
            lower = word.lower()
            if lower == "reveal":
                reveal, index = _parse_reveal(words, index)
                continue
            if ":" in word and post_time is None and word[0].isdigit():
                post_time = parse_time(word)
            elif "/" in word or lower == "utc":
                zone = parse_zone("UTC" if lower == "utc" else word)
            elif _looks_like_days(lower):
                days = parse_days(lower)
            else:
                rest.append(word)
            index += 1
    except ScheduleError as exc:
        raise CommandError(f"{exc}\n{_SUBSCRIBE_HELP}") from None
    filters: Filters | None = None
    if rest:
        try:
            filters, _ = _parse_filters(rest, allow_other=False)
        except CommandError as exc:
            raise CommandError(f"{exc}\n{_SUBSCRIBE_HELP}") from None
    return Subscribe(post_time, zone, days, reveal, filters)


_SUBSCRIBE_HELP = (
    "Usage: `subscribe [HH:MM] [Zone] [days] [reveal after Nh | reveal at HH:MM] [topics…]`, "
    "e.g. `subscribe 09:30 Europe/Berlin mon-fri reveal after 6h`."
)


def _parse_reveal(words: list[str], index: int) -> tuple[RevealRule, int]:
    if index + 2 >= len(words):
        raise ScheduleError("`reveal` needs `after <duration>` or `at HH:MM`")
    mode, value = words[index + 1].lower(), words[index + 2]
    if mode == "after":
        return RevealRule(after=parse_duration(value), at=None), index + 3
    if mode == "at":
        return RevealRule(after=None, at=parse_time(value)), index + 3
    raise ScheduleError(f"`reveal {mode}`: use `reveal after 6h` or `reveal at 16:00`")


def _looks_like_days(word: str) -> bool:
    try:
        parse_days(word)
    except ScheduleError:
        return False
    return True
