"""The one `/mlquestion` text grammar, parsed here and shared by every adapter that receives text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.content.bank import Filters
from bot.content.rubric import Track, resolve_track
from bot.content.taxonomy import TOPICS, Difficulty, resolve_difficulty, resolve_topic
from bot.schedule.rules import (
    RevealRule,
    ScheduleError,
    parse_days,
    parse_duration,
    parse_time,
    parse_zone,
    zone_key,
)
from bot.schedule.skip_days import MAX_SKIP_DATES, HolidayError, parse_country, parse_dates
from bot.text import clean, shown

USAGE = """\
`/mlquestion` — a question from your rotation
`/mlquestion <topic> <difficulty>` — filter, in any order (e.g. `/mlquestion keras hard`)
`/mlquestion track <track>` — questions of a role track (e.g. `/mlquestion track llm-engineer medium`)
`/mlquestion review` — your most overdue question to practise again (spaced repetition)
`/mlquestion stats` — your streak, answers and weakest topics (only you see it)
`/mlquestion leaderboard [week|month|all]` — this channel's most regular participants
`/mlquestion leaderboard optout` · `/mlquestion leaderboard optin` — leave or rejoin leaderboards
`/mlquestion mock [track] [count 3–8]` — a private mock interview: answer, get feedback, rate, next
`/mlquestion mock stop` — end your mock interview with its summary
`/mlquestion suggest` — suggest a question and answer for the bank
`/mlquestion link` · `/mlquestion link CODE` · `/mlquestion unlink` — one review schedule across platforms
`/mlquestion dashboard` — a private one-time link to your web dashboard (charts of your progress)
`/mlquestion export` — your ratings and review schedule as CSV, and an Anki deck of what to revisit
`/mlquestion forget-me` — delete everything kept about you (asks you to confirm first)
`/mlquestion topics` — the topics, difficulties and tracks
`/mlquestion help` — this help
Channel admins:
`/mlquestion subscribe [HH:MM] [Zone] [days] [reveal after Nh | reveal at HH:MM] [topics…] [difficulty…]`
   `[track NAME] [holidays CC|none] [skip YYYY-MM-DD,…|none] [mentions on|off] [weekly on|off]`
   e.g. `/mlquestion subscribe 09:30 Europe/Berlin mon-fri reveal after 6h keras holidays DE weekly on`
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
    holidays: str | None = None  # a country code; "" clears it
    skip_dates: frozenset[date] | None = None  # empty clears them
    mentions: bool | None = None
    weekly_summary: bool | None = None


@dataclass(frozen=True, slots=True)
class Review:
    pass


@dataclass(frozen=True, slots=True)
class Stats:
    pass


Period = Literal["week", "month", "all"]


@dataclass(frozen=True, slots=True)
class Leaderboard:
    period: Period = "week"


@dataclass(frozen=True, slots=True)
class LeaderboardOptOut:
    opted_out: bool = True


@dataclass(frozen=True, slots=True)
class Suggest:
    pass


@dataclass(frozen=True, slots=True)
class Mock:
    """Start a mock interview of `count` questions (from a track, if given)."""

    track: Track | None = None
    count: int = 5


@dataclass(frozen=True, slots=True)
class MockStop:
    pass


MOCK_COUNTS = (3, 8)


@dataclass(frozen=True, slots=True)
class Link:
    """`link` makes a code; `link CODE` (on another platform) joins that person's review schedule."""

    code: str | None = None


@dataclass(frozen=True, slots=True)
class Unlink:
    pass


@dataclass(frozen=True, slots=True)
class Dashboard:
    """A private one-time sign-in link to the web dashboard."""


@dataclass(frozen=True, slots=True)
class Export:
    """The caller's own ratings and review schedule as files, privately."""


@dataclass(frozen=True, slots=True)
class ForgetMe:
    """Ask to delete everything kept about the caller (nothing is deleted before they confirm)."""


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


Command = (
    Ask
    | Help
    | ListTopics
    | Subscribe
    | Unsubscribe
    | Pause
    | Resume
    | ShowSettings
    | Review
    | Stats
    | Leaderboard
    | LeaderboardOptOut
    | Suggest
    | Mock
    | MockStop
    | Link
    | Unlink
    | Dashboard
    | Export
    | ForgetMe
)
ADMIN_COMMANDS = (Subscribe, Unsubscribe, Pause, Resume)
_SIMPLE: dict[str, Command] = {
    "help": Help(),
    "topics": ListTopics(),
    "unsubscribe": Unsubscribe(),
    "pause": Pause(),
    "resume": Resume(),
    "settings": ShowSettings(),
    "review": Review(),
    "stats": Stats(),
    "suggest": Suggest(),
    "unlink": Unlink(),
    "dashboard": Dashboard(),
    "export": Export(),
    "forget-me": ForgetMe(),
    "forgetme": ForgetMe(),
}
_LINK_CODE = re.compile(r"[A-Z0-9]{8}")  # what `link` hands out (see bot.practice.flows)
_LEADERBOARD: dict[str, Command] = {
    "week": Leaderboard("week"),
    "month": Leaderboard("month"),
    "all": Leaderboard("all"),
    "optout": LeaderboardOptOut(True),
    "opt-out": LeaderboardOptOut(True),
    "optin": LeaderboardOptOut(False),
    "opt-in": LeaderboardOptOut(False),
}


def valid_filters_text() -> str:
    """Return the list of valid topic and difficulty words, for error replies."""
    topics = ", ".join(t.slug for t in TOPICS)
    return f"Topics: {topics}. Difficulties: {', '.join(d.value for d in Difficulty)}."


def parse_command(text: str) -> Command:
    """Parse the text after `/mlquestion`; raise CommandError naming the bad argument."""
    words = clean(text).strip().removeprefix("/mlquestion").split()
    if not words:
        return Ask()
    head = words[0].lower()
    if head in _SIMPLE:
        if len(words) > 1:
            raise CommandError(f"`{head}` takes no arguments (got {shown(' '.join(words[1:]))!r})")
        return _SIMPLE[head]
    if head == "subscribe":
        return _parse_subscribe(words[1:])
    if head == "link":
        if len(words) > 2:
            raise CommandError("`link` takes at most one code, e.g. `link K7QX2MPA`")
        code = words[1].upper() if len(words) == 2 else None
        if code is not None and not _LINK_CODE.fullmatch(code):
            raise CommandError(
                f"`{shown(words[1])}` is not a link code: codes are 8 letters and digits, "
                "e.g. `link K7QX2MPA` (run `/mlquestion link` on the other platform for one)"
            )
        return Link(code)
    if head == "mock":
        return _parse_mock(words[1:])
    if head == "leaderboard":
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in _LEADERBOARD):
            raise CommandError(
                f"`leaderboard {shown(' '.join(words[1:]))}`: use `leaderboard`, `leaderboard week`, "
                "`leaderboard month`, `leaderboard all`, `leaderboard optout` or `leaderboard optin`"
            )
        return _LEADERBOARD[words[1].lower()] if len(words) == 2 else Leaderboard()
    return Ask(_parse_filters(words, allow_other=False)[0])


def _parse_mock(words: list[str]) -> Mock | MockStop:
    """`mock`, `mock stop`, `mock [track] NAME`, `mock [count] N` in any order."""
    low, high = MOCK_COUNTS
    if [w.lower() for w in words] in (["stop"], ["end"]):
        return MockStop()
    track: Track | None = None
    count: int | None = None
    index = 0
    while index < len(words):
        word = words[index].lower()
        if word in ("track", "count") and index + 1 < len(words):
            index += 1
            value = words[index]
        elif word in ("track", "count"):
            raise CommandError(f"`mock {word}` needs a value, e.g. `mock track llm-engineer count 5`")
        else:
            value = words[index]
        if value.isdigit() and word != "track":
            if count is not None:
                raise CommandError("`mock` takes one question count")
            count = int(value)
            if not low <= count <= high:
                raise CommandError(f"a mock interview has {low} to {high} questions (got {shown(value)})")
        else:
            resolved = resolve_track(value)
            if resolved is None or track is not None:
                raise CommandError(
                    f"`mock {shown(' '.join(words))}`: use `mock`, `mock stop` or "
                    f"`mock [track] [count {low}–{high}]`. {valid_tracks_text()}"
                )
            track = resolved
        index += 1
    return Mock(track, count if count is not None else 5)


def _parse_filters(words: list[str], allow_other: bool) -> tuple[Filters, list[str]]:
    topics: list[str] = []
    difficulties: list[Difficulty] = []
    tracks: list[Track] = []
    other: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word.lower() == "track":
            if index >= len(words):
                raise CommandError(f"`track` needs a track name. {valid_tracks_text()}")
            track = resolve_track(words[index])
            if track is None:
                raise CommandError(f"unknown track `{shown(words[index])}`. {valid_tracks_text()}")
            tracks.append(track)
            index += 1
            continue
        topic, difficulty = resolve_topic(word), resolve_difficulty(word)
        if topic:
            topics.append(topic)
        elif difficulty:
            difficulties.append(difficulty)
        elif allow_other:
            other.append(word)
        else:
            raise CommandError(
                f"unknown topic or difficulty `{shown(word)}`. {valid_filters_text()} "
                "Or try `help`, `topics`, `subscribe`, `settings`."
            )
    filters = Filters(
        tuple(dict.fromkeys(topics)), tuple(dict.fromkeys(difficulties)), tuple(dict.fromkeys(tracks))
    )
    return filters, other


def valid_tracks_text() -> str:
    """The valid track names, for error replies."""
    return "Tracks: " + ", ".join(f"`{t.value}`" for t in Track) + "."


def _parse_subscribe(words: list[str]) -> Subscribe:
    post_time: time | None = None
    zone: ZoneInfo | None = None
    days: frozenset[int] | None = None
    reveal: RevealRule | None = None
    options: dict[str, Any] = {}
    rest: list[str] = []
    index = 0
    try:
        while index < len(words):
            word = words[index]
            lower = word.lower()
            if lower == "reveal":
                reveal, index = _parse_reveal(words, index)
                continue
            if lower in _OPTION_WORDS:
                name, value = _parse_option(lower, words[index + 1] if index + 1 < len(words) else None)
                options[name] = value
                index += 2
                continue
            if ":" in word and post_time is None and word[0].isdigit():
                post_time = parse_time(word)
            elif "/" in word or lower == "utc":
                zone = parse_zone("UTC" if lower == "utc" else word)
            elif _looks_like_days(lower):
                days = parse_days(lower)
            elif zone_key(word) and not (resolve_topic(word) or resolve_difficulty(word)):
                zone = parse_zone(word)  # a zone without a region: `GMT`, `Japan`
            else:
                rest.append(word)
            index += 1
    except (ScheduleError, HolidayError) as exc:
        raise CommandError(f"{exc}\n{_SUBSCRIBE_HELP}") from None
    filters: Filters | None = None
    if rest:
        try:
            filters, _ = _parse_filters(rest, allow_other=False)
        except CommandError as exc:
            raise CommandError(f"{exc}\n{_SUBSCRIBE_HELP}") from None
    return Subscribe(post_time, zone, days, reveal, filters, **options)


_OPTION_WORDS = ("holidays", "skip", "mentions", "weekly")


def _parse_option(word: str, value: str | None) -> tuple[str, object]:
    """Parse `holidays CC|none`, `skip DATES|none`, `mentions on|off`, `weekly on|off`."""
    if value is None:
        raise ScheduleError(
            {
                "holidays": "`holidays` needs a country code (e.g. `holidays GB`) or `none`",
                "skip": (
                    f"`skip` needs up to {MAX_SKIP_DATES} dates (e.g. `skip 2026-12-24,2026-12-31`) or `none`"
                ),
                "mentions": "`mentions` needs `on` or `off`",
                "weekly": "`weekly` needs `on` or `off`",
            }[word]
        )
    lower = value.lower()
    if word == "holidays":
        return "holidays", "" if lower == "none" else parse_country(value)
    if word == "skip":
        return "skip_dates", frozenset() if lower == "none" else parse_dates(value)
    if lower not in ("on", "off"):
        raise ScheduleError(f"`{word} {shown(value)}`: use `{word} on` or `{word} off`")
    return ("mentions" if word == "mentions" else "weekly_summary"), lower == "on"


_SUBSCRIBE_HELP = (
    "Usage: `subscribe [HH:MM] [Zone] [days] [reveal after Nh | reveal at HH:MM] [topics…] [difficulty…] "
    "[track NAME] [holidays CC|none] [skip YYYY-MM-DD,…|none] [mentions on|off] [weekly on|off]`, "
    "e.g. `subscribe 09:30 Europe/Berlin mon-fri reveal after 6h holidays DE`."
)


def _parse_reveal(words: list[str], index: int) -> tuple[RevealRule, int]:
    if index + 2 >= len(words):
        raise ScheduleError("`reveal` needs `after <duration>` or `at HH:MM`")
    mode, value = words[index + 1].lower(), words[index + 2]
    if mode == "after":
        return RevealRule(after=parse_duration(value), at=None), index + 3
    if mode == "at":
        return RevealRule(after=None, at=parse_time(value)), index + 3
    raise ScheduleError(f"`reveal {shown(mode)}`: use `reveal after 6h` or `reveal at 16:00`")


def _looks_like_days(word: str) -> bool:
    try:
        parse_days(word)
    except ScheduleError:
        return False
    return True
