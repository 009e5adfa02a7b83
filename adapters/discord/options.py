"""Command options → the core: `/mlquestion`'s options become filters, `/mlquestion-channel
subscribe`'s become the core's `subscribe …` text (so the core validates), with the choices and
autocompletion the commands offer. Pure functions; a value we cannot use raises `OptionError`.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands

from bot.commands import valid_filters_text
from bot.content.bank import Filters
from bot.content.taxonomy import TOPICS, Difficulty, resolve_difficulty, resolve_topic
from bot.schedule.rules import ScheduleError, parse_days

TOPIC_CHOICES = [app_commands.Choice(name=t.label, value=t.slug) for t in TOPICS]
DIFFICULTY_CHOICES = [app_commands.Choice(name=d.value, value=d.value) for d in Difficulty]
ON_OFF_CHOICES = [app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")]
MAX_CHOICES = 25


class OptionError(ValueError):
    """An option value we cannot use; the message names the option and what is valid."""


def ask_filters(topic: str | None, difficulty: str | None) -> Filters:
    """Turn `/mlquestion` options into filters; raise OptionError naming a value we don't know."""
    topics: tuple[str, ...] = ()
    levels: tuple[Difficulty, ...] = ()
    if topic:
        slug = resolve_topic(topic)
        if slug is None:
            raise OptionError(f"`topic`: I don't know the topic `{topic}`. {valid_filters_text()}")
        topics = (slug,)
    if difficulty:
        level = resolve_difficulty(difficulty)
        if level is None:
            raise OptionError(f"`difficulty`: use easy, medium or hard (got `{difficulty}`).")
        levels = (level,)
    return Filters(topics, levels)


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
        words.append(
            _word(
                "timezone",
                timezone,
                lambda w: "/" in w or w.lower() == "utc",
                "an IANA name, e.g. Europe/Berlin",
            )
        )
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
            raise OptionError(f"`topics`: I don't know the topic `{word}`. {valid_filters_text()}")
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
        raise OptionError(f"`{option}`: `{value}` is not {expected}.")
    return word


def _reveal_words(value: str) -> list[str]:
    words = value.strip().split()
    if len(words) == 1:  # a bare "6h" or "17:00"
        words = ["at" if ":" in words[0] else "after", words[0]]
    if len(words) != 2 or words[0].lower() not in ("after", "at"):
        raise OptionError(f"`reveal`: use `after 6h` or `at 17:00` (got `{value}`).")
    return [words[0].lower(), words[1]]


# Autocompletion ------------------------------------------------------------------------------------


@functools.cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


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
