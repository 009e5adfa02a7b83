"""Command options → the core: `/mlquestion`'s options become filters, `/mlquestion-channel
subscribe`'s become the core's `subscribe …` text (so the core validates), with the choices and
autocompletion the commands offer. Pure functions; a value we cannot use raises `OptionError`.

Before any of that, `check_options` holds the options Discord sent against the commands declared
here: a payload is not trusted to carry the types and choices the definitions promise.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any, cast

import discord
from discord import app_commands

from bot.commands import valid_filters_text
from bot.content.bank import Filters
from bot.content.rubric import TRACK_LABELS, Track, resolve_track
from bot.content.taxonomy import TOPICS, Difficulty, resolve_difficulty, resolve_topic
from bot.schedule.rules import ScheduleError, parse_days, parse_zone, zone_names
from bot.text import clean, shown

TOPIC_CHOICES = [app_commands.Choice(name=t.label, value=t.slug) for t in TOPICS]
DIFFICULTY_CHOICES = [app_commands.Choice(name=d.value, value=d.value) for d in Difficulty]
TRACK_CHOICES = [app_commands.Choice(name=TRACK_LABELS[t], value=t.value) for t in Track]
ON_OFF_CHOICES = [app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")]
MAX_CHOICES = 25


class OptionError(ValueError):
    """An option value we cannot use; the message names the option and what is valid."""


def ask_filters(topic: str | None, difficulty: str | None, track: str | None = None) -> Filters:
    """Turn `/mlquestion` options into filters (as the core's `topic difficulty track NAME` would);
    raise OptionError naming a value we don't know."""
    topics: tuple[str, ...] = ()
    levels: tuple[Difficulty, ...] = ()
    tracks: tuple[Track, ...] = ()
    if topic:
        slug = resolve_topic(topic)
        if slug is None:
            raise OptionError(f"`topic`: I don't know the topic `{shown(topic)}`. {valid_filters_text()}")
        topics = (slug,)
    if difficulty:
        level = resolve_difficulty(difficulty)
        if level is None:
            raise OptionError(f"`difficulty`: use easy, medium or hard (got `{shown(difficulty)}`).")
        levels = (level,)
    if track:
        role = resolve_track(track)
        if role is None:
            names = ", ".join(t.value for t in Track)
            raise OptionError(f"`track`: I don't know the track `{shown(track)}`; use one of {names}.")
        tracks = (role,)
    return Filters(topics, levels, tracks)


def mock_text(track: str | None, count: int | None, stop: bool) -> str:
    """Build the core's `mock [track NAME] [count N]` or `mock stop` from `/mlquestion-mock`'s options
    (the core checks the values: a forged count or track gets its error)."""
    if stop:
        return "mock stop"
    words = ["mock"]
    words += ["track", _word("track", track, lambda w: True, "a track name")] if track else []
    words += ["count", str(count)] if count is not None else []
    return " ".join(words)


def subscribe_text(
    time: str | None,
    timezone: str | None,
    days: str | None,
    reveal: str | None,
    topics: str | None,
    difficulty: str | None,
    holidays: str | None = None,
    skip: str | None = None,
    mentions: str | None = None,
    weekly: str | None = None,
) -> str:
    """Build the core's `subscribe …` text from the options, one unambiguous word per value."""
    words = ["subscribe"]
    if time:
        words.append(_word("time", time, lambda w: w[:1].isdigit() and ":" in w, "HH:MM, e.g. 09:30"))
    if timezone:
        try:  # checked here, so the core gets the zone's exact name as one word
            words.append(parse_zone(timezone).key)
        except ScheduleError as exc:
            raise OptionError(f"`timezone`: {exc}") from None
    if days:
        word = _word("days", days, lambda w: True, "one word such as mon-fri or mon,wed,fri")
        try:
            parse_days(word)  # checked here: a word that is not days would read as a topic
        except ScheduleError as exc:
            raise OptionError(f"`days`: {exc}") from None
        words.append(word)
    if reveal:
        words += ["reveal", *_reveal_words(reveal)]
    for word in re.split(r"[\s,]+", topics or ""):
        if word and resolve_topic(word) is None:
            raise OptionError(f"`topics`: I don't know the topic `{shown(word)}`. {valid_filters_text()}")
        words += [word] if word else []
    if difficulty:
        words.append(
            _word(
                "difficulty", difficulty, lambda w: resolve_difficulty(w) is not None, "easy, medium or hard"
            )
        )
    if holidays:
        words += [
            "holidays",
            _word("holidays", holidays, lambda w: True, "a country code such as GB, or none"),
        ]
    if skip:
        dates = ",".join(d for d in re.split(r"[\s,]+", skip) if d)
        words += ["skip", _word("skip", dates or skip, lambda w: True, "dates such as 2026-12-24,2026-12-31")]
    for option, value in (("mentions", mentions), ("weekly", weekly)):
        if value:
            words += [option, _word(option, value, lambda w: w.lower() in ("on", "off"), "on or off")]
    return " ".join(words)


def _word(option: str, value: str, fits: Callable[[str], bool], expected: str) -> str:
    word = value.strip()
    if not word or len(word.split()) != 1 or not fits(word):
        raise OptionError(f"`{option}`: `{shown(value)}` is not {expected}.")
    return word


def _reveal_words(value: str) -> list[str]:
    words = value.strip().split()
    if len(words) == 1:  # a bare "6h" or "17:00"
        words = ["at" if ":" in words[0] else "after", words[0]]
    if len(words) != 2 or words[0].lower() not in ("after", "at"):
        raise OptionError(f"`reveal`: use `after 6h` or `at 17:00` (got `{shown(value)}`).")
    return [words[0].lower(), words[1]]


# Checking what Discord sent ---------------------------------------------------------------------------

# The Python values each option type arrives as (Discord's JSON: strings, integers, booleans, numbers).
_VALUE_TYPES: dict[discord.AppCommandOptionType, tuple[type, ...]] = {
    discord.AppCommandOptionType.string: (str,),
    discord.AppCommandOptionType.integer: (int,),
    discord.AppCommandOptionType.boolean: (bool,),
    discord.AppCommandOptionType.number: (int, float),
}


def check_options(interaction: discord.Interaction[Any]) -> None:
    """Hold a command's options against its declared parameters, and clean their text in place.

    Each option must be one the command declares, of its type (a string where a boolean is
    expected is refused: `share: "no"` must not post), and one of its choices where it has any.
    Discord itself enforces this for the definitions it holds, so a difference means those are
    out of date (or the payload is forged): raise `CommandSignatureMismatch`, before anything runs.
    String values lose their control characters here, so every command gets clean text.
    """
    command = interaction.command
    if not isinstance(command, app_commands.Command):
        return  # an unknown command fails on its own, as CommandNotFound
    parameters = {p.display_name: p for p in command.parameters}
    data = cast(Mapping[str, Any], interaction.data or {})
    for option in _leaf_options(data.get("options") or []):
        parameter = parameters.get(str(option.get("name")))
        if parameter is None or not _fits(parameter, option):
            raise app_commands.CommandSignatureMismatch(command)
        if isinstance(option.get("value"), str):
            option["value"] = clean(option["value"])


def _fits(parameter: app_commands.Parameter, option: Mapping[str, Any]) -> bool:
    """Whether an option has the parameter's type, a value of that type, and one of its choices."""
    value = option.get("value")
    if option.get("type") != parameter.type.value:
        return False
    expected = _VALUE_TYPES.get(parameter.type, (object,))
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
        return False
    # The value being typed for autocompletion is not a choice yet.
    focused = bool(option.get("focused"))
    return focused or not parameter.choices or value in {c.value for c in parameter.choices}


def _leaf_options(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The options of the command itself, below any subcommand group and subcommand."""
    while options and options[0].get("type") in (1, 2):  # SUB_COMMAND, SUB_COMMAND_GROUP
        options = options[0].get("options") or []
    return options


# Autocompletion ------------------------------------------------------------------------------------


@functools.cache
def _zones() -> tuple[str, ...]:
    return tuple(zone_names())  # the ones the core accepts: no `localtime` or `Factory`


def matching_zones(current: str) -> list[str]:
    """Return up to 25 IANA zones for what was typed: prefix matches first, then any match."""
    typed = current.strip().lower().replace(" ", "_")
    prefix = [z for z in _zones() if z.lower().startswith(typed)]
    inside = [z for z in _zones() if typed in z.lower() and z not in prefix]
    return (prefix + inside)[:MAX_CHOICES]


def matching_topics(current: str) -> list[str]:
    """Complete the last topic of a comma-separated list, keeping the ones before it."""
    head, _, last = current.rpartition(",")
    before = [w.strip() for w in head.split(",") if w.strip()]
    typed = last.strip().lower()
    options = [t.slug for t in TOPICS if typed in t.slug or typed in t.label.lower()]
    return [", ".join([*before, slug]) for slug in options if slug not in before][:MAX_CHOICES]


async def zone_choices(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=z, value=z) for z in matching_zones(current)]


async def topic_choices(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=t, value=t) for t in matching_topics(current) if len(t) <= 100]
